"""The page of one grid: its map, people, history and printable signboard (公示牌)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("grid_page", __name__)


@bp.get("/grids/<string(length=15):code>")
def grid_page(code):
    return code
