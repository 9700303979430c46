"""Bare import paths for bench/register.py: what plain pyogrio, shapely, pandas and sqlite3 do at least.

Grids: pyogrio read, ``shapely.is_valid`` on the array, one projection to the metric CRS, the
coverage check (each grid within its community buffered by the tolerance, elementwise; overlaps
from one bulk STRtree ``intersects`` query, touching pairs dropped, intersection area above the
tolerance) and one ``executemany`` of the rows into a fresh SQLite table. People: ``pandas.read_csv``
and one ``executemany``. No checks of fields, codes, CRS or history: the floor an import stands on.
"""
from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

__all__ = ["bare_grids", "bare_people"]

_GRID_COLUMNS = ["code", "community", "name", "type", "households", "population", "sign_lon", "sign_lat"]


def bare_grids(path, db_path, communities: dict, metric_crs, outside_m: float, overlap_m2: float) -> dict:
    """Read, validate, check coverage and write ``path``'s grids; return what it found."""
    frame = pyogrio.read_dataframe(path)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    valid = shapely.is_valid(geoms)
    project = pyproj.Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    metric = shapely.transform(geoms, lambda xy: np.column_stack(project.transform(xy[:, 0], xy[:, 1])))
    codes = list(communities)
    shells = shapely.transform(np.asarray([communities[c] for c in codes], dtype=object),
                               lambda xy: np.column_stack(project.transform(xy[:, 0], xy[:, 1])))
    allowed = shapely.buffer(shells, outside_m)
    shapely.prepare(allowed)
    at = pd.Index(codes).get_indexer(frame["community"])
    inside = shapely.within(metric, allowed[at])
    left, right = shapely.STRtree(metric).query(metric, predicate="intersects")
    left, right = left[left < right], right[left < right]
    keep = ~shapely.touches(metric[left], metric[right])
    areas = shapely.area(shapely.intersection(metric[left[keep]], metric[right[keep]]))
    bounds = shapely.bounds(geoms)
    rows = zip(*(frame[c].tolist() for c in _GRID_COLUMNS), shapely.to_wkb(geoms).tolist(),
               *bounds.T.tolist(), shapely.area(metric).tolist())
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE grids (code TEXT PRIMARY KEY, community TEXT, name TEXT, type TEXT, "
                   "households INTEGER, population INTEGER, sign_lon REAL, sign_lat REAL, geom BLOB, "
                   "minx REAL, miny REAL, maxx REAL, maxy REAL, area_m2 REAL)")
        db.executemany(f"INSERT INTO grids VALUES ({', '.join(['?'] * 14)})", rows)
    return {"invalid": int((~valid).sum()), "outside": int((~inside).sum()),
            "overlaps": int((areas > overlap_m2).sum())}


def bare_people(path, db_path) -> int:
    """Read the people CSV and write its rows into a fresh SQLite table; return the row count."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    table = table.astype(object).where(table.notna(), None)
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE people (name TEXT, phone TEXT, photo TEXT, grid TEXT, role TEXT, backup TEXT)")
        db.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)",
                       table[["name", "phone", "photo", "grid", "role", "backup"]].itertuples(index=False, name=None))
    return len(table)
