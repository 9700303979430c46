"""Reads and writes of inspections, cases and case events, in the caller's session.

Writes run inside the caller's one write transaction (:func:`gis_app.storage.session_scope` with
``write=True``: BEGIN IMMEDIATE on SQLite, the register's advisory lock on PostgreSQL), so a case's
version read there is the committed one; :func:`update_case` also names the version in its
UPDATE, so a write against a stale version changes nothing and is refused.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import and_, func, insert, or_, select, update

from ..errors import Conflict
from .frontage_writes import bump_layer_version
from .schema import Case, CaseEvent, Frontage, Inspection, Meta, Person, Place, Role

__all__ = ["next_id", "insert_inspection", "insert_cases", "update_case", "stored_case", "case_events",
           "list_cases", "list_inspections", "grid_leader", "case_frame", "overdue_clause",
           "CASE_FIELDS", "INSPECTION_FIELDS", "existing_ids", "upsert_cases", "insert_inspections",
           "unit_exists", "inspection_frame", "all_cases", "all_inspections"]

CASE_FIELDS = ("id", "inspection_id", "item", "category", "severity", "grid", "lon", "lat", "addressed_kind",
               "addressed_ref", "assignee", "level", "state", "registered_at", "deadline", "closed_at", "deferrals",
               "reworks", "rectified_by", "evidence", "notes", "version", "attrs", "updated_at", "updated_by")
INSPECTION_FIELDS = ("id", "kind", "level", "inspector", "at", "lon", "lat", "grid", "community", "frontage", "place",
                     "checklist_kind", "checklist_version", "checklist_items", "results", "score", "notes", "photos",
                     "exif", "created_at", "created_by")
PREFIXES = {Inspection: "XC", Case: "AJ"}   # 巡查, 案件: the ids the app gives (a file may bring its own)
_CHUNK = 5000


def next_id(session, model) -> str:
    """The next free id of ``model`` (``XC00000001``, ``AJ00000001`` …), counted in ``meta`` inside the write."""
    key = f"{model.__tablename__}_seq"
    row = session.get(Meta, key)
    if row is None:
        row = Meta(key=key, value="0")
        session.add(row)
    number = int(row.value)
    while True:
        number += 1
        candidate = f"{PREFIXES[model]}{number:08d}"
        if session.get(model, candidate) is None:   # an imported id may have taken it
            row.value = str(number)
            return candidate


def insert_inspection(session, row: dict) -> None:
    session.execute(insert(Inspection.__table__), [row])
    bump_layer_version(session, "inspections")


def insert_inspections(session, rows: list[dict]) -> None:
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(Inspection.__table__), rows[start:start + _CHUNK])
    if rows:
        bump_layer_version(session, "inspections")


def insert_cases(session, rows: list[dict], events: list[dict]) -> None:
    """Add cases and their first events (one executemany each); bumps the cases' layer version."""
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(Case.__table__), rows[start:start + _CHUNK])
    for start in range(0, len(events), _CHUNK):
        session.execute(insert(CaseEvent.__table__), events[start:start + _CHUNK])
    if rows:
        bump_layer_version(session, "cases")


def upsert_cases(session, rows: list[dict], events: list[dict], known: dict) -> None:
    """Insert new cases, replace stored ones (``known``: id → stored version, bumped), add every event."""
    for row in rows:
        if row["id"] in known:
            row["version"] = known[row["id"]] + 1
            session.execute(update(Case).where(Case.id == row["id"]).values(**row))
    for start in range(0, len(rows), _CHUNK):
        new = [r for r in rows[start:start + _CHUNK] if r["id"] not in known]
        if new:
            session.execute(insert(Case.__table__), new)
    for start in range(0, len(events), _CHUNK):
        session.execute(insert(CaseEvent.__table__), events[start:start + _CHUNK])
    if rows:
        bump_layer_version(session, "cases")


def existing_ids(session, model, ids) -> dict:
    """id → version (cases) or True (inspections) of the ids already stored."""
    ids = sorted(set(ids))
    column = model.version if model is Case else model.id
    out = {}
    for start in range(0, len(ids), _CHUNK):
        for found, value in session.execute(select(model.id, column).where(model.id.in_(ids[start:start + _CHUNK]))):
            out[found] = value if model is Case else True
    return out


def stored_case(session, case_id: str) -> Case | None:
    return session.get(Case, case_id)


def update_case(session, case_id: str, expected_version: int, changes: dict, event: dict) -> int:
    """Write ``changes`` and one event if the case is still at ``expected_version``; return the new version.

    Raises Conflict when another action got there first (the UPDATE names the version it expects).
    """
    done = session.execute(update(Case).where(Case.id == case_id, Case.version == expected_version)
                           .values(**changes, version=expected_version + 1)).rowcount
    if done != 1:
        raise Conflict(f"case {case_id} was changed by someone else meanwhile; read it again")
    session.execute(insert(CaseEvent.__table__), [{**event, "case_id": case_id}])
    bump_layer_version(session, "cases")
    return expected_version + 1


def case_events(session, case_ids) -> dict:
    """case id → its events, oldest first."""
    ids = sorted(set(case_ids))
    out: dict = {i: [] for i in ids}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(CaseEvent).where(CaseEvent.case_id.in_(ids[start:start + _CHUNK])).order_by(CaseEvent.id)
        for event in session.scalars(stmt):
            out[event.case_id].append(event)
    return out


def overdue_clause(now: datetime, overdue: bool = True):
    """SQL for "overdue": open past the deadline, or closed after it (grids.cases.is_overdue); or its opposite.

    The opposite is spelled out rather than negated: NOT over a NULL ``closed_at`` would be NULL.
    """
    if overdue:
        return or_(and_(Case.closed_at.is_(None), Case.deadline < now), Case.closed_at > Case.deadline)
    return or_(and_(Case.closed_at.is_(None), Case.deadline >= now), Case.closed_at <= Case.deadline)


def list_cases(session, *, under=None, category=None, state=None, severity=None, overdue=None, now=None,
               addressed_kind=None, inspection=None, cursor=None, limit=100) -> list[Case]:
    """One page of cases ordered by id, after ``cursor``."""
    stmt = select(Case).order_by(Case.id).limit(limit)
    for column, value in ((Case.category, category), (Case.state, state), (Case.severity, severity),
                          (Case.addressed_kind, addressed_kind), (Case.inspection_id, inspection)):
        if value is not None:
            stmt = stmt.where(column == value)
    if under:
        stmt = stmt.where(Case.grid.like(f"{under}%"))
    if overdue is not None:
        stmt = stmt.where(overdue_clause(now, overdue))
    if cursor:
        stmt = stmt.where(Case.id > cursor)
    return list(session.scalars(stmt))


def list_inspections(session, *, under=None, kind=None, level=None, since=None, until=None, cursor=None,
                     limit=100) -> list[Inspection]:
    """One page of inspections ordered by id, after ``cursor``; ``since``/``until`` bound their time."""
    stmt = select(Inspection).order_by(Inspection.id).limit(limit)
    if under:
        stmt = stmt.where(Inspection.grid.like(f"{under}%"))
    for column, value in ((Inspection.kind, kind), (Inspection.level, level)):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(Inspection.at >= since)
    if until is not None:
        stmt = stmt.where(Inspection.at < until)
    if cursor:
        stmt = stmt.where(Inspection.id > cursor)
    return list(session.scalars(stmt))


def all_cases(session, under=None) -> list[Case]:
    stmt = select(Case).order_by(Case.id)
    return list(session.scalars(stmt.where(Case.grid.like(f"{under}%")) if under else stmt))


def all_inspections(session, under=None) -> list[Inspection]:
    stmt = select(Inspection).order_by(Inspection.id)
    return list(session.scalars(stmt.where(Inspection.grid.like(f"{under}%")) if under else stmt))


def unit_exists(session, kind: str, ref: str) -> bool:
    model = Place if kind == "place" else Frontage
    return session.get(model, ref) is not None


def grid_leader(session, grid: str) -> str | None:
    """The phone of the grid's leader (网格长), None when the grid has none."""
    return session.scalar(select(Person.phone).join(Role, Role.person_id == Person.id)
                          .where(Role.grid == grid, Role.role == "leader").order_by(Person.phone).limit(1))


KPI_FRAME_COLUMNS = ["grid", "registered_at", "deadline", "closed_at", "deferrals", "reworks", "severity",
                     "addressed_kind", "addressed_ref", "assignee"]


def case_frame(session, *, under=None, due_from=None, due_before=None) -> pd.DataFrame:
    """The cases :func:`grids.kpis.monthly_kpis` reads: grid, times, deferred, reworks, severity, unit, person.

    ``unit`` is the frontage unit or place a case is addressed to; ``person`` its assignee, else
    the grid leader it is addressed to. ``due_from``/``due_before`` bound the deadline (the month).
    """
    stmt = select(*(getattr(Case, c) for c in KPI_FRAME_COLUMNS))
    if under:
        stmt = stmt.where(Case.grid.like(f"{under}%"))
    if due_from is not None:
        stmt = stmt.where(Case.deadline >= due_from)
    if due_before is not None:
        stmt = stmt.where(Case.deadline < due_before)
    frame = pd.DataFrame([tuple(r) for r in session.execute(stmt)], columns=KPI_FRAME_COLUMNS)
    for column in ("registered_at", "deadline", "closed_at"):
        frame[column] = pd.to_datetime(frame[column])
    unit = frame["addressed_kind"].isin(["frontage", "place"])
    leader = frame["addressed_kind"] == "grid_leader"
    return pd.DataFrame({
        "grid": frame["grid"].astype(str), "registered_at": frame["registered_at"], "deadline": frame["deadline"],
        "closed_at": frame["closed_at"], "deferred": frame["deferrals"].astype(int) > 0,
        "reworks": frame["reworks"].astype(int), "severity": frame["severity"],
        "unit": frame["addressed_ref"].where(unit, None),
        "person": frame["assignee"].where(frame["assignee"].notna(), frame["addressed_ref"].where(leader, None)),
    })


def inspection_frame(session, *, under=None, since=None, until=None) -> pd.DataFrame:
    """The month's inspections for :func:`grids.evaluation.monthly_evaluation`: grid, kind, score, unit."""
    stmt = select(Inspection.grid, Inspection.kind, Inspection.score, Inspection.frontage, Inspection.place)
    if under:
        stmt = stmt.where(Inspection.grid.like(f"{under}%"))
    if since is not None:
        stmt = stmt.where(Inspection.at >= since)
    if until is not None:
        stmt = stmt.where(Inspection.at < until)
    frame = pd.DataFrame([tuple(r) for r in session.execute(stmt)], columns=["grid", "kind", "score", "frontage", "place"])
    frame["unit"] = frame["frontage"].where(frame["frontage"].notna(), frame["place"])
    return frame.drop(columns=["frontage", "place"])


def count_cases(session) -> int:
    return session.scalar(select(func.count()).select_from(Case))
