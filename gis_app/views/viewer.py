"""The map viewer at ``/`` and the grid tiles it draws from (``/tiles/grids/{z}/{x}/{y}.geojson``; ``.mvt``
on PostGIS for QGIS and MapLibre)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template, request, url_for

import orjson

from ..access import read_scope
from ..errors import Forbidden
from ..storage.cache import VersionCache
from ..storage.outlines import display_regions, grid_extent
from ..storage.routing import read_engine
from ..storage.tiles import FORMATS, MAX_ZOOM, MIN_ZOOM, grid_tile, register_version
from .i18n import LAYER_LABELS_EN, MAP_LABELS_EN, language, remember_language, texts

bp = Blueprint("viewer", __name__)

DEFAULT_BOUNDS = (108.9, 23.9, 109.8, 24.6)  # Liuzhou, for an empty register
_parts = VersionCache("viewer page parts", maxsize=32)   # (language, basemap, static URL, layers) -> rendered map


def _engine():
    """The viewer only reads: the replica when one is set (storage.routing)."""
    return read_engine()


def _context(version: int, regions, lang: str) -> dict:
    """What the registered layers are built from (layers.catalog); ``labels`` are a layer's English words."""
    return {"regions": regions, "version": version, "zoom": (MIN_ZOOM, MAX_ZOOM), "en": lang == "en",
            "urls": {"grid_tiles": url_for("viewer.grid_tile_view", z=0, x=0, y=0,
                                           fmt="geojson").replace("0/0/0", "{key}"),
                     "gaps": "/api/v1/gaps/features", "frontages": "/api/v1/frontages", "places": "/api/v1/places"},
            "static_url": url_for("static", filename=""),
            "labels": MAP_LABELS_EN if lang == "en" else {}}


def viewer_map(engine, settings, lang: str, scope: str | None = None):
    """Return (folium map, whether the register has regions or grids) with every registered layer
    (layers.viewer builds it from the register's outlines and the page's URLs).

    ``scope``: a district-scoped sign-in's district; only its outlines are drawn.
    """
    from layers.viewer import viewer_map as build_map

    version = register_version(engine)
    regions = display_regions(engine, settings, version)
    if scope is not None:
        regions = regions[regions["code"].str.startswith(scope)]
    bounds = tuple(regions.total_bounds) if len(regions) else grid_extent(engine) or DEFAULT_BOUNDS
    label = (lambda spec: LAYER_LABELS_EN.get(spec.name, spec.label)) if lang == "en" else None
    fmap = build_map(bounds, _context(version, regions, lang), label, static_url=url_for("static", filename=""),
                     tiles=settings["SANIGRID_TILES"])
    return fmap, bool(len(regions)) or bounds != DEFAULT_BOUNDS


def map_parts(fmap) -> dict:
    """Render a folium map as the header, body and script parts a page template places, and its JS name."""
    root = fmap.get_root()
    root.render()
    return {"header": root.header.render(), "html": root.html.render(), "script": root.script.render(),
            "name": fmap.get_name()}


@bp.get("/")
def viewer():
    """The map viewer: boundaries, grids by staffing status, legend, search, click to locate."""
    lang = language()
    parts, filled = _viewer_parts(_engine(), current_app.config, lang)
    from layers.styles import LAYER_STATUS_COLORS
    page = render_template("viewer.html", map_parts=parts, text=texts(lang), lang=lang, filled=filled,
                           status_colors=LAYER_STATUS_COLORS)
    return remember_language(make_response(page), lang)


def _viewer_parts(engine, settings, lang: str):
    """Return the rendered map parts, built once per register version, language, basemap and layer list."""
    from layers.registry import registered
    scope = read_scope()
    key = (lang, settings["SANIGRID_TILES"], url_for("static", filename=""), tuple(spec.name for spec in registered()), scope)

    def build():
        fmap, filled = viewer_map(engine, settings, lang, scope)
        return map_parts(fmap), filled
    return _parts.get(engine, register_version(engine), build, key=key)


@bp.get("/tiles/grids/<int:z>/<int:x>/<int:y>.<any(geojson, mvt):fmt>")
def grid_tile_view(z, x, y, fmt):
    """Grids touching one web-map tile, simplified for its zoom; cacheable while the register stays put."""
    scope = read_scope()
    if scope is not None and fmt != "geojson":
        raise Forbidden(f"vector tiles show the whole city; a sign-in scoped to district {scope} gets .geojson tiles")
    version, body = grid_tile(_engine(), current_app.config, z, x, y, fmt)
    if scope is not None:
        body = _only_district(body, scope)
    etag = f'W/"r{version}-{z}-{x}-{y}-{fmt}{"-" + scope if scope else ""}"'
    # A URL naming the current register version may be kept a day; others must be revalidated.
    # With private reads, only the browser that signed in keeps it (no shared cache).
    fresh = request.args.get("v") == str(version)
    reach = "public" if current_app.config["SANIGRID_PUBLIC_READS"] else "private"
    headers = {"ETag": etag, "Cache-Control": f"{reach}, max-age=86400" if fresh else "no-cache",
               "Vary": "Accept-Encoding, Cookie, Authorization"}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(body, mimetype=FORMATS[fmt], headers=headers)


def _only_district(body: bytes, district: str) -> bytes:
    """Keep a tile's grids of one district (a district-scoped sign-in with private reads)."""
    tile = orjson.loads(body)
    tile["features"] = [f for f in tile["features"] if str(f["properties"].get("code", "")).startswith(district)]
    return orjson.dumps(tile)
