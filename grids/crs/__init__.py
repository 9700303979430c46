"""Coordinate reference systems: input CRSs, GCJ-02 / BD-09, and metric measurement.

Geometry is stored in EPSG:4326 longitude/latitude (CGCS2000, EPSG:4490, is treated
as equal to it: the two differ by centimetres). Areas, lengths and distances are
never measured in degrees: geometries are projected to a metric CRS first, by
default the CGCS2000 3-degree Gauss-Krüger zone whose central meridian is nearest
the data (EPSG:4534 = CM 75°E … EPSG:4554 = CM 135°E; Liuzhou → EPSG:4545), or a
projected CRS in metres that the caller passes in (the ``SANIGRID_METRIC_CRS``
setting; this module reads no environment variables).

Chinese web maps draw in GCJ-02 (AMap, Tencent) or BD-09 (Baidu). A file in those
systems looks exactly like EPSG:4326 and lies ~500 m off, so they are accepted only
when the user names them (:func:`parse_crs`), and converted with the public
obfuscation formula (forward) and an exact iterative inverse (the one-step inverse
found in most snippets is off by metres).
"""
from __future__ import annotations

from .china_coords import (bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84, out_of_china,
                           wgs84_to_bd09, wgs84_to_gcj02)
from .metric import area_m2, check_geographic, gk_zone_crs, metric_crs_for, to_metric
from .parsing import ACCEPTED_FORMS, BD09, GCJ02, WGS84, CRSError, InputCRS, parse_crs
from .transforms import to_wgs84_geometries

__all__ = [
    "CRSError", "InputCRS", "WGS84", "GCJ02", "BD09", "ACCEPTED_FORMS",
    "parse_crs", "out_of_china",
    "wgs84_to_gcj02", "gcj02_to_wgs84",
    "gcj02_to_bd09", "bd09_to_gcj02", "wgs84_to_bd09", "bd09_to_wgs84",
    "to_wgs84_geometries", "metric_crs_for", "gk_zone_crs", "check_geographic",
    "to_metric", "area_m2",
]
