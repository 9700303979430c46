"""Grid tiles for the map viewer: GeoJSON per web-map tile, simplified for its zoom, built from a snapshot.

A city of 20,000 grids cannot be inlined into one page. The viewer asks for the tiles covering
the view (``/tiles/grids/{z}/{x}/{y}.geojson``); each answer holds only the grids touching that
tile, simplified to half a screen pixel of that zoom, with the few properties the map draws
(code, staffing status). Everything else (people, phones) comes from ``locate`` when clicked.
The snapshot (geometries, STRtree, staffing status) is built once per register version.
"""
from __future__ import annotations

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

from ..errors import ValidationFailed
from ..storage import repository as repo
from ..storage import session_scope
from ..storage.schema import Grid, Role

__all__ = ["grid_tile", "grid_status", "register_version", "MIN_ZOOM", "MAX_ZOOM", "FULL_DETAIL_ZOOM"]

MIN_ZOOM, MAX_ZOOM = 5, 20
FULL_DETAIL_ZOOM = 17          # from here on, tiles carry the stored outlines unsimplified
_CACHE_BYTES = 64 * 2**20     # encoded tiles kept per process; a city-wide z10 view of 20,000 grids is ~4.5 MB

_lock = threading.Lock()
_snapshots: dict = {}          # database URL -> (register version, _Snapshot)
_tiles: OrderedDict = OrderedDict()   # (url, version, z, x, y) -> bytes, least recently used first
_cached_bytes = [0]


@dataclass(frozen=True)
class _Snapshot:
    codes: np.ndarray
    status: np.ndarray
    geoms: np.ndarray
    tree: shapely.STRtree


def register_version(engine) -> int:
    """Return the register's version (every write bumps it)."""
    with session_scope(engine) as session:
        return repo.register_version(session)


def _roles(session, active: np.ndarray) -> pd.DataFrame:
    """Return the roles of active grids keyed by person id: all staffing_table needs.

    repository.load_roles joins people twice for names and phones the status does not use; on
    183,000 roles that join was most of a cold snapshot (2-9 s on a busy machine).
    """
    rows = session.execute(select(Role.grid, Role.person_id, Role.role, Role.backup_id)).all()
    frame = pd.DataFrame(rows, columns=["grid", "person", "role", "backup"], dtype=object)
    frame = frame[frame["grid"].isin(set(active))]
    return frame.where(frame.notna(), None)


def _build(engine, settings) -> _Snapshot:
    """Read the active grids and their roles once; status by the register's own rules (staffing_table)."""
    with session_scope(engine) as session:
        rows = session.execute(select(Grid.code, Grid.community, Grid.households, Grid.geom)
                               .where(Grid.end_date.is_(None)).order_by(Grid.code)).all()
        codes = np.array([r.code for r in rows], dtype=object)
        roles = _roles(session, codes) if rows else None
    geoms = shapely.from_wkb([r.geom for r in rows]) if rows else np.array([], dtype=object)
    status = np.full(len(rows), "unstaffed", dtype=object)
    if rows:
        grids = pd.DataFrame({"code": codes, "community": [r.community for r in rows],
                              "households": [r.households for r in rows]})
        status = staffing_table(grids, roles, settings["SANIGRID_MAX_GRIDS_PER_PERSON"])["status"].to_numpy(dtype=object)
    return _Snapshot(codes, status, geoms, shapely.STRtree(geoms))


def _snapshot(engine, settings, version: int) -> _Snapshot:
    key = str(engine.url)
    cached = _snapshots.get(key)
    if cached and cached[0] == version:
        return cached[1]
    with _lock:
        cached = _snapshots.get(key)
        if not (cached and cached[0] == version):
            cached = _snapshots[key] = (version, _build(engine, settings))
    return cached[1]


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


def _encode(snap: _Snapshot, z: int, bounds) -> bytes:
    idx = np.sort(snap.tree.query(shapely.box(*bounds), predicate="intersects"))
    geoms = snap.geoms[idx]
    tolerance = _screen_tolerance(z)
    if tolerance:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    # 1e-7° is the register's own precision; coarser zooms need no more decimals than their pixels.
    grid_size = 10.0 ** math.floor(math.log10(tolerance)) if tolerance else 1e-7
    geoms = shapely.set_precision(geoms, grid_size, mode="pointwise")
    texts = shapely.to_geojson(geoms)
    features = [{"type": "Feature", "properties": {"code": c, "status": s}, "geometry": orjson.Fragment(t)}
                for c, s, t in zip(snap.codes[idx], snap.status[idx], texts)]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def grid_tile(engine, settings, z: int, x: int, y: int) -> tuple[int, bytes]:
    """Return (register version, GeoJSON bytes) of the grids touching tile z/x/y."""
    bounds = tile_bounds(z, x, y)
    version = register_version(engine)
    key = (str(engine.url), version, z, x, y)
    body = _tiles.get(key)
    if body is None:
        body = _encode(_snapshot(engine, settings, version), z, bounds)
        with _lock:
            if key not in _tiles:
                _tiles[key] = body
                _cached_bytes[0] += len(body)
            while _cached_bytes[0] > _CACHE_BYTES and _tiles:
                _cached_bytes[0] -= len(_tiles.popitem(last=False)[1])
    else:
        with _lock:
            if key in _tiles:
                _tiles.move_to_end(key)
    return version, body


def grid_status(engine, settings, code: str) -> str | None:
    """Return the staffing status of one active grid from the snapshot (None when not active)."""
    snap = _snapshot(engine, settings, register_version(engine))
    at = np.searchsorted(snap.codes.astype(str), code)
    return snap.status[at] if at < len(snap.codes) and snap.codes[at] == code else None
