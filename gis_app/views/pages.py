"""HTML pages (Chinese first): the register overview as tables (the map viewer is ``/``)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from grids.staffing import STATUS_LABELS

from ..access import read_scope
from ..register import region_tree
from ..storage.routing import read_engine

bp = Blueprint("pages", __name__)


@bp.get("/register")
def index():
    """List districts, streets, communities and grids with their staffing status."""
    engine = read_engine()
    tree = region_tree(engine, current_app.config)
    scope = read_scope()   # a district-scoped sign-in with private reads sees its district only
    if scope is not None:
        tree = [node for node in tree if node["region"].code == scope]
    return render_template("index.html", tree=tree, status_labels=STATUS_LABELS)
