"""Coordinates: nesting, positions and closed rings checked, then geometries built from ragged arrays."""
from __future__ import annotations

from itertools import chain

import numpy as np
import shapely

from .model import GEOMETRY_DEPTH, GeoJSONError, kind_of

_RAGGED = {"Point": shapely.GeometryType.POINT, "LineString": shapely.GeometryType.LINESTRING,
           "Polygon": shapely.GeometryType.POLYGON, "MultiPoint": shapely.GeometryType.MULTIPOINT,
           "MultiLineString": shapely.GeometryType.MULTILINESTRING,
           "MultiPolygon": shapely.GeometryType.MULTIPOLYGON}
_LIST_ONLY = {list}
_SIZES = {2, 3}
_NUMBERS = {int, float}


def _position_reason(p, kind: str) -> str | None:
    """Why ``p`` is not a position of 2 or 3 numbers (None when it is a valid 3-D position)."""
    if type(p) in (int, float):
        return f"found a number where a position was expected (coordinates nested too shallowly for a {kind})"
    if not isinstance(p, list):
        return f"a position must be an array of 2 or 3 numbers, not {kind_of(p)}"
    if not p:
        return "empty position []"
    for v in p:
        if isinstance(v, list):
            return f"found an array where a number was expected (coordinates nested too deeply for a {kind})"
        if type(v) not in (int, float):
            return f"{kind_of(v)} is not a number"
    if len(p) < 2:
        return f"position {p} has {len(p)} number; longitude and latitude are needed"
    if len(p) > 3:
        return f"position {p} has {len(p)} numbers; only 2 (longitude, latitude) or 3 (with height) are accepted"
    return None


def _positions(seq, kind: str, minimum: int, what: str) -> tuple[str | None, bool]:
    """Check an array of positions; return (reason, has Z)."""
    if not isinstance(seq, list):
        if type(seq) in (int, float):
            return f"{what}: found a number where an array of positions was expected " \
                   f"(coordinates nested too shallowly for a {kind})", False
        return f"{what} must be an array of positions, not {kind_of(seq)}", False
    if len(seq) < minimum:
        return f"{what} has {len(seq)} position(s); at least {minimum} are needed", False
    if set(map(type, seq)) <= _LIST_ONLY:  # fast path: C-level loops over the positions
        sizes = set(map(len, seq))
        if sizes <= _SIZES and set(map(type, chain.from_iterable(seq))) <= _NUMBERS:
            return None, 3 in sizes
    for k, p in enumerate(seq):
        reason = _position_reason(p, kind)
        if reason:
            return f"{what}, position {k}: {reason}", False
    return None, any(len(p) == 3 for p in seq)  # not reached: the fast path accepts every sound array


def _ring(ring, kind: str, what: str) -> tuple[str | None, bool]:
    """A linear ring: at least 4 positions, first and last identical (never closed for the user)."""
    reason, has_z = _positions(ring, kind, 0, what)
    if reason:
        return reason, False
    if len(ring) >= 2 and ring[0] != ring[-1]:
        return f"{what}: ring not closed (first position {ring[0]} differs from last {ring[-1]}); " \
               "close it in the source file", False
    if len(ring) < 4:
        return f"{what}: a ring needs at least 4 positions (3 corners and the closing one), it has {len(ring)}", False
    return None, has_z


def _many(seq, kind: str, what: str, check) -> tuple[str | None, bool]:
    """Apply ``check`` to each element of an array; return the first reason and whether any had Z."""
    if not isinstance(seq, list):
        return f"{what} must be an array, not {kind_of(seq)}", False
    has_z = False
    for k, item in enumerate(seq):
        if type(item) in (int, float):
            return f"{what}: found a number where an array was expected " \
                   f"(coordinates nested too shallowly for a {kind})", False
        reason, z = check(item, k)
        if reason:
            return reason, False
        has_z |= z
    return None, has_z


def _polygon_rings(rings, kind: str, prefix: str) -> tuple[str | None, bool]:
    if isinstance(rings, list) and not rings:
        return f"{prefix.rstrip(', ') or 'polygon'} has no rings", False
    return _many(rings, kind, prefix.rstrip(", ") or "coordinates",
                 lambda ring, k: _ring(ring, kind, f"{prefix}ring {k}"))


def check_coordinates(kind: str, coords) -> tuple[str | None, bool]:
    """Check ``coords`` against the nesting and counts ``kind`` requires; return (reason, has Z)."""
    if isinstance(coords, list) and not coords:
        return None, False  # RFC 7946 3.1: an empty "coordinates" array is an empty geometry
    if kind == "Point":
        reason = _position_reason(coords, kind)
        return (f"coordinates: {reason}", False) if reason else (None, len(coords) == 3)
    if kind == "MultiPoint":
        return _positions(coords, kind, 1, "coordinates")
    if kind == "LineString":
        return _positions(coords, kind, 2, "coordinates")
    if kind == "MultiLineString":
        return _many(coords, kind, "coordinates", lambda line, k: _positions(line, kind, 2, f"line {k}"))
    if kind == "Polygon":
        return _polygon_rings(coords, kind, "")
    return _many(coords, kind, "coordinates", lambda rings, k: _polygon_rings(rings, kind, f"polygon {k}, "))


def _flat_2d(coords, depth: int):
    """Drop Z from every position of a nested coordinates array (depth 1 = one position)."""
    if depth == 1:
        return coords[:2]
    return [_flat_2d(c, depth - 1) for c in coords]


def build_ragged(kind: str, jobs) -> np.ndarray:
    """Build geometries of one type from their nested coordinates with shapely.from_ragged_array."""
    depth = GEOMETRY_DEPTH[kind]
    positions: list = []
    offsets: list[list[int]] = [[0] for _ in range(depth - 1)]
    for _, coords, has_z in jobs:
        if has_z:
            coords = _flat_2d(coords, depth)
        _flatten(coords, depth, positions, offsets)
    xy = np.array(positions, dtype=np.float64)
    if not np.isfinite(xy).all():  # orjson refuses NaN and overflow, so this is only a safeguard
        raise GeoJSONError("a coordinate is not a finite number")
    return shapely.from_ragged_array(_RAGGED[kind], xy, tuple(np.asarray(o, dtype=np.int64) for o in offsets) or None)


def _flatten(coords, depth: int, positions: list, offsets: list[list[int]]) -> None:
    """Append nested coordinates to ``positions`` and end one run per nesting level in ``offsets``."""
    if depth == 1:
        positions.append(coords)
        return
    if depth == 2:
        positions.extend(coords)
    else:
        for part in coords:
            _flatten(part, depth - 1, positions, offsets)
    offsets[depth - 2].append(len(positions) if depth == 2 else len(offsets[depth - 3]) - 1)
