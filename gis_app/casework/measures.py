"""The month's case measures (月评指标) of the register, for ``sanigrid kpis`` and /api/v1/kpis.

Only the cases whose deadline falls in the month are read (grids.kpis counts those); with a
region, only that region's cases, and the rows of the levels above it (which would hold the
region's cases alone, not their own) are left out.
"""
from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import select

from grids.codes import check_region_code
from grids.kpis import KPI_COLUMNS, month_bounds, monthly_kpis
from grids.workdays import CalendarError

from .. import case_rules as rules
from ..errors import ValidationFailed
from ..storage import cases as store
from ..storage import session_scope
from ..storage.schema import Grid, Region

__all__ = ["kpi_table", "kpi_records", "KPI_LABELS", "LEVEL_LABELS"]

LEVEL_LABELS = {"grid": "网格", "community": "社区", "street": "街道", "district": "区县", "unit": "责任单位",
                "person": "责任人"}
KPI_LABELS = {"level": "级别", "code": "编码", "name": "名称", "due": "应办结", "deferred": "缓办", "closed": "办结",
              "closed_on_time": "按时办结", "reworked": "返工", "emergency_due": "紧急应办结",
              "emergency_deferred": "紧急缓办", "emergency_closed": "紧急办结",
              "emergency_closed_on_time": "紧急按时办结", "closure_rate": "办结率(%)",
              "on_time_rate": "按时办结率(%)", "rework_rate": "返工率(%)", "emergency_closure_rate": "紧急办结率(%)",
              "emergency_on_time_rate": "紧急按时办结率(%)", "mean_days_to_close": "平均办结工作日"}
_WIDTHS = {"grid": 15, "community": 12, "street": 9, "district": 6}


def kpi_table(engine, settings, month: str, region: str | None = None) -> pd.DataFrame:
    """One row per (level, code) with a ``name`` and :data:`grids.kpis.KPI_COLUMNS`."""
    try:
        start, end = month_bounds(month)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    if region is not None:
        region = check_region_code(region)
    with session_scope(engine) as session:
        cases = store.case_frame(session, under=region, due_from=start.to_pydatetime(),
                                 due_before=end.to_pydatetime())
        try:
            table = monthly_kpis(cases, month, rules.work_calendar(settings))
        except CalendarError as exc:   # a closed case in a year the calendar does not know
            raise ValidationFailed(str(exc)) from None
        codes = table["code"].astype(str).tolist()
        names = dict(session.execute(select(Region.code, Region.name).where(
            Region.code.in_(sorted({c for c in codes if len(c) <= 12}) or [""]))).all())
        names.update(session.execute(select(Grid.code, Grid.name).where(
            Grid.code.in_(sorted({c for c in codes if len(c) == 15}) or [""]))).all())
    if region is not None:
        above = table["level"].map(_WIDTHS).fillna(99) < len(region)
        table = table[~above].reset_index(drop=True)
    table.insert(2, "name", [names.get(str(code)) if level in _WIDTHS else None
                             for level, code in zip(table["level"], table["code"])])
    return table[["level", "code", "name", *KPI_COLUMNS]]


def kpi_records(table: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: NaN as null, numpy numbers as Python's."""
    out = []
    for row in table.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and math.isnan(v) else v.item() if hasattr(v, "item") else v)
                    for k, v in row.items()})
    return out
