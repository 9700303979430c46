"""The page of one grid: its map, people, history and printable signboard (公示牌, one A4 landscape page)."""
from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template, request, url_for

from ..storage.routing import read_engine
from .i18n import language, remember_language, texts
from .signboard import SIGNBOARD_UNITS, extent_svg, grid_sheet, qr_svg
from ..storage.tiles import grid_status
from .viewer import map_parts

bp = Blueprint("grid_page", __name__)


def report_link(code: str) -> str:
    """The grid's public page: what a citizen's phone opens from the signboard's QR code."""
    base = current_app.config.get("SANIGRID_PUBLIC_URL") or request.url_root
    return base.rstrip("/") + url_for("grid_page.grid_page", code=code)


@bp.get("/grids/<string(length=15):code>")
def grid_page(code):
    """The grid's map, people with phones and duties, history, and its signboard ready to print."""
    lang = language()
    engine = read_engine()
    sheet = grid_sheet(engine, code, lang)
    status = grid_status(engine, current_app.config, code) or "unstaffed"
    page = render_template(
        "grid.html", code=code, sheet=sheet, grid=sheet["grid"], text=texts(lang), lang=lang, status=status,
        map_parts=map_parts(_grid_map(sheet, status)), hotline=current_app.config["SANIGRID_HOTLINE"],
        extent=extent_svg(sheet["grid"]["geometry"], sheet["neighbours"], current_app.config),
        qr=qr_svg(report_link(code)), link=report_link(code), units_shown=SIGNBOARD_UNITS)
    return remember_language(make_response(page), lang)


def _grid_map(sheet, status: str):
    from layers.grid import grid_map
    return grid_map(sheet["grid"]["geometry"], sheet["neighbours"], status,
                    static_url=url_for("static", filename=""), tiles=current_app.config["SANIGRID_TILES"])
