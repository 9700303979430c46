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


def case_flags(cases: pd.DataFrame, month: str, calendar: WorkCalendar | None = None) -> tuple:
    """The month's due cases as (grid codes, count matrix with :data:`_COUNTS` columns, optional keys).

    ``cases`` columns: grid (15-digit code), registered_at, deadline, closed_at (NaT when open),
    deferred (bool), reworks (int), severity (``emergency`` or ``normal``); optional unit, person.
    The flags are computed once, on numpy arrays, for every level.
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
    days = np.zeros(len(frame))
    if closed.any():
        days[closed] = working_days_array(calendar or WorkCalendar(), frame["registered_at"].to_numpy()[closed],
                                          closed_at[closed])
    counts = np.column_stack([np.ones(len(frame)), deferred, closed, on_time, closed & (frame["reworks"].to_numpy() > 0),
                              emergency, emergency & deferred, emergency & closed, emergency & on_time, days])
    extra = {name: frame[name].reset_index(drop=True) for name in ("unit", "person") if name in frame}
    return frame["grid"].reset_index(drop=True), counts.astype(float), extra


def _sums(keys, counts) -> pd.DataFrame:
    """Column sums of ``counts`` per key, in order of first appearance (one bincount per column).

    ``keys`` as a pandas Series where they come from a frame: an Arrow string column factorizes
    without turning every value into a Python object.
    """
    codes, uniques = pd.factorize(keys)
    sums = np.column_stack([np.bincount(codes, weights=counts[:, j], minlength=len(uniques))
                            for j in range(counts.shape[1])]) if len(uniques) else np.zeros((0, counts.shape[1]))
    return pd.DataFrame(sums, columns=_COUNTS, index=pd.Index(uniques, name="code"))


def _rates(sums: pd.DataFrame) -> pd.DataFrame:
    values = {c: sums[c].to_numpy() for c in _COUNTS}

    def pct(part, whole):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.round(np.where(whole > 0, 100 * part / np.where(whole > 0, whole, 1), np.nan), 2)

    active = values["due"] - values["deferred"]
    emergency_active = values["emergency_due"] - values["emergency_deferred"]
    out = {c: values[c].astype(np.int64) for c in _COUNTS if c != "days_to_close"}
    out.update(closure_rate=pct(values["closed"], active), on_time_rate=pct(values["closed_on_time"], active),
               rework_rate=pct(values["reworked"], values["closed"]),
               emergency_closure_rate=pct(values["emergency_closed"], emergency_active),
               emergency_on_time_rate=pct(values["emergency_closed_on_time"], emergency_active),
               mean_days_to_close=pct(values["days_to_close"], values["closed"]) / 100)
    out["mean_days_to_close"] = np.round(out["mean_days_to_close"], 2)
    return pd.DataFrame(out, index=sums.index)


def monthly_kpis(cases: pd.DataFrame, month: str, calendar: WorkCalendar | None = None,
                 levels=("grid", "community", "street", "district", "unit", "person")) -> pd.DataFrame:
    """The month's measures, one row per (level, code), columns :data:`KPI_COLUMNS`.

    Cases are summed once per grid; communities, streets and districts sum the grids' rows by
    code prefix, so each level costs the number of grids, not of cases.
    """
    grids, counts, extra = case_flags(cases, month, calendar)
    per_grid = _sums(grids.astype(str), counts)
    prefixes = per_grid.index.to_series(index=None)
    parts = []
    for level in levels:
        if level in KPI_LEVELS:
            sums = per_grid if level == "grid" else _sums(
                prefixes.str.slice(0, KPI_LEVELS[level]).to_numpy(), per_grid.to_numpy())
        elif level in extra:
            known = extra[level].notna().to_numpy()
            sums = _sums(extra[level][known].astype(str), counts[known])
        else:
            continue
        parts.append(_rates(sums).reset_index().assign(level=level))
    if not parts:
        return pd.DataFrame(columns=["level", "code", *KPI_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    return out[["level", "code", *KPI_COLUMNS]]
