"""Grid tiles for the map viewer: GeoJSON (and, on PostGIS, Mapbox vector tiles) per web-map tile.

A city of 20,000 grids cannot be inlined into one page. The viewer asks for the tiles covering
the view (``/tiles/grids/{z}/{x}/{y}.geojson``); each answer holds only the grids touching that
tile, simplified to half a screen pixel of that zoom, with the few properties the map draws
(code, staffing status). Everything else (people, phones) comes from ``locate`` when clicked.

The status is the register's rule (``grids.staffing.staffing_table``) from non-spatial columns
only (codes, households, roles): :func:`.live_index.grid_statuses`, patched for the grids a
write changed. On PostGIS a tile is one SQL query (ST_Intersects on the GiST index,
ST_SimplifyPreserveTopology, GeoJSON text rounded by ST_AsGeoJSON, and the register version of
the same snapshot; planned once per connection, see ``fetch_raw(plan_once=True)``) joined to
that map. ``.mvt`` tiles are ST_AsMVT. On SQLite the live rtree index (:func:`.live_index.live_index`)
finds the tile's grids. Encoded tiles are kept per process (least recently used out first)
under their register version (:class:`.cache.ByteCache`).
"""
from __future__ import annotations

import math

import mercantile
import orjson
import shapely

from ..errors import Unsupported, ValidationFailed
from .cache import ByteCache, cleared_with_the_rest, engine_key
from .db import REGISTER_VERSION_SQL, fetch_raw, on_postgis, register_version_now
from .live_index import grid_statuses, live_index

__all__ = ["grid_tile", "grid_status", "register_version", "warm", "clear_tiles", "tile_bounds", "MIN_ZOOM",
           "MAX_ZOOM", "FULL_DETAIL_ZOOM", "FORMATS"]

MIN_ZOOM, MAX_ZOOM = 5, 20
FULL_DETAIL_ZOOM = 17          # from here on, tiles carry the stored outlines unsimplified
CACHE_BYTES = 64 * 2**20      # encoded tiles kept per process; a city-wide z10 view of 20,000 grids is ~4.5 MB
MVT_EXTENT, MVT_BUFFER = 4096, 64   # ST_AsMVT's defaults: tile coordinates 0..4096, 64 units beyond the edge
FORMATS = {"geojson": "application/geo+json", "mvt": "application/vnd.mapbox-vector-tile"}

_tiles = ByteCache("encoded tiles", CACHE_BYTES)   # (url, version, format, z, x, y) -> bytes
_seen: dict = cleared_with_the_rest({})   # database URL -> the register version of this process's last encoded tile

# One tile: the grids touching it through the GiST index, each outline simplified (topology kept,
# as shapely.simplify(preserve_topology=True)) and its coordinates rounded to ``decimals``, as
# shapely.set_precision(mode="pointwise") does (no vertex dropped, no validity repair); the
# register version is read in the same statement, so the rows are exactly that version's.
_TILE_SQL = f"""
SELECT code, ST_AsGeoJSON({{geom}}, %s), ({REGISTER_VERSION_SQL})
  FROM grids
 WHERE end_date IS NULL AND ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))
 ORDER BY code"""
TILE_SQL = _TILE_SQL.format(geom="ST_SimplifyPreserveTopology(geom, %s)")
TILE_SQL_FULL = _TILE_SQL.format(geom="geom")
# ST_AsMVT needs the status in the query: the tile's codes are found first, then their statuses
# come in as two arrays and the outlines by primary key.
TILE_CODES_SQL = ("SELECT code FROM grids WHERE end_date IS NULL AND "
                  "ST_Intersects(geom, ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326))")
MVT_SQL = f"""
SELECT ST_AsMVT(t, 'grids', {MVT_EXTENT}, 'geom') FROM (
  SELECT s.code, s.status,
         ST_AsMVTGeom(ST_Transform(g.geom, 3857), ST_TileEnvelope(%s, %s, %s), {MVT_EXTENT}, {MVT_BUFFER}, true) AS geom
    FROM unnest(%s::text[], %s::text[]) AS s(code, status)
    JOIN grids g ON g.code = s.code AND g.end_date IS NULL) t"""


def register_version(engine) -> int:
    """Return the register's version (every write bumps it)."""
    return register_version_now(engine)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return (west, south, east, north) in degrees of the web-map (XYZ) tile z/x/y."""
    if not (MIN_ZOOM <= z <= MAX_ZOOM and 0 <= x < 1 << z and 0 <= y < 1 << z):
        raise ValidationFailed(f"tile {z}/{x}/{y} does not exist (zoom {MIN_ZOOM}..{MAX_ZOOM}, x and y below 2^z)")
    return tuple(mercantile.bounds(x, y, z))


def _screen_tolerance(z: int) -> float:
    """Half a screen pixel at zoom ``z``, in degrees of longitude: a drawing tolerance, not a measurement."""
    return 0.0 if z >= FULL_DETAIL_ZOOM else 360 / (256 << z) / 2


def _decimals(z: int) -> int:
    """Decimals a tile's coordinates keep: 7 (the register's 1e-7°) at full detail, else its pixel's."""
    tolerance = _screen_tolerance(z)
    return -math.floor(math.log10(tolerance)) if tolerance else 7


def _collection(codes, statuses, texts) -> bytes:
    features = [{"type": "Feature", "properties": {"code": c, "status": s}, "geometry": orjson.Fragment(t)}
                for c, s, t in zip(codes, statuses, texts)]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def _encode_index(index, status, z: int, bounds) -> bytes:
    """SQLite: the tile's grids from the live index, simplified and rounded as the SQL path does."""
    codes, geoms = index.query_bbox(*bounds)
    tolerance = _screen_tolerance(z)
    if tolerance:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    geoms = shapely.set_precision(geoms, 10.0 ** -_decimals(z), mode="pointwise")
    return _collection(codes, [status.get(c, "unstaffed") for c in codes], shapely.to_geojson(geoms))


def _encode_sql(engine, settings, z: int, bounds) -> tuple[int, bytes]:
    """PostGIS: one query for the tile's outlines and the version they belong to, then their statuses."""
    tolerance = _screen_tolerance(z)
    rows = (fetch_raw(engine, TILE_SQL, (tolerance, _decimals(z), *bounds), plan_once=True) if tolerance
            else fetch_raw(engine, TILE_SQL_FULL, (_decimals(z), *bounds), plan_once=True))
    version = int(rows[0][2] or 0) if rows else register_version_now(engine)
    status = grid_statuses(engine, settings, version)
    return version, _collection([r[0] for r in rows], [status.get(r[0], "unstaffed") for r in rows],
                                [r[1] for r in rows])


def _encode_mvt(engine, status: dict, z: int, x: int, y: int) -> bytes:
    codes = [r[0] for r in fetch_raw(engine, TILE_CODES_SQL, (z, x, y), plan_once=True)]
    if not codes:
        return b""
    return bytes(fetch_raw(engine, MVT_SQL, (z, x, y, codes, [status.get(c, "unstaffed") for c in codes]),
                           plan_once=True)[0][0])


def _encode(engine, settings, fmt: str, z: int, x: int, y: int, bounds) -> tuple[int, bytes]:
    if not on_postgis(engine):
        if fmt != "geojson":
            raise Unsupported(f"vector tiles (.{fmt}) are built by PostGIS (ST_AsMVT); this register runs on "
                              "SQLite: use /tiles/grids/{z}/{x}/{y}.geojson or a PostgreSQL/PostGIS database")
        version = register_version_now(engine)
        return version, _encode_index(live_index(engine, version), grid_statuses(engine, settings, version), z, bounds)
    if fmt == "geojson":
        return _encode_sql(engine, settings, z, bounds)
    version = register_version_now(engine)
    return version, _encode_mvt(engine, grid_statuses(engine, settings, version), z, x, y)


def grid_tile(engine, settings, z: int, x: int, y: int, fmt: str = "geojson") -> tuple[int, bytes]:
    """Return (register version, encoded tile) of the grids touching tile z/x/y (GeoJSON or MVT bytes).

    A tile kept under the version this process saw last is answered after one version check; any
    other costs what encoding it costs (on PostGIS one query, which also reads the version).
    """
    bounds = tile_bounds(z, x, y)
    if fmt not in FORMATS:
        raise ValidationFailed(f"tile format {fmt!r}: give one of {', '.join(FORMATS)}")
    url = engine_key(engine)
    seen = _seen.get(url)
    body = _tiles.get((url, seen, fmt, z, x, y))
    if body is not None and register_version_now(engine) == seen:
        return seen, body
    version, body = _encode(engine, settings, fmt, z, x, y, bounds)
    _seen[url] = version
    _tiles.put((url, version, fmt, z, x, y), body)
    return version, body


def clear_tiles() -> None:
    """Forget every encoded tile (the benchmark's cold runs); the statuses and the live index stay."""
    _tiles.clear()


def grid_status(engine, settings, code: str) -> str | None:
    """Return the staffing status of one active grid (None when not active)."""
    return grid_statuses(engine, settings).get(code)


def warm(engine, settings) -> None:
    """Build what the first tile needs: the statuses, and on SQLite the live index."""
    version = register_version_now(engine)
    grid_statuses(engine, settings, version)
    if not on_postgis(engine):
        live_index(engine, version)
