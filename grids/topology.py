"""Checks of new grids against their communities and sibling grids, in a metric CRS.

A grid must lie inside its community (within a tolerance in metres) and must not overlap
another grid by more than a tolerance in square metres. Both are measured after
projecting to the metric CRS the caller gives: never in degrees.
"""
from __future__ import annotations

import numpy as np
import shapely

from .crs import check_geographic, to_metric
from .validation import Problem

__all__ = ["DEFAULT_OUTSIDE_TOLERANCE_M", "DEFAULT_OVERLAP_TOLERANCE_M2", "check_inside_communities",
           "check_overlaps"]

DEFAULT_OUTSIDE_TOLERANCE_M = 1.0
DEFAULT_OVERLAP_TOLERANCE_M2 = 1.0


def check_inside_communities(codes, communities, geoms, community_geoms: dict, metric_crs,
                             tolerance_m: float = DEFAULT_OUTSIDE_TOLERANCE_M) -> list[Problem]:
    """Return a problem for each grid that reaches outside its community by more than the tolerance.

    ``community_geoms`` maps community code to its EPSG:4326 boundary (None when the
    community has no boundary: nothing to check against).
    """
    check_geographic(metric_crs)
    wanted = sorted({c for c in communities if community_geoms.get(c) is not None})
    if not wanted:
        return []
    shells = dict(zip(wanted, to_metric([community_geoms[c] for c in wanted], metric_crs)))
    allowed = {c: shapely.buffer(g, tolerance_m) for c, g in shells.items()}
    for g in allowed.values():
        shapely.prepare(g)
    idx = [i for i, c in enumerate(communities) if c in allowed]
    metric = to_metric([geoms[i] for i in idx], metric_crs)
    problems = []
    for i, g in zip(idx, metric):
        limit = allowed[communities[i]]
        if shapely.within(g, limit):
            continue
        outside = shapely.area(shapely.difference(g, shells[communities[i]]))
        problems.append(Problem(i, codes[i], f"extends {outside:,.1f} m² outside its community "
                                             f"{communities[i]} (tolerance {tolerance_m:g} m)"))
    return problems


def check_overlaps(codes, geoms, other_codes, other_geoms, metric_crs,
                   tolerance_m2: float = DEFAULT_OVERLAP_TOLERANCE_M2) -> list[Problem]:
    """Return a problem for each pair of grids overlapping by more than the tolerance.

    ``codes``/``geoms`` are the grids being written; ``other_*`` the grids already in the
    register that stay (the ones being replaced must be left out by the caller). A pair
    of new grids is reported once.
    """
    check_geographic(metric_crs)
    n = len(geoms)
    all_codes = list(codes) + list(other_codes)
    all_geoms = np.asarray(to_metric(list(geoms) + list(other_geoms), metric_crs), dtype=object)
    if n == 0:
        return []
    tree = shapely.STRtree(all_geoms)
    left, right = tree.query(all_geoms[:n], predicate="intersects")
    keep = (left != right) & ~((right < n) & (right < left))
    left, right = left[keep], right[keep]
    keep = ~shapely.touches(all_geoms[left], all_geoms[right])
    left, right = left[keep], right[keep]
    areas = shapely.area(shapely.intersection(all_geoms[left], all_geoms[right]))
    problems = []
    for i, j, a in zip(left, right, areas):
        if a > tolerance_m2:
            problems.append(Problem(int(i), codes[i], f"overlaps grid {all_codes[j]} by {a:,.1f} m² "
                                                      f"(tolerance {tolerance_m2:g} m²)"))
    return problems
