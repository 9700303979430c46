"""Streets and buildings for benchmarks: roads along the grid edges of a city, buildings along the roads.

Grid edges follow streets in a real city, so the roads of the generated city are the unique
edges of its smaller (built-up) grids, merged between junctions; about a third are main roads
(16–30 m wide), the rest lanes (5–8 m). Rectangular buildings stand in rows along both sides of
every edge, set back behind the kerb of a main road or a few metres from a lane's centreline.
Deterministic for a seed; everything in the grids' metric CRS.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["StreetCity", "street_city"]

_PITCH_M = 20.0   # one building per 20 m of street and side
_MARGIN_M = 14.0  # no building within this of a junction or a bend


@dataclass
class StreetCity:
    roads: np.ndarray      # LineStrings
    kinds: np.ndarray      # "main" | "lane"
    widths: np.ndarray     # metres
    buildings: np.ndarray  # Polygons
    walls: np.ndarray      # each building's wall on its street (LineString)
    zones: np.ndarray      # each building's zone by construction, wall to kerb or centreline (Polygon)


def street_city(grid_geoms, n_buildings: int, seed: int = 0) -> StreetCity:
    """Roads along the edges of the smallest grids, and about ``n_buildings`` buildings along them."""
    rng = np.random.default_rng(seed)
    geoms = np.asarray(grid_geoms, dtype=object)
    order = np.argsort(shapely.area(geoms), kind="stable")
    for share in np.linspace(0.1, 1.0, 10):  # the fewest, smallest grids whose edges hold the buildings
        roads = _roads(geoms[order[: int(share * len(geoms))]])
        if _slots(roads).sum() * 2 >= n_buildings:
            break
    kinds = np.where(rng.random(len(roads)) < 0.35, "main", "lane").astype(object)
    widths = np.where(kinds == "main", rng.choice([16.0, 20.0, 24.0, 30.0], len(roads)),
                      rng.choice([5.0, 6.0, 8.0], len(roads)))
    return StreetCity(roads, kinds, widths, *_buildings(roads, kinds, widths, n_buildings, rng))


def _roads(geoms) -> np.ndarray:
    """The unique edges of the grids' outlines, merged into lines between junctions."""
    rings = shapely.get_exterior_ring(shapely.get_parts(geoms))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[:-1] == ring[1:]
    a, b = np.round(xy[:-1][same], 3), np.round(xy[1:][same], 3)
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    a[swap], b[swap] = b[swap], a[swap].copy()
    ends = np.unique(np.hstack([a, b]), axis=0)
    ends = ends[np.hypot(ends[:, 2] - ends[:, 0], ends[:, 3] - ends[:, 1]) > 0]
    merged = shapely.line_merge(shapely.multilinestrings(shapely.linestrings(ends.reshape(-1, 2, 2))))
    return shapely.get_parts(merged)


def _segments(roads):
    xy, road = shapely.get_coordinates(roads, return_index=True)
    same = road[:-1] == road[1:]
    return xy[:-1][same], xy[1:][same], road[:-1][same]


def _slots(roads) -> np.ndarray:
    a, b, _ = _segments(roads)
    return np.maximum(np.floor((np.hypot(*(b - a).T) - 2 * _MARGIN_M) / _PITCH_M), 0).astype(int)


def _buildings(roads, kinds, widths, n_buildings, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b, road = _segments(roads)
    length = np.hypot(*(b - a).T)
    slots = np.maximum(np.floor((length - 2 * _MARGIN_M) / _PITCH_M), 0).astype(int)
    seg = np.repeat(np.arange(len(a)), slots)
    i = np.arange(len(seg)) - np.repeat(np.cumsum(slots) - slots, slots)
    seg, i = np.repeat(seg, 2), np.repeat(i, 2)
    side = np.tile([1.0, -1.0], len(seg) // 2)
    keep = np.sort(rng.choice(len(seg), min(n_buildings, len(seg)), replace=False))
    seg, i, side = seg[keep], i[keep], side[keep]
    u = (b - a)[seg] / length[seg, None]
    n = np.column_stack([-u[:, 1], u[:, 0]]) * side[:, None]
    r = road[seg]
    kerb = np.where(kinds[r] == "main", widths[r] / 2, 0.0)
    setback = kerb + rng.uniform(2.0, 6.0, len(seg))
    width, depth = _PITCH_M - rng.uniform(1.0, 5.0, len(seg)), rng.uniform(10.0, 16.0, len(seg))
    start = a[seg] + u * (_MARGIN_M + i * _PITCH_M)[:, None] + n * setback[:, None]
    end = start + u * width[:, None]
    corners = [start, end, end + n * depth[:, None], start + n * depth[:, None]]
    kerb_side = [start, end, end - n * (setback - kerb)[:, None], start - n * (setback - kerb)[:, None]]
    return (shapely.polygons(np.stack(corners, axis=1)), shapely.linestrings(np.stack([start, end], axis=1)),
            shapely.polygons(np.stack(kerb_side, axis=1)))
