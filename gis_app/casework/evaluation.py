"""The monthly evaluation (月评) of the register, for ``sanigrid evaluation`` and /api/v1/evaluations.

Every community, street and unit is ranked city-wide (grids.evaluation.monthly_evaluation over all
the month's inspections and the cases due in it); a region filter then keeps the rows inside it
and drops the level above it, so a street's page shows its communities' city-wide ranks.
``rank_change`` compares with last month: its published rows when it is published, else
last month computed afresh.

Publishing freezes a month: the city-wide rows are stored (gis_app.storage.evaluations) with the
checklist versions used and a digest of the case rules, and from then on reading the month
returns the stored rows, whatever changes in the register, the checklists or the rules. A month
is published once, and only after it has ended (China time).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math

import pandas as pd

from grids.codes import check_region_code
from grids.evaluation import CASE_WEIGHTS, EVALUATION_WEIGHTS, KIND_WEIGHTS, monthly_evaluation
from grids.kpis import month_bounds, monthly_kpis
from grids.workdays import CalendarError

from .. import case_rules as rules
from ..audit import record as audit
from ..errors import Conflict, ValidationFailed
from ..storage import cases as case_store
from ..storage import evaluations as store
from ..storage import session_scope
from . import clock

__all__ = ["evaluation", "publish", "publication", "evaluation_records", "check_month", "rules_digest",
           "write_xlsx", "EVALUATION_COLUMNS", "EVALUATION_LABELS", "EVALUATION_SHEETS"]

EVALUATION_COLUMNS = ["level", "code", "name", "community", "inspections", "inspection_score", "cases_due",
                      "case_score", "score", "rank", "rank_change"]
EVALUATION_LABELS = {"level": "级别", "code": "编码", "name": "名称", "community": "所在社区", "inspections": "检查次数",
                     "inspection_score": "检查得分", "cases_due": "应办结案件", "case_score": "案件得分",
                     "score": "综合得分", "rank": "排名", "rank_change": "名次变化"}
EVALUATION_SHEETS = {"community": "社区", "street": "街道", "unit": "责任单位"}
_WIDTHS = {"street": 9, "community": 12}
_INTEGERS = ("inspections", "cases_due", "rank", "rank_change")


def check_month(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``YYYY-MM`` → the month's [start, end) in China time; a clear 422 for anything else."""
    try:
        if not (isinstance(month, str) and len(month) == 7 and month[:4].isdigit() and month[5:].isdigit()):
            raise ValueError(f"month must be YYYY-MM, got {month!r}")
        return month_bounds(month)
    except ValueError:
        raise ValidationFailed(f"month must be YYYY-MM (e.g. 2026-10), got {month!r}") from None


def rules_digest(settings) -> str:
    """SHA-256 of the case categories and the evaluation weights: what a published month was computed under."""
    categories = {key: dataclasses.asdict(c) for key, c in sorted(rules.case_categories(settings).items())}
    weights = {"evaluation": EVALUATION_WEIGHTS, "cases": CASE_WEIGHTS, "kinds": KIND_WEIGHTS}
    text = json.dumps({"categories": categories, "weights": weights}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _previous_month(start: pd.Timestamp) -> str:
    return (start - pd.offsets.MonthBegin(1)).strftime("%Y-%m")


def _unit_communities(inspections: pd.DataFrame, cases: pd.DataFrame) -> dict:
    """Unit → the community it was inspected in most (else where its cases were): how a region filter finds it."""
    out = {}
    for frame in (cases, inspections):   # inspections last: they win
        known = frame.loc[frame["unit"].notna(), ["unit", "grid"]]
        counts = (known.assign(community=known["grid"].astype(str).str.slice(0, 12))
                  .groupby(["unit", "community"]).size().rename("n").reset_index()
                  .sort_values(["unit", "n", "community"], ascending=[True, False, True]))
        first = counts.drop_duplicates("unit")
        out.update(zip(first["unit"].astype(str), first["community"]))
    return out


def _month_data(session, settings, month: str) -> tuple:
    """The month's inspections, the cases due in it and their measures (grids.kpis.monthly_kpis)."""
    start, end = check_month(month)
    inspections = case_store.inspection_frame(session, since=start.to_pydatetime(), until=end.to_pydatetime())
    cases = case_store.case_frame(session, due_from=start.to_pydatetime(), due_before=end.to_pydatetime())
    try:
        kpis = monthly_kpis(cases, month, rules.work_calendar(settings))
    except CalendarError as exc:   # a closed case in a year the calendar does not know
        raise ValidationFailed(str(exc)) from None
    return inspections, cases, kpis


def _previous(session, settings, month: str) -> pd.DataFrame:
    """Last month's ranks: as published, else computed afresh (without a month before it)."""
    row = store.published(session, month)
    if row is not None:
        return pd.DataFrame(row.rows, columns=EVALUATION_COLUMNS)[["level", "code", "rank"]].astype({"rank": float})
    inspections, _, kpis = _month_data(session, settings, month)
    previous = monthly_evaluation(inspections, kpis)
    return previous.assign(code=previous["code"].astype(str))


def _computed(session, settings, month: str) -> tuple[pd.DataFrame, dict]:
    """The month's city-wide rows (EVALUATION_COLUMNS) and the checklist versions its inspections used."""
    start, end = check_month(month)
    inspections, cases, kpis = _month_data(session, settings, month)
    table = monthly_evaluation(inspections, kpis, _previous(session, settings, _previous_month(start)))
    table["code"] = table["code"].astype(str)
    units = table["level"] == "unit"
    names = store.region_names(session, table.loc[~units, "code"])
    names.update(store.unit_names(session, table.loc[units, "code"]))
    places = _unit_communities(inspections, cases)
    table["name"] = table["code"].map(names)
    table["community"] = [code if level == "community" else places.get(code) if level == "unit" else None
                          for level, code in zip(table["level"], table["code"])]
    versions = store.checklist_versions(session, start.to_pydatetime(), end.to_pydatetime())
    return table[EVALUATION_COLUMNS], versions


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=EVALUATION_COLUMNS)
    for column in ("inspection_score", "case_score", "score", "rank", "rank_change"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def _in_region(table: pd.DataFrame, region: str | None) -> pd.DataFrame:
    if region is None:
        return table.reset_index(drop=True)
    above = table["level"].map(_WIDTHS).fillna(99) < len(region)
    place = table["community"].where(table["level"] != "street", table["code"]).fillna("")
    return table[~above & place.astype(str).str.startswith(region)].reset_index(drop=True)


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def evaluation_records(table: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: NaN as null, counts, ranks and rank changes as integers."""
    out = []
    for row in table.to_dict("records"):
        row = {k: _plain(v) for k, v in row.items()}
        for key in _INTEGERS:
            if row.get(key) is not None:
                row[key] = int(row[key])
        out.append(row)
    return out


def _status(month: str, row) -> dict:
    if row is None:
        return {"month": month, "published": False, "published_at": None, "published_by": None,
                "checklist_versions": None, "rules_digest": None}
    return {"month": month, "published": True, "published_at": clock.iso(row.published_at),
            "published_by": row.published_by, "checklist_versions": row.checklist_versions,
            "rules_digest": row.rules_digest}


def evaluation(engine, settings, month: str, region: str | None = None) -> tuple[pd.DataFrame, dict]:
    """(the month's rows inside ``region``, its publication status): stored when published, else computed now."""
    check_month(month)
    if region is not None:
        region = check_region_code(region)
    with session_scope(engine) as session:
        row = store.published(session, month)
        table = _frame(row.rows) if row is not None else _computed(session, settings, month)[0]
        status = _status(month, row)
    return _in_region(table, region), status


def publication(engine, month: str) -> dict:
    """Whether ``month`` is published, when, by whom, under which checklists and rules."""
    check_month(month)
    with session_scope(engine) as session:
        return _status(month, store.published(session, month))


def publish(engine, settings, month: str, actor: str) -> dict:
    """Freeze ``month``: store its city-wide rows; refused (409) when published already or not yet ended."""
    _, end = check_month(month)
    now = clock.now()
    if now < end.to_pydatetime():
        raise Conflict(f"{month} has not ended yet (China time now {now:%Y-%m-%d %H:%M}); "
                       f"it can be published from {end:%Y-%m-%d} 00:00")
    digest = rules_digest(settings)
    with session_scope(engine, write=True) as session:
        found = store.published(session, month)
        if found is not None:
            raise Conflict(f"{month} was published at {found.published_at:%Y-%m-%d %H:%M} by {found.published_by}; "
                           "a published month is not published again")
        table, versions = _computed(session, settings, month)
        if not table["inspections"].any():
            raise ValidationFailed(f"{month} has no inspection: nothing to evaluate, nothing published")
        rows = evaluation_records(table)
        store.insert_published(session, {"month": month, "published_at": now, "published_by": actor[:100],
                                         "checklist_versions": versions, "rules_digest": digest, "rows": rows})
        audit(session, actor, "create", "evaluations", month, None,
              {"rows": len(rows), "checklist_versions": versions, "rules_digest": digest})
        return {**_status(month, store.published(session, month)), "rows": len(rows)}


def write_xlsx(table: pd.DataFrame, path) -> None:
    """One sheet per level (社区, 街道, 责任单位), Chinese headings, text cells formula-escaped."""
    from pathlib import Path

    import openpyxl
    from openpyxl.styles import Font

    from grids.fileio import escape_formula
    book = openpyxl.Workbook()
    book.remove(book.active)
    columns = [c for c in EVALUATION_COLUMNS if c != "level"]
    records = evaluation_records(table)
    for level, title in EVALUATION_SHEETS.items():
        sheet = book.create_sheet(title)
        sheet.append([EVALUATION_LABELS[c] for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in records:
            if row["level"] == level:
                sheet.append([escape_formula(row[c]) for c in columns])
        sheet.freeze_panes = "A2"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
