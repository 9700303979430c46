"""Monthly case measures (月评指标) per grid, community, street, district, unit and person.

The formulas, for the cases whose deadline falls in the month (``due``):

- ``deferred``: due cases granted a deferral (缓办); they leave the denominators.
- ``closed``: due cases, not deferred, closed (结案) before the month ends; ``closed_on_time``
  those closed by their deadline. Counting only closures inside the month freezes a past month:
  closing an old case later does not change it.
- ``closure_rate`` = closed / (due − deferred); ``on_time_rate`` = closed_on_time / (due − deferred);
  ``rework_rate`` = closed cases that were reworked at least once / closed; the ``emergency_``
  rates are the same on emergency cases only. Percentages, two decimals; empty denominators NaN.
- ``mean_days_to_close``: mean working days from registration to closure of the closed cases.

A published monthly report (972 due, 911 closed, 737 on time, none deferred) gives 93.72 % and
75.82 %; the test suite reproduces it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .workdays import WorkCalendar, working_days_array

__all__ = ["KPI_LEVELS", "KPI_COLUMNS", "case_flags", "monthly_kpis", "month_bounds"]

KPI_LEVELS = {"grid": 15, "community": 12, "street": 9, "district": 6}  # code widths; unit and person by column
KPI_COLUMNS = ["due", "deferred", "closed", "closed_on_time", "reworked", "emergency_due", "emergency_deferred",
               "emergency_closed", "emergency_closed_on_time", "closure_rate", "on_time_rate", "rework_rate",
               "emergency_closure_rate", "emergency_on_time_rate", "mean_days_to_close"]
_COUNTS = ["due", "deferred", "closed", "closed_on_time", "reworked", "emergency_due", "emergency_deferred",
           "emergency_closed", "emergency_closed_on_time", "days_to_close"]


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``YYYY-MM`` → [first moment, first moment of the next month)."""
    try:
        start = pd.Timestamp(f"{month}-01")
    except ValueError:
        raise ValueError(f"month must be YYYY-MM, got {month!r}") from None
    if len(month) != 7 or month[4] != "-":
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return start, start + pd.offsets.MonthBegin(1)


def case_flags(cases: pd.DataFrame, month: str, calendar: WorkCalendar | None = None) -> pd.DataFrame:
    """One row per due case with 0/1 flags, computed once for every level.

    ``cases`` columns: grid (15-digit code), registered_at, deadline, closed_at (NaT when open),
    deferred (bool), reworks (int), severity (``emergency`` or ``normal``); optional unit, person.
    """
    start, end = month_bounds(month)
    deadline = pd.to_datetime(cases["deadline"]).to_numpy()
    due = (deadline >= start.to_datetime64()) & (deadline < end.to_datetime64())
    frame = cases.loc[due]
    closed_at = pd.to_datetime(frame["closed_at"]).to_numpy()
    deferred = frame["deferred"].to_numpy(bool)
    closed = ~np.isnat(closed_at) & (closed_at < end.to_datetime64()) & ~deferred
    on_time = closed & (closed_at <= deadline[due])
    emergency = frame["severity"].to_numpy() == "emergency"
    flags = pd.DataFrame({
        "grid": frame["grid"].to_numpy(), "due": 1, "deferred": deferred.astype(int), "closed": closed.astype(int),
        "closed_on_time": on_time.astype(int), "reworked": (closed & (frame["reworks"].to_numpy() > 0)).astype(int),
        "emergency_due": emergency.astype(int), "emergency_deferred": (emergency & deferred).astype(int), "emergency_closed": (emergency & closed).astype(int),
        "emergency_closed_on_time": (emergency & on_time).astype(int)}, index=frame.index)
    days = np.zeros(len(frame))
    if closed.any():
        days[closed] = working_days_array(calendar or WorkCalendar(), frame["registered_at"].to_numpy()[closed],
                                          closed_at[closed])
    flags["days_to_close"] = days
    for optional in ("unit", "person"):
        if optional in frame:
            flags[optional] = frame[optional].to_numpy()
    return flags


def _rates(sums: pd.DataFrame) -> pd.DataFrame:
    def pct(part, whole):
        whole = whole.astype(float)
        return (100 * part / whole.where(whole > 0)).round(2)

    active = sums["due"] - sums["deferred"]
    sums["closure_rate"] = pct(sums["closed"], active)
    sums["on_time_rate"] = pct(sums["closed_on_time"], active)
    sums["rework_rate"] = pct(sums["reworked"], sums["closed"])
    emergency_active = sums["emergency_due"] - sums["emergency_deferred"]
    sums["emergency_closure_rate"] = pct(sums["emergency_closed"], emergency_active)
    sums["emergency_on_time_rate"] = pct(sums["emergency_closed_on_time"], emergency_active)
    sums["mean_days_to_close"] = (sums["days_to_close"] / sums["closed"].where(sums["closed"] > 0)).round(2)
    return sums.drop(columns="days_to_close")


def monthly_kpis(cases: pd.DataFrame, month: str, calendar: WorkCalendar | None = None,
                 levels=("grid", "community", "street", "district", "unit", "person")) -> pd.DataFrame:
    """The month's measures, one row per (level, code), columns :data:`KPI_COLUMNS`."""
    flags = case_flags(cases, month, calendar)
    grid = flags["grid"].astype(str)
    parts = []
    for level in levels:
        if level in KPI_LEVELS:
            key = grid.str.slice(0, KPI_LEVELS[level])
        elif level in flags:
            key = flags[level]
        else:
            continue
        sums = flags[_COUNTS].groupby(key.rename("code"), sort=True).sum()
        parts.append(_rates(sums).reset_index().assign(level=level))
    if not parts:
        return pd.DataFrame(columns=["level", "code", *KPI_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    return out[["level", "code", *KPI_COLUMNS]]
