"""The map viewer at ``/`` and the grid tiles it draws from (``/tiles/grids/{z}/{x}/{y}.geojson``; ``.mvt``
on PostGIS for QGIS and MapLibre)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template, request, url_for

from sqlalchemy import func, select

from grids.crs.metric import metric_crs_for

from ..auth import principal_for, require
from ..storage import repository as repo
from ..storage import session_scope
from ..storage.routing import read_engine
from ..storage.schema import Grid
from .i18n import LAYER_LABELS_EN, language, remember_language, texts
from .tile_data import FORMATS, MAX_ZOOM, MIN_ZOOM, grid_tile, register_version

bp = Blueprint("viewer", __name__)

DISPLAY_TOLERANCE_M = 5.0          # region outlines on the page: 5 m is below a pixel at street zoom
DEFAULT_BOUNDS = (108.9, 23.9, 109.8, 24.6)  # Liuzhou, for an empty register
_regions_cache: dict = {}
_parts_cache: dict = {}          # the key without the version -> (full key, parts, filled)


def _engine():
    """The viewer only reads: the replica when one is set (storage.routing)."""
    return read_engine()


def display_regions(engine, settings, version: int):
    """Return region outlines simplified in the metric CRS for drawing, cached per register version."""
    key = str(engine.url)
    cached = _regions_cache.get(key)
    if cached and cached[0] == version:
        return cached[1]
    with session_scope(engine) as session:
        regions = repo.load_regions(session)
    regions = regions[regions.geometry.notna() & (regions["level"] != "city")]
    if len(regions):
        metric = metric_crs_for(bounds=regions.total_bounds, override=settings.get("SANIGRID_METRIC_CRS"))
        simplified = regions.to_crs(metric).simplify(DISPLAY_TOLERANCE_M, preserve_topology=True)
        regions = regions.set_geometry(simplified.to_crs("EPSG:4326"))
    _regions_cache[key] = (version, regions)
    return regions


def _grid_bounds(engine):
    with session_scope(engine) as session:
        row = session.execute(select(func.min(Grid.minx), func.min(Grid.miny), func.max(Grid.maxx),
                                     func.max(Grid.maxy)).where(Grid.end_date.is_(None))).first()
    return tuple(row) if row and row[0] is not None else None


def _context(version: int, regions, lang: str) -> dict:
    return {"regions": regions, "version": version, "zoom": (MIN_ZOOM, MAX_ZOOM), "en": lang == "en",
            "urls": {"grid_tiles": url_for("viewer.grid_tile_view", z=0, x=0, y=0,
                                           fmt="geojson").replace("0/0/0", "{key}"),
                     "gaps": "/api/v1/gaps/features"}}


def viewer_map(engine, settings, lang: str):
    """Return (folium map, whether the register has regions or grids) with every registered layer."""
    from layers.base import ScreenLayerControl, offline_map
    from layers.registry import build_layers
    from layers.viewer import GridTiles, ViewerSetup

    version = register_version(engine)
    regions = display_regions(engine, settings, version)
    bounds = tuple(regions.total_bounds) if len(regions) else _grid_bounds(engine) or DEFAULT_BOUNDS
    fmap = offline_map(bounds, static_url=url_for("static", filename=""), tiles=settings["SANIGRID_TILES"],
                       prefer_canvas=True)
    label = (lambda spec: LAYER_LABELS_EN.get(spec.name, spec.label)) if lang == "en" else (lambda spec: spec.label)
    grids = None
    for layer in build_layers(_context(version, regions, lang), label):
        layer.add_to(fmap)
        grids = layer if isinstance(layer, GridTiles) else grids
    ScreenLayerControl().add_to(fmap)
    ViewerSetup(grids).add_to(fmap)
    return fmap, bool(len(regions)) or bounds != DEFAULT_BOUNDS


def map_parts(fmap) -> dict:
    """Render a folium map as the header, body and script parts a page template places."""
    root = fmap.get_root()
    root.render()
    return {"header": root.header.render(), "html": root.html.render(), "script": root.script.render()}


@bp.get("/")
def viewer():
    """The map viewer: boundaries, grids by staffing status, legend, search, click to locate."""
    lang = language()
    parts, filled = _viewer_parts(_engine(), current_app.config, lang)
    page = render_template("viewer.html", map_parts=parts, text=texts(lang), lang=lang, filled=filled)
    return remember_language(make_response(page), lang)


def _viewer_parts(engine, settings, lang: str):
    """Return the rendered map parts, built once per register version, language, basemap and layer list."""
    from layers.registry import registered
    key = (str(engine.url), register_version(engine), lang, settings["SANIGRID_TILES"], url_for("static", filename=""),
           tuple(spec.name for spec in registered()))
    cached = _parts_cache.get(key[:1] + key[2:])
    if cached is None or cached[0] != key:
        fmap, filled = viewer_map(engine, settings, lang)
        cached = _parts_cache[key[:1] + key[2:]] = (key, map_parts(fmap), filled)
    return cached[1], cached[2]


@bp.get("/tiles/grids/<int:z>/<int:x>/<int:y>.<any(geojson, mvt):fmt>")
def grid_tile_view(z, x, y, fmt):
    """Grids touching one web-map tile, simplified for its zoom; cacheable while the register stays put."""
    if not current_app.config["SANIGRID_PUBLIC_READS"]:   # like the API's reads: a viewer token at least
        require(principal_for(_engine(), request.headers.get("Authorization")), "viewer")
    version, body = grid_tile(_engine(), current_app.config, z, x, y, fmt)
    etag = f'W/"r{version}-{z}-{x}-{y}-{fmt}"'
    # A URL naming the current register version may be kept a day; others must be revalidated.
    fresh = request.args.get("v") == str(version)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400" if fresh else "no-cache",
               "Vary": "Accept-Encoding"}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(body, mimetype=FORMATS[fmt], headers=headers)
