"""Coordinates checked before PROJ or GEOS works on them: finite, on the Earth, in the metric CRS's area.

A file in projected metres read as longitude/latitude, or a coordinate of 1e308, used to reach
PROJ ("point outside of projection domain") or GEOS (overflowing ``set_precision``). Here every
x/y is tested with numpy over ``shapely.get_coordinates`` (one array, no per-point Python):

* in the file's own CRS, before any transformation: finite; longitude within -180..180 and
  latitude within -90..90 for a geographic CRS, and numbers that look like metres get a message
  suggesting ``--crs`` (the EPSG code itself when a zone prefix gives it away); for a projected
  CRS, within its area of use (pyproj ``CRS.area_of_use``) widened by :data:`AREA_MARGIN_DEG`;
* in EPSG:4326, after the transformation: within the area of use of the metric CRS the register
  is measured in (the ``SANIGRID_METRIC_CRS`` setting, or the CGCS2000 3-degree Gauss-Krüger zone
  of the data), widened by the same margin: half a zone, where the scale error is still ~0.1 %.
"""
from __future__ import annotations

import functools

import numpy as np
import pyproj
import shapely

from .crs import CRSError, gk_zone_crs, parse_crs
from .validation import Problem

__all__ = ["AREA_MARGIN_DEG", "source_coordinate_problems", "metric_area_problems", "suggest_crs"]

AREA_MARGIN_DEG = 1.5
_CHINA = (73.0, 3.0, 136.0, 54.0)  # lon/lat box a suggested CRS must put the data in
_MAX_METRES = 1e8                  # no projected coordinate on Earth is larger


def _coordinates(geoms):
    """(x/y array, owning index into ``geoms``) for every geometry that is present."""
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    present = np.flatnonzero(np.fromiter((isinstance(g, shapely.Geometry) for g in arr), dtype=bool,
                                         count=len(arr)))
    xy, index = shapely.get_coordinates(arr[present], return_index=True)
    return xy, present[index]


def _first_bad(xy, owner, bad, codes, reason) -> list[Problem]:
    """One problem per geometry with a bad coordinate, naming its first bad x/y."""
    problems = []
    if not bad.any():
        return problems
    rows = np.flatnonzero(bad)
    first = rows[np.unique(owner[rows], return_index=True)[1]]
    for row in first:
        i = int(owner[row])
        problems.append(Problem(i, _code(codes, i), reason(float(xy[row, 0]), float(xy[row, 1]))))
    return problems


def source_coordinate_problems(geoms, codes, crs, *, hint_crs=None) -> list[Problem]:
    """Check x/y in the geometries' own CRS (``crs``: anything parse_crs takes) before they are transformed."""
    xy, owner = _coordinates(geoms)
    if not len(xy):
        return []
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(xy).all(axis=1)
        problems = _first_bad(xy, owner, ~finite, codes, lambda x, y: f"coordinate ({x!r}, {y!r}) is not a finite number")
        source = parse_crs(crs)
        if source.kind != "proj" or source.crs.is_geographic:
            out = finite & ((np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90))
            return problems + _first_bad(xy, owner, out, codes, lambda x, y: _not_lonlat(x, y, source.label, hint_crs))
        return problems + _outside_projected(xy, owner, finite, codes, source)


def _not_lonlat(x: float, y: float, label: str, hint_crs) -> str:
    if abs(x) <= 90 and abs(y) <= 180:
        return f"coordinates ({x!r}, {y!r}) are outside longitude -180..180 / latitude -90..90: are longitude and " \
               "latitude swapped? (GeoJSON puts longitude first)"
    if abs(x) > _MAX_METRES or abs(y) > _MAX_METRES:
        return f"coordinates ({x!r}, {y!r}) are neither longitude/latitude nor metres on the Earth"
    return f"coordinates ({x!r}, {y!r}) look like metres in a projected CRS, not longitude/latitude as " \
           f"{label} needs; {suggest_crs(x, y, hint_crs)}"


def suggest_crs(x: float, y: float, hint_crs=None) -> str:
    """Say which ``--crs`` to give for metres (x, y): the EPSG code when it can be told from the numbers."""
    for code in _candidates(x):
        lon, lat = _transformer(code).transform(x, y)
        if _CHINA[0] <= lon <= _CHINA[2] and _CHINA[1] <= lat <= _CHINA[3]:
            crs = pyproj.CRS.from_epsg(code)
            return f"give the file's CRS, probably --crs EPSG:{code} ({crs.name}: it puts this point at " \
                   f"{lon:.4f}°E {lat:.4f}°N)"
    if hint_crs:
        return f"give the file's CRS with --crs, e.g. --crs {hint_crs} (the register's metric CRS)"
    return "give the file's CRS with --crs EPSG:n, e.g. --crs EPSG:4545 (CGCS2000 3-degree Gauss-Krüger CM 108°E, " \
           "Liuzhou) or the UTM zone, --crs EPSG:32649 (UTM 49N)"


def _candidates(x: float) -> list[int]:
    """EPSG codes that a zone prefix in the easting gives away (CGCS2000 Gauss-Krüger with zone numbers)."""
    zone = int(abs(x) // 1_000_000)
    if 25 <= zone <= 45:
        return [4513 + zone - 25]          # 3-degree zones 25..45: EPSG:4513..4533
    if 13 <= zone <= 23:
        return [4491 + zone - 13, 3857]    # 6-degree zones 13..23: EPSG:4491..4501 (or Web Mercator)
    if 8 <= zone <= 15:
        return [3857]                      # Web Mercator eastings of China
    return []


@functools.lru_cache(maxsize=64)
def _transformer(code: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(code, 4326, always_xy=True)


@functools.lru_cache(maxsize=64)
def _projected_area(crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    """The CRS's area of use (widened by the margin) in its own x/y, or None when pyproj knows none."""
    area = crs.area_of_use
    if area is None:
        return None
    west, south = max(area.west - AREA_MARGIN_DEG, -180.0), max(area.south - AREA_MARGIN_DEG, -90.0)
    east, north = min(area.east + AREA_MARGIN_DEG, 180.0), min(area.north + AREA_MARGIN_DEG, 90.0)
    try:
        return pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform_bounds(west, south, east, north)
    except pyproj.exceptions.ProjError:
        return None


def _outside_projected(xy, owner, finite, codes, source) -> list[Problem]:
    box = _projected_area(source.crs)
    area = source.crs.area_of_use
    if box is None or not all(np.isfinite(box)):
        out = finite & (np.abs(xy) > _MAX_METRES).any(axis=1)
        where = "on the Earth"
    else:
        out = finite & ((xy[:, 0] < box[0]) | (xy[:, 0] > box[2]) | (xy[:, 1] < box[1]) | (xy[:, 1] > box[3]))
        where = f"the area of use of {source.label} ({area.west:g}..{area.east:g}°E, {area.south:g}..{area.north:g}°N)"

    def reason(x, y):
        degrees = " (they look like degrees: is the file in longitude/latitude?)" if abs(x) <= 180 and abs(y) <= 90 else ""
        return f"coordinates ({x!r}, {y!r}) lie outside {where}{degrees}; is the CRS right? give it with --crs EPSG:n"
    return _first_bad(xy, owner, out, codes, reason)


def metric_area_problems(geoms, codes, metric_crs=None) -> list[Problem]:
    """Check EPSG:4326 geometries against the area of use of the metric CRS (given, or the data's GK zone)."""
    xy, owner = _coordinates(geoms)
    if not len(xy):
        return []
    try:
        crs = pyproj.CRS.from_user_input(metric_crs) if metric_crs else gk_zone_crs(float(np.median(xy[:, 0])))
    except (CRSError, pyproj.exceptions.CRSError):
        return []  # no zone for the data, or a bad setting: metric_crs_for says so in plain words later
    area = crs.area_of_use
    if area is None:
        return []
    west, east = area.west - AREA_MARGIN_DEG, area.east + AREA_MARGIN_DEG
    south, north = area.south - AREA_MARGIN_DEG, area.north + AREA_MARGIN_DEG
    out = (xy[:, 0] < west) | (xy[:, 0] > east) | (xy[:, 1] < south) | (xy[:, 1] > north)
    name = f"{crs.to_authority()[0]}:{crs.to_authority()[1]}" if crs.to_authority() else crs.name
    setting = "the SANIGRID_METRIC_CRS setting" if metric_crs else "chosen for the data"
    return _first_bad(xy, owner, out, codes, lambda x, y: (
        f"coordinates ({x:.6f}, {y:.6f}) lie outside the area of use of the metric CRS {name} ({crs.name}, "
        f"{setting}: {area.west:g}..{area.east:g}°E, {area.south:g}..{area.north:g}°N, widened by "
        f"{AREA_MARGIN_DEG:g}°); areas there would be measured wrongly: is the file's CRS right?"))


def _code(codes, i):
    code = codes[i] if codes is not None and i < len(codes) else None
    return code if isinstance(code, str) else None
