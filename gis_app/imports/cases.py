"""Importing inspections (paper rounds, another app) and cases (another system's register): all or nothing.

An inspections row is located, scored and opens its cases as one recorded through the API
(the same checklists, deadlines and responsible party), unless its ``cases`` cell lists the ids
of the cases it opened (an export of this app: they travel in the cases file). A cases row is
upserted by ``id``; its grid is its ``grid`` or the grid holding lon/lat. Every row is checked
before anything is written, and every problem is reported with its row.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from grids.case_records import case_record, inspection_record
from grids.checklists import ChecklistError, score
from grids.fileio import TABLE_FORMATS, format_of, read_table
from grids.validation import Problem
from grids.workdays import CalendarError

from .. import case_rules as rules
from ..casework import clock
from ..casework.record import FUTURE_SLACK, addressed_to, open_cases
from ..errors import ValidationFailed
from ..register import locate_many
from ..storage import cases as store
from ..storage import session_scope
from ..storage.frontage_index import responsible_at
from ..storage.schema import Case, Grid, Inspection, Person, Role
from .common import ImportReport, after_write, duplicate_codes, refuse_if
from .reading import read_any_geometry
from .screen import screen_rows

__all__ = ["read_rows", "import_case_rows", "import_inspection_rows", "TEXT_COLUMNS"]

TEXT_COLUMNS = {"id", "inspection_id", "grid", "item", "addressed_ref", "assignee", "rectified_by", "frontage",
                "place", "inspector", "cases", "emergency"}


def read_rows(path, settings, *, crs=None, encoding=None) -> list[dict]:
    """The rows of a CSV/xlsx table, or the features of a GIS file with their point as lon/lat."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(f"file not found: {path}")
    if format_of(path) in TABLE_FORMATS:
        table = read_table(path, encoding=encoding, text_columns=TEXT_COLUMNS)
        rows = table.astype(object).where(table.notna(), None).to_dict("records")
    else:
        props, geoms, _ = read_any_geometry(path, settings, crs=crs, encoding=encoding)
        rows, problems = [], []
        for i, (row, geom) in enumerate(zip(props, geoms)):
            if geom is not None and geom.geom_type != "Point":
                problems.append(Problem(i, row.get("id"), f"geometry is a {geom.geom_type}; give a Point"))
            elif geom is not None:
                row = {**row, "lon": geom.x, "lat": geom.y}
            rows.append(row)
        refuse_if(problems, [], path.name)
    screen_rows(rows, settings, file=path.name)
    return rows


def _problems(errors_by_row, ids) -> list:
    return [Problem(i, ids[i], e) for i, errors in errors_by_row for e in errors]


def _located(engine, records, problems) -> None:
    """Fill each record's grid from its point where the file gave none (every point checked against the register)."""
    wanted = [i for i, r in enumerate(records) if r.get("grid") is None and r.get("lon") is not None]
    if not wanted:
        return
    found = locate_many(engine, [records[i]["lon"] for i in wanted], [records[i]["lat"] for i in wanted])
    for i, grid in zip(wanted, found):
        if grid is None:
            problems.append(Problem(i, records[i].get("id"), f"no grid holds the point ({records[i]['lon']:.6f}, "
                                                             f"{records[i]['lat']:.6f})"))
        records[i]["grid"] = grid


def _known(session, column, values) -> set:
    values = sorted({v for v in values if v})
    out = set()
    for start in range(0, len(values), 5000):
        out |= set(session.scalars(select(column).where(column.in_(values[start:start + 5000]))))
    return out


# --- cases -----------------------------------------------------------------------------------------

def import_case_rows(engine, settings, rows, dry_run, by, on_write=None) -> ImportReport:
    """Upsert cases by id from checked rows; refuse the whole file on any problem."""
    categories = rules.case_categories(settings)
    checked = [case_record(row, categories) for row in rows]
    records = [r for r, _ in checked]
    ids = [r["id"] for r in records]
    problems = _problems(((i, e) for i, (_, e) in enumerate(checked)), ids)
    for i, record in enumerate(records):
        record["index"] = i
    problems += duplicate_codes(records, key="id")
    _located(engine, records, problems)
    with session_scope(engine) as session:
        grids = _known(session, Grid.code, (r["grid"] for r in records))
        inspections = _known(session, Inspection.id, (r["inspection_id"] for r in records))
        stored = _states(session, ids)
    for i, record in enumerate(records):
        if record["grid"] and record["grid"] not in grids:
            problems.append(Problem(i, record["id"], f"grid {record['grid']} is not in the register"))
        if record["inspection_id"] and record["inspection_id"] not in inspections:
            problems.append(Problem(i, record["id"], f"inspection {record['inspection_id']} is not in the register"))
    refuse_if(problems, [], "cases")
    report = ImportReport("cases", "", dry_run, created=[i for i in ids if i not in stored],
                          updated=[i for i in ids if i in stored])
    if dry_run:
        return report
    now = clock.now()
    with session_scope(engine, write=True) as session:
        known = store.existing_ids(session, Case, ids)
        rows_out, events = [], []
        for record in records:
            row = {k: record[k] for k in store.CASE_FIELDS if k in record}
            row.update(addressed_ref=record["addressed_ref"] or (record["grid"] if record["addressed_kind"] == "grid"
                                                                 else None),
                       version=1, attrs={}, updated_at=now, updated_by=by)
            rows_out.append(row)
            event = {"case_id": record["id"], "action": "import", "from_state": stored.get(record["id"]),
                     "to_state": record["state"], "by": by, "at": now, "note": None, "details": {}}
            events.append(event)
        store.upsert_cases(session, rows_out, events, known)
        after_write(on_write, session, report)
    return report


def _states(session, ids) -> dict:
    out = {}
    values = sorted(set(ids) - {None})
    for start in range(0, len(values), 5000):
        out.update(session.execute(select(Case.id, Case.state).where(Case.id.in_(values[start:start + 5000]))).all())
    return out


# --- inspections -----------------------------------------------------------------------------------

def _checklists(settings) -> dict:
    from grids.checklists import INSPECTION_KINDS
    return {kind: rules.checklist(settings, kind) for kind in INSPECTION_KINDS}


def _scored(records, listed, categories, problems) -> None:
    """Score each record with its stored items (an export's) or its kind's current checklist."""
    for i, record in enumerate(records):
        if record["kind"] is None:
            continue
        items = record["checklist_items"] or [dict(x) for x in listed[record["kind"]].items]
        record["items"], record["version"] = items, (listed[record["kind"]].version if not record["checklist_items"]
                                                     else _digest(items))
        try:
            record["score"], record["failed"] = score(items, record["results"])
        except ChecklistError as exc:
            problems.append(Problem(i, record["id"], str(exc)))
            continue
        unknown = sorted({f["category"] for f in record["failed"]} - set(categories))
        if unknown:
            problems.append(Problem(i, record["id"], f"category {', '.join(unknown)} is not a case category"))
        stray = sorted(set(record["emergency"]) - {f["key"] for f in record["failed"]})
        if stray:
            problems.append(Problem(i, record["id"], f"emergency names items that did not fail: {', '.join(stray)}"))


def _digest(items) -> str:
    import hashlib

    import orjson
    return hashlib.sha256(orjson.dumps(items, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]


def _deadlines(settings, records, categories, problems) -> None:
    calendar, limit = rules.work_calendar(settings), clock.now() + FUTURE_SLACK
    for i, record in enumerate(records):
        record["deadlines"] = []
        if record.get("at") and record["at"] > limit:
            problems.append(Problem(i, record["id"], f"at {record['at']:%Y-%m-%d %H:%M} lies in the future"))
            continue
        if record["cases"] or not record.get("failed") or record.get("at") is None:
            continue
        try:
            record["deadlines"] = [categories[f["category"]].due(calendar, record["at"],
                                                                 emergency=f["key"] in record["emergency"])
                                   for f in record["failed"] if f["category"] in categories]
        except CalendarError as exc:
            problems.append(Problem(i, record["id"], str(exc)))


def _parties(engine, records) -> list:
    """The unit each located record's cases go to: the one the row names, else the one ``locate`` answers."""
    out = []
    for record in records:
        if record["frontage"] or record["place"]:
            out.append(("frontage", record["frontage"]) if record["frontage"] else ("place", record["place"]))
            continue
        found = responsible_at(engine, record["lon"], record["lat"]) if record.get("grid") else {}
        out.append(next(((k, found[k]["ref"]) for k in ("place", "frontage") if found.get(k)), None))
    return out


def _leaders(session, grids) -> dict:
    grids = sorted(set(grids))
    out = {}
    for start in range(0, len(grids), 5000):
        stmt = (select(Role.grid, Person.phone).join(Person, Person.id == Role.person_id)
                .where(Role.role == "leader", Role.grid.in_(grids[start:start + 5000])).order_by(Person.phone))
        for grid, phone in session.execute(stmt):
            out.setdefault(grid, phone)
    return out


def import_inspection_rows(engine, settings, rows, dry_run, by, on_write=None) -> ImportReport:
    """Add inspections (and the cases of their failed items) from checked rows; refuse the file on any problem."""
    listed, categories = _checklists(settings), rules.case_categories(settings)
    keys = {kind: [i["key"] for i in checklist.items] for kind, checklist in listed.items()}
    checked = [inspection_record(row, keys) for row in rows]
    records = [r for r, _ in checked]
    ids = [r["id"] for r in records]
    problems = _problems(((i, e) for i, (_, e) in enumerate(checked)), ids)
    for i, record in enumerate(records):
        record["index"], record["grid"] = i, None
    problems += duplicate_codes(records, key="id")
    _located(engine, records, problems)
    _scored(records, listed, categories, problems)
    _deadlines(settings, records, categories, problems)
    with session_scope(engine) as session:
        taken = _known(session, Inspection.id, ids)
        units = {("frontage", r["frontage"]) for r in records if r["frontage"]} | {
            ("place", r["place"]) for r in records if r["place"]}
        missing = {u for u in units if not store.unit_exists(session, *u)}
        listed_cases = _known(session, Case.id, (c for r in records for c in r["cases"]))
        parties = _parties(engine, records) if not problems else []
        leaders = _leaders(session, (r["grid"] for r in records if r["grid"])) if not problems else {}
    for i, record in enumerate(records):
        if record["id"] in taken:
            problems.append(Problem(i, record["id"], f"inspection {record['id']} is already in the register"))
        for unit in (("frontage", record["frontage"]), ("place", record["place"])):
            if unit in missing:
                problems.append(Problem(i, record["id"], f"{unit[0]} {unit[1]} is not in the register"))
        if set(record["cases"]) & listed_cases:
            problems.append(Problem(i, record["id"], "its cases are in the register already: "
                                                     + ", ".join(sorted(set(record["cases"]) & listed_cases)[:5])))
    refuse_if(problems, [], "inspections")
    report = ImportReport("inspections", "", dry_run)
    report.created = [r["id"] or f"row {r['index'] + 1}" for r in records]
    if dry_run:
        return report
    now = clock.now()
    with session_scope(engine, write=True) as session:
        created = []
        for record, party in zip(records, parties):
            created.append(_write_one(session, record, party, leaders, now, by))
        report.created = created
        after_write(on_write, session, report)
    return report


def _write_one(session, record, party, leaders, now, by) -> str:
    inspection_id = record["id"] or store.next_id(session, Inspection)
    grid = record["grid"]
    addressed = addressed_to(*(party or (None, None)), leaders.get(grid), grid)
    store.insert_inspection(session, {
        "id": inspection_id, "kind": record["kind"], "level": record["level"], "inspector": record["inspector"],
        "at": record["at"], "lon": record["lon"], "lat": record["lat"], "grid": grid, "community": grid[:12],
        "frontage": addressed[1] if addressed[0] == "frontage" else None,
        "place": addressed[1] if addressed[0] == "place" else None, "checklist_kind": record["kind"],
        "checklist_version": record["version"], "checklist_items": record["items"], "results": record["results"],
        "score": record["score"], "notes": record["notes"], "photos": [], "exif": [], "created_at": now,
        "created_by": by})
    if not record["cases"]:
        open_cases(session, inspection_id, record["failed"], set(record["emergency"]), record["deadlines"], grid,
                   record["lon"], record["lat"], addressed, record["at"], now, by)
    return inspection_id
