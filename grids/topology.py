"""Checks of new grids against their communities and sibling grids, in a metric CRS.

A grid must lie inside its community (within a tolerance in metres) and must not overlap
another grid by more than a tolerance in square metres. Both are measured on geometries the
caller has projected once to the metric CRS it names (checked here): never in degrees.
"""
from __future__ import annotations

import numpy as np
import shapely

from .crs import check_geographic
from .validation import Problem

__all__ = ["DEFAULT_OUTSIDE_TOLERANCE_M", "DEFAULT_OVERLAP_TOLERANCE_M2", "check_inside_communities",
           "check_overlaps"]

DEFAULT_OUTSIDE_TOLERANCE_M = 1.0
DEFAULT_OVERLAP_TOLERANCE_M2 = 1.0


def check_inside_communities(codes, communities, geoms, community_geoms: dict, metric_crs,
                             tolerance_m: float = DEFAULT_OUTSIDE_TOLERANCE_M) -> list[Problem]:
    """Return a problem for each grid that reaches outside its community by more than the tolerance.

    ``geoms`` and the boundaries of ``community_geoms`` (community code → boundary, None when
    the community has none: nothing to check against) are already projected to ``metric_crs``,
    once by the caller. One vectorised ``within`` over all grids; the area outside is measured
    for the grids that fail it only.
    """
    check_geographic(metric_crs)
    wanted = sorted({c for c in communities if community_geoms.get(c) is not None})
    if not wanted:
        return []
    position = {c: k for k, c in enumerate(wanted)}
    shells = np.asarray([community_geoms[c] for c in wanted], dtype=object)
    allowed = shapely.buffer(shells, tolerance_m)
    shapely.prepare(allowed)
    at = np.fromiter((position.get(c, -1) for c in communities), dtype=np.int64, count=len(communities))
    idx = np.flatnonzero(at >= 0)
    geoms = np.asarray(geoms, dtype=object)
    bad = idx[~shapely.within(geoms[idx], allowed[at[idx]])]
    outside = shapely.area(shapely.difference(geoms[bad], shells[at[bad]]))
    return [Problem(int(i), codes[i], f"extends {area:,.1f} m² outside its community "
                                      f"{communities[i]} (tolerance {tolerance_m:g} m)")
            for i, area in zip(bad.tolist(), outside.tolist())]


def check_overlaps(codes, geoms, other_codes, other_geoms, metric_crs,
                   tolerance_m2: float = DEFAULT_OVERLAP_TOLERANCE_M2) -> list[Problem]:
    """Return a problem for each pair of grids overlapping by more than the tolerance.

    ``codes``/``geoms`` are the grids being written; ``other_*`` the grids already in the
    register that stay (the ones being replaced must be left out by the caller); every
    geometry is already projected to ``metric_crs``. One bulk STRtree query finds the pairs;
    a pair of new grids is reported once.
    """
    check_geographic(metric_crs)
    n = len(geoms)
    if n == 0:
        return []
    all_codes = list(codes) + list(other_codes)
    all_geoms = np.concatenate([np.asarray(geoms, dtype=object), np.asarray(other_geoms, dtype=object)])
    tree = shapely.STRtree(all_geoms)
    left, right = tree.query(all_geoms[:n], predicate="intersects")
    keep = (left != right) & ~((right < n) & (right < left))
    left, right = left[keep], right[keep]
    keep = ~shapely.touches(all_geoms[left], all_geoms[right])
    left, right = left[keep], right[keep]
    areas = shapely.area(shapely.intersection(all_geoms[left], all_geoms[right]))
    over = areas > tolerance_m2
    return [Problem(int(i), codes[i], f"overlaps grid {all_codes[j]} by {a:,.1f} m² (tolerance {tolerance_m2:g} m²)")
            for i, j, a in zip(left[over].tolist(), right[over].tolist(), areas[over].tolist())]
