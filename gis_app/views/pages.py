"""HTML pages (Chinese first): the register overview as tables (the map viewer is ``/``)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from grids.staffing import STATUS_LABELS

from ..register import region_tree

bp = Blueprint("pages", __name__)


@bp.get("/register")
def index():
    """List districts, streets, communities and grids with their staffing status."""
    engine = current_app.extensions["sanigrid.engine"]
    tree = region_tree(engine, current_app.config)
    return render_template("index.html", tree=tree, status_labels=STATUS_LABELS)
