"""What the map viewer reads: region outlines simplified for drawing, and the active grids' extent."""
from __future__ import annotations

from ..config import metric_crs
from . import repository as repo
from .cache import VersionCache
from .db import session_scope

__all__ = ["display_regions", "grid_extent", "DISPLAY_TOLERANCE_M"]

DISPLAY_TOLERANCE_M = 5.0          # region outlines on the page: 5 m is below a pixel at street zoom
_regions = VersionCache("display regions")


def _simplified_regions(engine, settings):
    with session_scope(engine) as session:
        regions = repo.load_regions(session)
    regions = regions[regions.geometry.notna() & (regions["level"] != "city")]
    if len(regions):
        metric = metric_crs(settings, bounds=regions.total_bounds)
        simplified = regions.to_crs(metric).simplify(DISPLAY_TOLERANCE_M, preserve_topology=True)
        regions = regions.set_geometry(simplified.to_crs("EPSG:4326"))
    return regions


def display_regions(engine, settings, version: int):
    """Return region outlines simplified in the metric CRS for drawing, built once per register version."""
    return _regions.get(engine, version, lambda: _simplified_regions(engine, settings))


def grid_extent(engine) -> tuple | None:
    """Return (minx, miny, maxx, maxy) in lon/lat of the active grids, None without grids."""
    with session_scope(engine) as session:
        return repo.grid_bounds(session)
