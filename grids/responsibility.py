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

__all__ = ["REACH_M", "responsible_party", "responsible_parties", "search_window"]

REACH_M = ZONE_RULES.max_depth_m


def search_window(lon: float, lat: float, metric_crs, reach_m: float = REACH_M, *, to=None) -> tuple:
    """The lon/lat box holding every spot within ``reach_m`` metres of (lon, lat), or of the box to ``to`` (lon, lat)."""
    corners = to_metric([shapely.Point(lon, lat), shapely.Point(*(to or (lon, lat)))], metric_crs)
    x0, x1 = sorted(c.x for c in corners)
    y0, y1 = sorted(c.y for c in corners)
    back = pyproj.Transformer.from_crs(metric_crs, "EPSG:4326", always_xy=True)
    lons, lats = back.transform([x0 - reach_m, x1 + reach_m, x0 - reach_m, x1 + reach_m],
                                [y0 - reach_m, y0 - reach_m, y1 + reach_m, y1 + reach_m])
    return min(lons), min(lats), max(lons), max(lats)


def _polygonal(geoms) -> np.ndarray:
    types = shapely.get_type_id(geoms)
    return np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])


def responsible_parties(lons, lats, places, frontages, metric_crs, reach_m: float = REACH_M) -> list:
    """The party of each point: ``("place", ref)``, ``("frontage", ref)`` or None (the grid's leader answers).

    ``places`` and ``frontages``: sequences of (ref, EPSG:4326 geometry) near the points. A polygon
    holding the point wins (a place before a frontage zone, the smaller of two); else the nearest
    line front or point place within ``reach_m``, a place first at equal distance.
    """
    out = [None] * len(lons)
    candidates = [("place", r, g) for r, g in places] + [("frontage", r, g) for r, g in frontages]
    if not candidates or not len(lons):
        return out
    geoms = to_metric(np.asarray([c[2] for c in candidates], dtype=object), metric_crs)
    points = to_metric(shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)), metric_crs)
    areal = _polygonal(geoms)
    areas = shapely.area(geoms)
    point_index, hit = shapely.STRtree(geoms).query(points, predicate="dwithin", distance=reach_m)
    distance = shapely.distance(geoms[hit], points[point_index])
    inside = areal[hit] & (distance == 0) & shapely.contains(geoms[hit], points[point_index])
    best: dict = {}
    for p, h, d, held in zip(point_index.tolist(), hit.tolist(), distance.tolist(), inside.tolist()):
        if areal[h] and not held:
            continue   # near a zone but outside it: the zone's edge is the unit's limit
        kind, ref, _ = candidates[h]
        rank = (0, kind != "place", float(areas[h]), ref) if held else (1, d, kind != "place", ref)
        if p not in best or rank < best[p][0]:
            best[p] = (rank, (kind, ref))
    for p, (_, party) in best.items():
        out[p] = party
    return out


def responsible_party(lon: float, lat: float, places, frontages, metric_crs, reach_m: float = REACH_M):
    """The party of one point (see :func:`responsible_parties`)."""
    return responsible_parties([lon], [lat], places, frontages, metric_crs, reach_m)[0]
