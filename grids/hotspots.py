"""Hotspots: grids where problem reports pile up, month by month.

A report is a point with a date. Each report is located in the grid that holds it (the same
:class:`~grids.locate.GridIndex` kernel as ``locate``), reports are counted per grid and month,
and a grid-month is a hotspot when its count is at least ``min_reports`` and at least
``z`` standard deviations above that month's mean over all grids (grids without a report count
as zero). Counting is exact integer work, so any partitioning of the reports — one process
here, many dask workers in :mod:`grids.distributed` — gives the same table.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .locate import GridIndex

__all__ = ["HOTSPOT_Z", "MIN_REPORTS", "locate_reports", "count_reports", "hotspots", "hotspots_of",
           "write_reports", "read_reports", "reports_from_points"]

HOTSPOT_Z = 2.0
MIN_REPORTS = 5
COUNT_COLUMNS = ["grid", "month", "reports"]


def locate_reports(index: GridIndex, reports: pd.DataFrame) -> pd.DataFrame:
    """Return ``grid`` and ``month`` (YYYY-MM) of every report that lies in a grid.

    ``reports`` needs ``lon``, ``lat`` (EPSG:4326) and ``at`` (datetime-like). Reports outside
    every grid are dropped: they belong to the coverage-gap report, not to a grid's record.
    """
    grid = index.locate_xy(reports["lon"].to_numpy(), reports["lat"].to_numpy())
    month = pd.to_datetime(reports["at"]).dt.strftime("%Y-%m").to_numpy()
    keep = grid != None  # noqa: E711 (element-wise on an object array)
    return pd.DataFrame({"grid": grid[keep].astype(str), "month": month[keep]})


def count_reports(located: pd.DataFrame) -> pd.DataFrame:
    """Count located reports per grid and month (columns grid, month, reports)."""
    counts = located.groupby(["grid", "month"], sort=False).size()
    return counts.rename("reports").reset_index()[COUNT_COLUMNS]


def hotspots(counts: pd.DataFrame, n_grids: int, z: float = HOTSPOT_Z,
             min_reports: int = MIN_REPORTS) -> pd.DataFrame:
    """Flag the hotspot grid-months in a count table; sorted by month, then most reports first.

    ``counts`` may hold partial counts of one grid-month in several rows (one per partition):
    they are summed first. ``n_grids`` is the number of grids in the register, so grids without a
    report weigh in as zeros in each month's mean and standard deviation.
    """
    if n_grids < 1:
        raise ValueError("n_grids must be at least 1")
    table = counts.groupby(["grid", "month"], as_index=False)["reports"].sum()
    month = table.groupby("month")["reports"]
    total, squares = month.transform("sum"), table["reports"].pow(2).groupby(table["month"]).transform("sum")
    mean = total / n_grids
    std = np.sqrt(np.maximum(squares / n_grids - mean ** 2, 0.0))
    table["mean"] = mean
    table["z"] = ((table["reports"] - mean) / std.where(std > 0)).fillna(0.0)  # a month of equal counts: z = 0
    flagged = table[(table["reports"] >= min_reports) & (table["z"] >= z)]
    return flagged.sort_values(["month", "reports", "grid"], ascending=[True, False, True],
                               ignore_index=True)


def hotspots_of(index: GridIndex, reports: pd.DataFrame, z: float = HOTSPOT_Z,
                min_reports: int = MIN_REPORTS) -> pd.DataFrame:
    """The single-process path: locate, count and flag in one go."""
    return hotspots(count_reports(locate_reports(index, reports)), len(index), z, min_reports)


def reports_from_points(points) -> pd.DataFrame:
    """Turn a GeoDataFrame of report points (EPSG:4326, column ``at``) into lon/lat/at columns."""
    return pd.DataFrame({"lon": points.geometry.x.to_numpy(), "lat": points.geometry.y.to_numpy(),
                         "at": points["at"].to_numpy()})


def write_reports(reports: pd.DataFrame, folder) -> list:
    """Store reports as GeoParquet, one file per month: the layout a cluster reads in parallel."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    month = pd.to_datetime(reports["at"]).dt.strftime("%Y-%m")
    written = []
    for name, part in reports.groupby(month, sort=True):
        frame = gpd.GeoDataFrame({"at": part["at"].to_numpy()},
                                 geometry=gpd.points_from_xy(part["lon"], part["lat"]), crs="EPSG:4326")
        written.append(folder / f"reports-{name}.parquet")
        frame.to_parquet(written[-1], index=False)
    return written


def read_reports(folder) -> pd.DataFrame:
    """Read every report file of :func:`write_reports` into one lon/lat/at table (one process)."""
    files = sorted(Path(folder).glob("reports-*.parquet"))
    if not files:
        raise FileNotFoundError(f"no reports-*.parquet files in {folder}")
    return pd.concat([reports_from_points(gpd.read_parquet(f)) for f in files], ignore_index=True)
