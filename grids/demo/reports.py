"""A year of generated problem reports (points with dates) for the hotspot analysis and its benchmark.

Grids get a random report intensity from a gamma distribution with shape 0.5, so most grids
see a few reports and a few grids see many — the shape real complaint logs have. About 1 % of
the reports fall outside every grid (within a margin of a tenth of the register's extent around
its bounding box, so there is always room outside), as real logs hold.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

__all__ = ["year_of_reports"]


def year_of_reports(geometries, n_reports: int, year: int = 2026, seed: int = 0) -> pd.DataFrame:
    """Return ``n_reports`` reports (columns lon, lat, at) over the grids ``geometries`` (EPSG:4326)."""
    rng = np.random.default_rng(seed)
    geometries = np.asarray(geometries, dtype=object)
    if not len(geometries) or n_reports < 0:
        raise ValueError("need at least one grid and a non-negative number of reports")
    n_outside = n_reports // 100
    weights = rng.gamma(0.5, size=len(geometries))
    owner = rng.choice(len(geometries), size=n_reports - n_outside, p=weights / weights.sum())
    lon, lat = _points_inside(geometries, owner, rng)
    minx, miny, maxx, maxy = shapely.total_bounds(geometries)
    mx, my = (maxx - minx) / 10, (maxy - miny) / 10
    out_lon, out_lat = _points_outside(geometries, n_outside, (minx - mx, miny - my, maxx + mx, maxy + my), rng)
    start = np.datetime64(f"{year}-01-01T00:00:00")
    seconds = (np.datetime64(f"{year + 1}-01-01T00:00:00") - start).astype("int64")
    at = start + rng.integers(0, seconds, size=n_reports).astype("timedelta64[s]")
    order = rng.permutation(n_reports)
    return pd.DataFrame({"lon": np.concatenate([lon, out_lon])[order],
                         "lat": np.concatenate([lat, out_lat])[order], "at": at})


def _points_inside(geometries, owner, rng):
    """Rejection-sample one point inside ``geometries[owner[i]]`` for each i (vectorised)."""
    bounds = shapely.bounds(geometries)
    lon, lat = np.empty(len(owner)), np.empty(len(owner))
    todo = np.arange(len(owner))
    while len(todo):
        b = bounds[owner[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        hit = shapely.contains_xy(geometries[owner[todo]], x, y)
        lon[todo[hit]], lat[todo[hit]] = x[hit], y[hit]
        todo = todo[~hit]
    return lon, lat


def _points_outside(geometries, n, box, rng):
    """Sample ``n`` points in ``box`` that no grid holds."""
    tree = shapely.STRtree(geometries)
    lon, lat = [], []
    while sum(map(len, lon)) < n:
        x, y = rng.uniform(box[0], box[2], size=4 * n + 16), rng.uniform(box[1], box[3], size=4 * n + 16)
        inside = np.zeros(len(x), dtype=bool)
        pidx, gidx = tree.query(shapely.points(x, y), predicate="within")
        inside[pidx] = True
        lon.append(x[~inside])
        lat.append(y[~inside])
    return np.concatenate(lon)[:n], np.concatenate(lat)[:n]
