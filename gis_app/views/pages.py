"""HTML pages (Chinese first, English switchable): the register overview as tables (the map viewer is ``/``)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ..access import read_scope
from ..register import region_tree
from ..storage.routing import read_engine
from .i18n import language, texts

bp = Blueprint("pages", __name__)


@bp.get("/register")
def index():
    """List districts, streets, communities and grids with their staffing status."""
    engine = read_engine()
    tree = region_tree(engine, current_app.config)
    scope = read_scope()   # a district-scoped sign-in with private reads sees its district only
    if scope is not None:
        tree = [node for node in tree if node["region"].code == scope]
    lang = language()
    return render_template("index.html", tree=tree, text=texts(lang), lang=lang)
