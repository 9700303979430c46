"""The input limits and coordinate checks of grids/, applied to an import before GEOS or PROJ work.

Two calls in the pipeline: :func:`screen_source` on the geometries as read (counts, vertices,
coordinates in the file's CRS), :func:`screen_lonlat` after the transformation to EPSG:4326 (the
metric CRS's area of use). A refused geometry becomes None and its problem is reported, so the
later checks never see it; a whole-file limit raises ValidationFailed at once.
"""
from __future__ import annotations

import numpy as np

from grids.coordinate_checks import metric_area_problems, source_coordinate_problems
from grids.limits import InputLimits, LimitExceeded, check_count, vertex_problems

from ..errors import ValidationFailed

__all__ = ["screen_source", "screen_lonlat", "screen_rows"]


def screen_rows(rows, settings, *, file=None) -> None:
    """Refuse a table (people) with more rows than the features limit, or a ``file`` with none."""
    if file is not None and len(rows) == 0:  # a header alone would replace no roles yet move the register's version
        raise ValidationFailed(f"{file} has no rows: nothing to import")
    try:
        check_count(len(rows), InputLimits.from_settings(settings), "the table")
    except LimitExceeded as exc:
        raise ValidationFailed(str(exc)) from None


def screen_source(geoms, codes, crs, settings) -> tuple[np.ndarray, list]:
    """Return (geometries, problems): counts and vertices capped, coordinates checked in ``crs``."""
    limits = InputLimits.from_settings(settings)
    out = np.empty(len(geoms), dtype=object)
    out[:] = list(geoms)
    try:
        check_count(len(out), limits)
        over, problems = vertex_problems(out, codes, limits)
    except LimitExceeded as exc:
        raise ValidationFailed(str(exc)) from None
    out[over] = None
    problems += source_coordinate_problems(out, codes, crs, hint_crs=(settings or {}).get("SANIGRID_METRIC_CRS"))
    return _drop(out, problems), problems


def screen_lonlat(geoms, codes, settings) -> tuple[np.ndarray, list]:
    """Return (geometries, problems): EPSG:4326 geometries outside the metric CRS's area of use refused."""
    out = np.empty(len(geoms), dtype=object)
    out[:] = list(geoms)
    problems = metric_area_problems(out, codes, (settings or {}).get("SANIGRID_METRIC_CRS") or None)
    return _drop(out, problems), problems


def _drop(geoms: np.ndarray, problems) -> np.ndarray:
    for p in problems:
        if p.index is not None:
            geoms[p.index] = None
    return geoms
