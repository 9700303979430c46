"""Draw a community's grids: atoms → partition → grids, with the report the office reads.

Input and output are in a metric CRS (the caller projects); the grids are unions of atoms,
so they tile the community exactly. Every grid outside the household bounds carries the
reason the input did not allow better.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.optimize import linear_sum_assignment

from .atoms import Atoms, make_atoms
from .partition import Bounds, partition

__all__ = ["DrawnGrids", "draw_grids", "polsby_popper", "summary", "match_codes", "building_points"]

# An old grid's code passes to the new grid that shares at least this share of both areas (IoU).
MATCH_IOU = 0.5
UNION_GRID_M = 0.001


@dataclass
class DrawnGrids:
    """The proposal: grid polygons (metric), their households, compactness and exceptions."""

    geoms: np.ndarray
    households: np.ndarray
    polsby_popper: np.ndarray
    reasons: list
    bounds: Bounds
    atoms: Atoms
    labels: np.ndarray
    notes: list = field(default_factory=list)

    def within(self) -> np.ndarray:
        return np.array([self.bounds.contains(h) for h in self.households], dtype=bool)


def polsby_popper(geoms) -> np.ndarray:
    """4π·area / perimeter² per polygon (1 for a disc, ~0.785 for a square); metric geometries."""
    area = shapely.area(np.asarray(geoms, dtype=object))
    perim = shapely.length(np.asarray(geoms, dtype=object))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(perim > 0, 4 * math.pi * area / perim ** 2, 0.0)


def building_points(outline, geoms) -> tuple[np.ndarray, np.ndarray]:
    """Return (xy of a point inside the outline per building, mask of the buildings kept).

    A footprint straddling the outline counts where its part inside lies; one wholly outside
    is dropped.
    """
    geoms = np.asarray(geoms, dtype=object)
    inside = shapely.intersects(outline, geoms)
    part = shapely.intersection(geoms[inside], outline)
    points = shapely.point_on_surface(part)
    return shapely.get_coordinates(points).reshape(-1, 2), inside


def draw_grids(outline, points, households, bounds: Bounds, *, roads=None, seed: int = 0) -> DrawnGrids:
    """Tile ``outline`` with grids of whole atoms, households within ``bounds`` where possible."""
    atoms = make_atoms(outline, points, households, roads, split_above=bounds.max_households)
    labels = partition(atoms, bounds, seed=seed)
    k = int(labels.max()) + 1
    # Snap-rounded to a millimetre: atom edges cut by different operations meet only to rounding, and
    # an exact union would keep their nanometre gaps (a grid in pieces, a shell inside a hole).
    geoms = np.array([shapely.union_all(atoms.geoms[labels == r], grid_size=UNION_GRID_M) for r in range(k)],
                     dtype=object)
    counts = np.bincount(labels, weights=atoms.households, minlength=k).astype(np.int64)
    drawn = DrawnGrids(geoms, counts, polsby_popper(geoms), [None] * k, bounds, atoms, labels)
    drawn.reasons = _reasons(drawn)
    return drawn


def _reasons(drawn: DrawnGrids) -> list:
    """Why each grid outside the bounds could not be brought within them (None when within)."""
    b = drawn.bounds
    reasons = []
    for r, h in enumerate(drawn.households):
        if b.contains(h):
            reasons.append(None)
            continue
        mine = drawn.labels == r
        biggest = int(drawn.atoms.households[mine].max())
        if biggest > b.max_households:
            reasons.append(f"one building or block holds {biggest} households, more than the maximum "
                           f"{b.max_households}; it cannot be split")
        elif drawn.households.sum() < b.min_households or len(drawn.households) == 1:
            reasons.append(f"the whole area holds {int(drawn.households.sum())} households: "
                           f"too few for two grids of at least {b.min_households}")
        else:
            reasons.append(f"{int(h)} households: the buildings here cannot be grouped into contiguous grids "
                           f"of {b.min_households}–{b.max_households} (too coarse or cut off)")
    return reasons


def summary(drawn: DrawnGrids) -> dict:
    """Number of grids, households per grid (min, max, CV) and mean Polsby-Popper compactness."""
    h = drawn.households.astype(float)
    mean = h.mean() if len(h) else 0.0
    return {
        "grids": int(len(h)),
        "within_bounds": int(drawn.within().sum()),
        "households": int(h.sum()),
        "households_min": int(h.min()) if len(h) else 0,
        "households_max": int(h.max()) if len(h) else 0,
        "households_cv": round(float(h.std() / mean), 4) if mean else 0.0,
        "polsby_popper_mean": round(float(drawn.polsby_popper.mean()), 4) if len(h) else 0.0,
        "exceptions": [{"grid": i, "households": int(drawn.households[i]), "reason": r}
                       for i, r in enumerate(drawn.reasons) if r],
    }


def match_codes(new_geoms, old_codes, old_geoms) -> list:
    """Give each new grid the code of the old grid it mostly is (IoU ≥ 0.5), else None.

    One old code goes to at most one new grid (an optimal assignment on shared area), so a
    redraw keeps the codes, history and staff of the grids it barely changes.
    """
    new_geoms = np.asarray(new_geoms, dtype=object)
    old_geoms = np.asarray(old_geoms, dtype=object)
    out = [None] * len(new_geoms)
    if not len(new_geoms) or not len(old_geoms):
        return out
    tree = shapely.STRtree(old_geoms)
    ni, oi = tree.query(new_geoms, predicate="intersects")
    shared = shapely.area(shapely.intersection(new_geoms[ni], old_geoms[oi]))
    union = shapely.area(new_geoms[ni]) + shapely.area(old_geoms[oi]) - shared
    iou = np.where(union > 0, shared / union, 0.0)
    keep = iou >= MATCH_IOU
    if not keep.any():
        return out
    gain = np.zeros((len(new_geoms), len(old_geoms)))
    gain[ni[keep], oi[keep]] = iou[keep]
    rows, cols = linear_sum_assignment(gain, maximize=True)
    for r, c in zip(rows, cols):
        if gain[r, c] >= MATCH_IOU:
            out[r] = old_codes[c]
    return out
