"""Who answers for a spot: a key place's operator, a frontage unit (门前三包), or else the grid leader.

A finding inside a key place (a market, a site: its polygon) goes to the place's operator; one
inside a frontage unit's zone (its polygon) to that unit; one within ``reach_m`` of a unit's
street front (a line: the zone runs from the wall to the kerb, at most 30 m deep, see
:data:`grids.frontages.ZONE_RULES`) or of a place given as a point goes to the nearest of them.
Everything else is the grid's: its leader (网格长). Distances are measured in the metric CRS.
"""
from __future__ import annotations

import numpy as np
import pyproj
import shapely

from .crs import to_metric
from .frontages import ZONE_RULES

__all__ = ["REACH_M", "responsible_party", "search_window"]

REACH_M = ZONE_RULES.max_depth_m


def search_window(lon: float, lat: float, metric_crs, reach_m: float = REACH_M) -> tuple:
    """The lon/lat box holding every spot within ``reach_m`` metres of (lon, lat): a query window."""
    point = to_metric([shapely.Point(lon, lat)], metric_crs)[0]
    back = pyproj.Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
    xs = [point.x - reach_m, point.x + reach_m, point.x - reach_m, point.x + reach_m]
    ys = [point.y - reach_m, point.y - reach_m, point.y + reach_m, point.y + reach_m]
    lons, lats = back.transform(xs, ys)
    return min(lons), min(lats), max(lons), max(lats)


def _polygonal(geoms) -> np.ndarray:
    types = shapely.get_type_id(geoms)
    return np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])


def responsible_party(lon: float, lat: float, places, frontages, metric_crs, reach_m: float = REACH_M):
    """Return ``("place", ref)``, ``("frontage", ref)`` or None (the grid's leader answers).

    ``places`` and ``frontages``: sequences of (ref, EPSG:4326 geometry) near the point. A polygon
    holding the point wins (a place before a frontage zone, the smaller of two); else the nearest
    line front or point place within ``reach_m``, a place first at equal distance.
    """
    candidates = [("place", r, g) for r, g in places] + [("frontage", r, g) for r, g in frontages]
    if not candidates:
        return None
    geoms = to_metric(np.asarray([c[2] for c in candidates], dtype=object), metric_crs)
    point = to_metric([shapely.Point(lon, lat)], metric_crs)[0]
    areal = _polygonal(geoms)
    inside = areal & shapely.contains(geoms, point)
    if inside.any():
        order = sorted(np.flatnonzero(inside), key=lambda i: (candidates[i][0] != "place", shapely.area(geoms[i]),
                                                              candidates[i][1]))
        return candidates[order[0]][:2]
    distance = shapely.distance(geoms, point)
    near = ~areal & (distance <= reach_m)
    if not near.any():
        return None
    order = sorted(np.flatnonzero(near), key=lambda i: (distance[i], candidates[i][0] != "place", candidates[i][1]))
    return candidates[order[0]][:2]
