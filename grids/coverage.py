"""Spatial coverage of regions by their grids: holes, slivers, overlaps, grids out of bounds.

Everything here works on geometries already projected to a metric CRS (metres), never on
degrees. A grid belongs to exactly one region (属地管理): a region's hole is the part of it
that none of *its own* grids cover, and a grid's out-of-bounds area is the part of it outside
its own region. So the holes plus the out-of-bounds areas of a region and its grids add up
to the symmetric difference of the region and the union of its grids.

Why shapely's coverage functions: ``coverage_invalid_edges`` (GEOS CoverageValidator) finds,
in one linear pass over shared edges, every grid whose edges do not match its neighbours'
(overlaps, and grids lying inside others, among them). Only those grids need the expensive
pairwise ``intersection``; and where no grid of a region is flagged the grids form a valid
coverage, so ``coverage_union_all`` (edge cancelling, many times faster than ``union_all``)
is exact there. On grids that are *not* a valid coverage ``coverage_union_all`` returns wrong
results, so a region with a flagged grid falls back to ``union_all``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

__all__ = ["DUST_M2", "NOISE_WIDTH_M", "flag_invalid_edges", "assign_regions", "union_per_region", "mismatch", "holes",
           "overlaps", "outside"]

DUST_M2 = 0.01  # pieces smaller than 1 dm² are floating-point dust of the overlay, not gaps
# The register stores coordinates at 1e-7° (about 1 cm): independently rounded edges of a region
# and its grids leave strips up to about 1 cm wide. A piece thinner than this on average
# (2 × area / perimeter) is rounding noise, not a gap.
NOISE_WIDTH_M = 0.01
EPSILON_M = 1e-7  # shared edges of a region and its grids may differ by this much (floating-point noise)


def _array(geoms) -> np.ndarray:
    return np.asarray(geoms, dtype=object)


def flag_invalid_edges(geoms) -> np.ndarray:
    """Flag the grids whose edges do not match their neighbours' as a coverage.

    Parameters
    ----------
    geoms : array_like of shapely.Geometry
        Grid polygons in a metric CRS.

    Returns
    -------
    numpy.ndarray of bool
        True for each grid with an invalid coverage edge (it overlaps, lies inside or
        misaligns with another grid); False for grids that fit their neighbours exactly.
    """
    geoms = _array(geoms)
    if len(geoms) == 0:
        return np.zeros(0, dtype=bool)
    return ~shapely.is_empty(shapely.coverage_invalid_edges(geoms))


def assign_regions(codes, geoms, region_codes, region_geoms) -> np.ndarray:
    """Return the region each grid belongs to: by code first, else by largest overlap.

    Parameters
    ----------
    codes : array_like of str or None
        Grid codes; a code equal to a region code, or starting with one (a 15-digit grid
        code starts with its community's 12 digits), names its region.
    geoms : array_like of shapely.Geometry
        Grid polygons in a metric CRS.
    region_codes, region_geoms : array_like
        The regions grids may belong to (usually the communities), same metric CRS.

    Returns
    -------
    numpy.ndarray of object
        One region code per grid; None where a grid neither names nor touches a region.
    """
    known = set(region_codes)
    out = np.array([_by_code(c, known) for c in codes], dtype=object)
    todo = np.flatnonzero(pd.isna(out))
    if len(todo) and len(region_codes):
        out[todo] = _by_overlap(_array(geoms)[todo], np.asarray(region_codes, dtype=object), _array(region_geoms))
    return out


def _by_code(code, known: set):
    if not isinstance(code, str):
        return None
    for width in (len(code), 12, 9, 6):
        if code[:width] in known:
            return code[:width]
    return None


def _by_overlap(geoms, region_codes, region_geoms) -> np.ndarray:
    left, right = shapely.STRtree(region_geoms).query(geoms, predicate="intersects")
    areas = shapely.area(shapely.intersection(geoms[left], region_geoms[right]))
    out = np.full(len(geoms), None, dtype=object)
    best = pd.DataFrame({"g": left, "r": right, "a": areas}).sort_values("a").groupby("g").tail(1)
    best = best[best["a"] > 0]
    out[best["g"].to_numpy()] = region_codes[best["r"].to_numpy()]
    return out


def union_per_region(grid_region, geoms, flagged, region_codes) -> np.ndarray:
    """Return the union of each region's grids (an empty polygon for a region without grids).

    The unflagged grids of a region are a valid coverage: ``coverage_union_all`` unites them
    exactly; the flagged ones (few) are added with ``union_all``.
    """
    geoms, flagged = _array(geoms), np.asarray(flagged, dtype=bool)
    members = pd.Series(np.arange(len(geoms))).groupby(pd.Series(np.asarray(grid_region, dtype=object))).indices
    out = np.full(len(region_codes), shapely.Polygon(), dtype=object)
    for i, code in enumerate(region_codes):
        idx = members.get(code)
        if idx is None:
            continue
        bad = flagged[idx]
        out[i] = shapely.coverage_union_all(geoms[idx[~bad]])
        if bad.any():
            out[i] = shapely.union_all(np.append(geoms[idx[bad]], out[i]))
    return out


def mismatch(region_codes, region_geoms, unions) -> pd.DataFrame:
    """Return the pieces where each region and the union of its grids differ, in one overlay.

    Columns: region, inside (True: a piece of the region its grids miss; False: grids
    spilling over its boundary), area_m2, geometry. Pieces below :data:`DUST_M2` or thinner than
    :data:`NOISE_WIDTH_M` are dropped.
    """
    shells, unions = _array(region_geoms), _array(unions)
    todo = np.flatnonzero(~_matching(shells, unions))
    diff = shapely.symmetric_difference(shells[todo], unions[todo])
    parts, index = shapely.get_parts(diff, return_index=True)
    index = todo[index]
    polygonal = shapely.get_type_id(parts) == 3
    parts, index = parts[polygonal], index[polygonal]
    areas = shapely.area(parts)
    keep = (areas >= DUST_M2) & (2 * areas >= NOISE_WIDTH_M * shapely.length(parts))
    parts, index, areas = parts[keep], index[keep], areas[keep]
    shapely.prepare(shells)
    probe = shapely.point_on_surface(parts)
    inside = shapely.contains(shells[index], probe) if len(parts) else np.zeros(0, dtype=bool)
    return pd.DataFrame({"region": np.asarray(region_codes, dtype=object)[index], "inside": inside,
                         "area_m2": areas, "geometry": parts})


def _matching(shells, unions) -> np.ndarray:
    """Flag regions whose grids' union provably differs from them by less than dust: no overlay needed.

    The union lies within the region grown by :data:`EPSILON_M` (floating-point noise of shared
    edges), and the areas leave no room for a piece of :data:`DUST_M2`: area(region − union)
    = area(region) − area(union) + area(union − region) ≤ that difference + 2 × perimeter × ε.
    """
    grown = shapely.buffer(shells, EPSILON_M, quad_segs=1, join_style="mitre")
    shapely.prepare(grown)
    slack = shapely.area(shells) - shapely.area(unions) + 2 * shapely.length(shells) * EPSILON_M
    return shapely.covers(grown, unions) & (slack < DUST_M2)


def holes(pieces: pd.DataFrame, sliver_area_m2: float) -> pd.DataFrame:
    """Return the uncovered pieces (:func:`mismatch`) as region, kind (hole or sliver), area_m2, geometry.

    A piece smaller than ``sliver_area_m2`` is a ``sliver`` (reported apart from holes).
    """
    found = pieces[pieces["inside"]].drop(columns="inside").reset_index(drop=True)
    found.insert(1, "kind", np.where(found["area_m2"] < sliver_area_m2, "sliver", "hole"))
    return found


def overlaps(codes, geoms, flagged, tolerance_m2: float, tree=None) -> pd.DataFrame:
    """Return every pair of grids overlapping by more than ``tolerance_m2``: code, other, area_m2, geometry.

    Only flagged grids (:func:`flag_invalid_edges`) are queried against all grids (``tree``:
    an STRtree of ``geoms`` when the caller has one); a grid lying wholly inside another is
    found too (the ``overlaps`` predicate would miss it).
    """
    geoms, codes = _array(geoms), np.asarray(codes, dtype=object)
    flagged = np.flatnonzero(flagged)
    if len(flagged) == 0:
        return pd.DataFrame({"code": [], "other": [], "area_m2": [], "geometry": []})
    left, right = (tree or shapely.STRtree(geoms)).query(geoms[flagged], predicate="intersects")
    left = flagged[left]
    both = np.isin(right, flagged)
    keep = (left != right) & ~(both & (right < left))
    left, right = left[keep], right[keep]
    shared = shapely.intersection(geoms[left], geoms[right])
    areas = shapely.area(shared)
    big = areas > tolerance_m2
    first, second = codes[left[big]], codes[right[big]]
    swap = np.array([str(a) > str(b) for a, b in zip(first, second)], dtype=bool)
    first[swap], second[swap] = second[swap], first[swap].copy()
    return pd.DataFrame({"code": first, "other": second, "area_m2": areas[big], "geometry": shared[big]})


def outside(codes, geoms, grid_region, region_codes, region_geoms, pieces, tolerance_m: float,
            tree=None) -> pd.DataFrame:
    """Return each grid reaching outside its region by more than ``tolerance_m``.

    A grid's part outside its region is its share of the region's spill pieces (``pieces``
    from :func:`mismatch` with inside False), so only grids touching a spill are measured.
    ``tree`` is an STRtree of ``geoms`` when the caller has one. Columns: code, region
    (None for a grid in no region: all of it is outside), area_m2, geometry.
    """
    geoms, codes = _array(geoms), np.asarray(codes, dtype=object)
    grid_region = np.asarray(grid_region, dtype=object)
    idx, parts = _spilled_parts(geoms, grid_region, pieces[~pieces["inside"]], tree or shapely.STRtree(geoms))
    areas = shapely.area(parts)
    shells = dict(zip(region_codes, _array(region_geoms)))
    mine = np.array([shells[r] for r in grid_region[idx]], dtype=object)
    far = ~shapely.within(parts, shapely.buffer(mine, tolerance_m)) if len(idx) else np.zeros(0, dtype=bool)
    known = set(region_codes)
    lost = np.flatnonzero([r not in known for r in grid_region])
    return pd.DataFrame({"code": np.append(codes[idx[far]], codes[lost]),
                         "region": np.append(grid_region[idx[far]], [None] * len(lost)),
                         "area_m2": np.append(areas[far], shapely.area(geoms[lost])),
                         "geometry": np.append(parts[far], geoms[lost])})


def _spilled_parts(geoms, grid_region, spill: pd.DataFrame, tree) -> tuple[np.ndarray, np.ndarray]:
    """Return (grid index, part outside its region) for each grid sharing area with its region's spill."""
    spill_geoms = np.asarray(spill["geometry"], dtype=object)
    si, gi = tree.query(spill_geoms, predicate="intersects")
    same = grid_region[gi] == np.asarray(spill["region"], dtype=object)[si]
    si, gi = si[same], gi[same]
    cut = shapely.intersection(geoms[gi], spill_geoms[si])
    big = shapely.area(cut) >= DUST_M2
    pairs = pd.DataFrame({"grid": gi[big], "part": cut[big]})
    grouped = pairs.groupby("grid")["part"].agg(lambda p: p.iloc[0] if len(p) == 1 else shapely.union_all(list(p)))
    return grouped.index.to_numpy(dtype=int), grouped.to_numpy(dtype=object)
