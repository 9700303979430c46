"""Grid tiles for the map viewer: GeoJSON (and, on PostGIS, Mapbox vector tiles) per web-map tile.

A city of 20,000 grids cannot be inlined into one page. The viewer asks for the tiles covering
the view (``/tiles/grids/{z}/{x}/{y}.geojson``); each answer holds only the grids touching that
tile, simplified to half a screen pixel of that zoom, with the few properties the map draws
(code, staffing status). Everything else (people, phones) comes from ``locate`` when clicked.

The status is the register's rule (``grids.staffing.staffing_table``), decided once per register
version from non-spatial columns only (codes, households, roles): a code -> status map.
On PostGIS a tile is one SQL query (ST_Intersects on the GiST index, ST_SimplifyPreserveTopology,
GeoJSON text rounded by ST_AsGeoJSON, and the register version of the same snapshot; planned
once per connection, see ``fetch_raw(plan_once=True)``) joined to that map: a write costs the next tile the map only, never a snapshot of every outline. ``.mvt``
tiles are ST_AsMVT. On SQLite a snapshot (outlines and an STRtree, once per version) answers.
Encoded tiles are kept per process (least recently used out first) under their register version.
"""
from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd
import shapely
from sqlalchemy import select

from grids.staffing import staffing_table

from ..errors import Unsupported, ValidationFailed
from ..storage import fetch_raw, on_postgis, register_version_now, session_scope
from ..storage.db import REGISTER_VERSION_SQL
from ..storage.schema import Grid

__all__ = ["grid_tile", "grid_status", "register_version", "warm", "clear_tiles", "tile_bounds", "MIN_ZOOM",
           "MAX_ZOOM", "FULL_DETAIL_ZOOM", "FORMATS"]

MIN_ZOOM, MAX_ZOOM = 5, 20
FULL_DETAIL_ZOOM = 17          # from here on, tiles carry the stored outlines unsimplified
_CACHE_BYTES = 64 * 2**20     # encoded tiles kept per process; a city-wide z10 view of 20,000 grids is ~4.5 MB
MVT_EXTENT, MVT_BUFFER = 4096, 64   # ST_AsMVT's defaults: tile coordinates 0..4096, 64 units beyond the edge
FORMATS = {"geojson": "application/geo+json", "mvt": "application/vnd.mapbox-vector-tile"}

_lock = threading.RLock()     # a snapshot build takes the status map under it
_statuses: dict = {}           # database URL -> (register version, {code: status})
_snapshots: dict = {}          # database URL -> (register version, _Snapshot); SQLite only
_seen: dict = {}               # database URL -> the register version of this process's last encoded tile
_tiles: OrderedDict = OrderedDict()   # (url, version, format, z, x, y) -> bytes, least recently used first
_cached_bytes = [0]

# The status map's inputs: plain tuples on a DB-API connection (SQLAlchemy rows and a DataFrame
# built from them were 2 of the 7 s of a 200,000-grid map).
_GRIDS_SQL = "SELECT code, community, households FROM grids WHERE end_date IS NULL"
_ROLES_SQL = ("SELECT r.grid, r.person_id, r.role, r.backup_id FROM roles r "
              "JOIN grids g ON g.code = r.grid AND g.end_date IS NULL")
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


@dataclass(frozen=True)
class _Snapshot:
    codes: np.ndarray
    status: np.ndarray
    geoms: np.ndarray
    tree: shapely.STRtree


@functools.lru_cache(maxsize=32)
def _url(engine) -> str:
    """The engine's URL as a cache key (rendering it cost 25 µs, a tenth of a small tile's query)."""
    return str(engine.url)


def register_version(engine) -> int:
    """Return the register's version (every write bumps it)."""
    return register_version_now(engine)


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """Rows of plain tuples as a frame of Python objects (None stays None: person ids never become floats)."""
    return pd.DataFrame(np.array(rows, dtype=object).reshape(len(rows), len(columns)), columns=columns)


def _build_statuses(engine, settings) -> dict:
    """Every active grid's staffing status by the register's own rules, from non-spatial columns only.

    Roles are keyed by person id: names and phones (two joins on people) do not change a status.
    """
    grids = _frame(fetch_raw(engine, _GRIDS_SQL), ["code", "community", "households"])
    if grids.empty:
        return {}
    roles = _frame(fetch_raw(engine, _ROLES_SQL), ["grid", "person", "role", "backup"])
    table = staffing_table(grids, roles, settings["SANIGRID_MAX_GRIDS_PER_PERSON"])
    return dict(zip(table["code"].tolist(), table["status"].tolist()))


def _cached(store: dict, engine, version: int, build):
    """Return ``build()`` as cached in ``store`` for this database and register version (built once)."""
    key = _url(engine)
    cached = store.get(key)
    if cached and cached[0] == version:
        return cached[1]
    with _lock:
        cached = store.get(key)
        if not (cached and cached[0] == version):
            cached = store[key] = (version, build())
    return cached[1]


def _status_map(engine, settings, version: int) -> dict:
    return _cached(_statuses, engine, version, lambda: _build_statuses(engine, settings))


def _build_snapshot(engine, settings, version: int) -> _Snapshot:
    """SQLite: read the active grids' outlines once; statuses from the status map of the same version."""
    status = _status_map(engine, settings, version)
    with session_scope(engine) as session:
        rows = session.execute(select(Grid.code, Grid.geom).where(Grid.end_date.is_(None)).order_by(Grid.code)).all()
    codes = np.array([r.code for r in rows], dtype=object)
    geoms = shapely.from_wkb([r.geom for r in rows]) if rows else np.array([], dtype=object)
    statuses = np.array([status.get(c, "unstaffed") for c in codes], dtype=object)
    return _Snapshot(codes, statuses, geoms, shapely.STRtree(geoms))


def _snapshot(engine, settings, version: int) -> _Snapshot:
    return _cached(_snapshots, engine, version, lambda: _build_snapshot(engine, settings, version))


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Return (west, south, east, north) in degrees of the web-map (XYZ) tile z/x/y."""
    if not (MIN_ZOOM <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise ValidationFailed(f"tile {z}/{x}/{y} does not exist (zoom {MIN_ZOOM}..{MAX_ZOOM}, x and y below 2^z)")
    n = 2 ** z

    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))
    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def _screen_tolerance(z: int) -> float:
    """Half a screen pixel at zoom ``z``, in degrees of longitude: a drawing tolerance, not a measurement."""
    return 0.0 if z >= FULL_DETAIL_ZOOM else 360 / (256 * 2 ** z) / 2


def _decimals(z: int) -> int:
    """Decimals a tile's coordinates keep: 7 (the register's 1e-7°) at full detail, else its pixel's."""
    tolerance = _screen_tolerance(z)
    return -math.floor(math.log10(tolerance)) if tolerance else 7


def _collection(codes, statuses, texts) -> bytes:
    features = [{"type": "Feature", "properties": {"code": c, "status": s}, "geometry": orjson.Fragment(t)}
                for c, s, t in zip(codes, statuses, texts)]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def _encode_snapshot(snap: _Snapshot, z: int, bounds) -> bytes:
    idx = np.sort(snap.tree.query(shapely.box(*bounds), predicate="intersects"))
    geoms = snap.geoms[idx]
    tolerance = _screen_tolerance(z)
    if tolerance:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    geoms = shapely.set_precision(geoms, 10.0 ** -_decimals(z), mode="pointwise")
    return _collection(snap.codes[idx], snap.status[idx], shapely.to_geojson(geoms))


def _encode_sql(engine, settings, z: int, bounds) -> tuple[int, bytes]:
    """PostGIS: one query for the tile's outlines and the version they belong to, then their statuses."""
    tolerance = _screen_tolerance(z)
    rows = (fetch_raw(engine, TILE_SQL, (tolerance, _decimals(z), *bounds), plan_once=True) if tolerance
            else fetch_raw(engine, TILE_SQL_FULL, (_decimals(z), *bounds), plan_once=True))
    version = int(rows[0][2] or 0) if rows else register_version_now(engine)
    status = _status_map(engine, settings, version)
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
        return version, _encode_snapshot(_snapshot(engine, settings, version), z, bounds)
    if fmt == "geojson":
        return _encode_sql(engine, settings, z, bounds)
    version = register_version_now(engine)
    return version, _encode_mvt(engine, _status_map(engine, settings, version), z, x, y)


def _keep(key, body: bytes) -> None:
    with _lock:
        if key not in _tiles:
            _tiles[key] = body
            _cached_bytes[0] += len(body)
        while _cached_bytes[0] > _CACHE_BYTES and _tiles:
            _cached_bytes[0] -= len(_tiles.popitem(last=False)[1])


def grid_tile(engine, settings, z: int, x: int, y: int, fmt: str = "geojson") -> tuple[int, bytes]:
    """Return (register version, encoded tile) of the grids touching tile z/x/y (GeoJSON or MVT bytes).

    A tile kept under the version this process saw last is answered after one version check; any
    other costs what encoding it costs (on PostGIS one query, which also reads the version).
    """
    bounds = tile_bounds(z, x, y)
    if fmt not in FORMATS:
        raise ValidationFailed(f"tile format {fmt!r}: give one of {', '.join(FORMATS)}")
    url = _url(engine)
    seen = _seen.get(url)
    body = _tiles.get((url, seen, fmt, z, x, y))
    if body is not None:
        version = register_version_now(engine)
        if version == seen:
            with _lock:
                if (url, seen, fmt, z, x, y) in _tiles:
                    _tiles.move_to_end((url, seen, fmt, z, x, y))
            return version, body
    version, body = _encode(engine, settings, fmt, z, x, y, bounds)
    _seen[url] = version
    _keep((url, version, fmt, z, x, y), body)
    return version, body


def clear_tiles() -> None:
    """Forget every encoded tile (the benchmark's cold runs); the status maps and snapshots stay."""
    with _lock:
        _tiles.clear()
        _cached_bytes[0] = 0


def grid_status(engine, settings, code: str) -> str | None:
    """Return the staffing status of one active grid (None when not active)."""
    return _status_map(engine, settings, register_version_now(engine)).get(code)


def warm(engine, settings) -> None:
    """Build what the first tile of this register version needs: the status map, and on SQLite the snapshot."""
    version = register_version_now(engine)
    _status_map(engine, settings, version)
    if not on_postgis(engine):
        _snapshot(engine, settings, version)
