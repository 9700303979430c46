"""Generate a demo city that looks real, for ``sanigrid demo``.

Liuzhou's five urban districts with their real outlines, streets/towns and
communities/villages (names and codes from ``grids/data``, see its SOURCE.md), tiled
into generated street, community and grid polygons, with households, people and
roles, and a few shortfalls left in on purpose so the reports have something to show.

Geometry is built in a metric CRS (:data:`METRIC_CRS`) and returned in EPSG:4326;
neighbours share their edges vertex for vertex. Pure: reads package data, writes nothing.
"""
from __future__ import annotations

from .city import DemoCity, build_demo_city
from .people import MAX_GRIDS_PER_LEADER
from .tiling import METRIC_CRS

__all__ = ["DemoCity", "build_demo_city", "METRIC_CRS", "MAX_GRIDS_PER_LEADER"]
