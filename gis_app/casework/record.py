"""Recording an inspection: locate it, score it, open a case per failed item, all in one transaction.

Everything that can refuse runs before the first write: the checklist results, the point (a grid
must hold it; a district-scoped caller must own that grid), every photo (decoded and re-encoded
by Pillow: a zip called .jpg, a file over 10 MB or a decompression bomb is refused) and every
deadline (a year the calendar does not know). Then the photos are written, and the inspection,
its cases and their first events land in one transaction; if that fails the photos go again.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from grids.checklists import ChecklistError, score
from grids.workdays import CalendarError

from .. import case_rules as rules
from ..audit import record as audit
from ..auth import check_scope
from ..errors import NotFound, ValidationFailed
from ..register import locate
from ..storage import cases as store
from ..storage import session_scope
from ..storage.frontage_index import responsible_at
from ..storage.photos import exif_location, photo_folder, reencode, save_encoded
from ..storage.schema import Case, Inspection
from . import clock
from .shapes import LEVELS

__all__ = ["record_inspection", "MAX_PHOTOS", "FUTURE_SLACK", "responsible_for", "remove_photos", "open_cases",
           "addressed_to"]

MAX_PHOTOS = 6
FUTURE_SLACK = timedelta(minutes=10)   # a phone's clock a little ahead is not a time in the future


def _inspection_time(body) -> object:
    now = clock.now()
    if body.get("at") in (None, ""):
        return now
    try:
        at = clock.china_time(body["at"])
    except ValueError:
        raise ValidationFailed(f"at must be an ISO 8601 time, e.g. 2026-09-30T10:00:00+08:00; got {body['at']!r}") from None
    if at > now + FUTURE_SLACK:
        raise ValidationFailed(f"at {at:%Y-%m-%d %H:%M} (China time) lies in the future; it is {now:%Y-%m-%d %H:%M}")
    return at


def _located(engine, body) -> dict:
    try:
        return locate(engine, body["lon"], body["lat"], body.get("crs"))
    except NotFound as exc:
        raise ValidationFailed(f"{exc.detail}: an inspection is recorded inside the register's grids") from None


def _encoded_photos(photos) -> list:
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(f"at most {MAX_PHOTOS} photos per inspection, got {len(photos)}")
    encoded = []
    for number, data in enumerate(photos, start=1):
        location = exif_location(data) if data else None
        encoded.append((reencode(data, f"photo {number}"), location))
    return encoded


def responsible_for(session, engine, lon, lat, frontage=None, place=None) -> tuple:
    """(kind, ref) of the unit a finding at (lon, lat) is addressed to, or (None, None) for the grid's leader.

    The unit the body names, else what ``locate`` answers for the point
    (:func:`gis_app.storage.frontage_index.responsible_at`): the key place whose polygon holds it,
    then the frontage unit whose zone holds it or whose front line lies within 5 m.
    """
    for kind, ref in (("frontage", frontage), ("place", place)):
        if ref:
            if not store.unit_exists(session, kind, ref):
                raise ValidationFailed(f"{kind} {ref} is not in the register")
            return kind, ref
    found = responsible_at(engine, lon, lat)
    for kind in ("place", "frontage"):
        if found.get(kind):
            return kind, found[kind]["ref"]
    return None, None


def addressed_to(kind, ref, leader, grid) -> tuple:
    """(kind, ref) a case is addressed to: the unit found, else the grid's leader, else the grid itself."""
    return (kind, ref) if kind else (("grid_leader", leader) if leader else ("grid", grid))


def remove_photos(instance, urls) -> None:
    """Delete photos written for a write that did not land."""
    for url in urls:
        (photo_folder(instance) / Path(url).name).unlink(missing_ok=True)


def _deadlines(settings, failed, emergency, at) -> list:
    calendar, categories = rules.work_calendar(settings), rules.case_categories(settings)
    try:
        return [categories[item["category"]].due(calendar, at, emergency=item["key"] in emergency)
                for item in failed]
    except CalendarError as exc:
        raise ValidationFailed(str(exc)) from None


def record_inspection(engine, settings, principal, body: dict, photos=()) -> tuple[str, list[str]]:
    """Record one inspection and open its cases; return (inspection id, case ids). Body fields: see the API."""
    kind = body["kind"]
    level = body.get("level") or "community"
    if level not in LEVELS:
        raise ValidationFailed(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if body.get("frontage") and body.get("place"):
        raise ValidationFailed("give at most one of frontage and place")
    at = _inspection_time(body)
    listed = rules.checklist(settings, kind)
    try:
        value, failed = score(listed.items, body.get("results") or {})
    except ChecklistError as exc:
        raise ValidationFailed(f"results do not fit the {kind} checklist (version {listed.version}): {exc}") from None
    emergency = set(body.get("emergency") or ())
    stray = sorted(emergency - {i["key"] for i in failed})
    if stray:
        raise ValidationFailed(f"emergency names items that did not fail: {', '.join(map(str, stray))}")
    found = _located(engine, body)
    grid = found["grid"]["code"]
    check_scope(principal, grid)
    encoded = _encoded_photos(list(photos))
    deadlines = _deadlines(settings, failed, emergency, at)
    lon, lat = found["lon"], found["lat"]
    with session_scope(engine) as session:
        kind_of, ref = responsible_for(session, engine, lon, lat, body.get("frontage"), body.get("place"))
        leader = store.grid_leader(session, grid) if kind_of is None else None
    addressed = addressed_to(kind_of, ref, leader, grid)
    instance = settings["SANIGRID_INSTANCE"]
    urls = []
    try:
        urls = [save_encoded(instance, *photo) for photo, _ in encoded]
        with session_scope(engine, write=True) as session:
            return _write(session, principal, body, listed, value, failed, emergency, deadlines, at, level, grid,
                          lon, lat, addressed, urls, [location for _, location in encoded])
    except BaseException:
        remove_photos(instance, urls)
        raise


def _write(session, principal, body, listed, value, failed, emergency, deadlines, at, level, grid, lon, lat,
           addressed, urls, locations) -> tuple[str, list[str]]:
    now, actor = clock.now(), principal.actor
    inspection_id = store.next_id(session, Inspection)
    store.insert_inspection(session, {
        "id": inspection_id, "kind": listed.kind, "level": level, "inspector": body["inspector"], "at": at,
        "lon": lon, "lat": lat, "grid": grid, "community": grid[:12],
        "frontage": addressed[1] if addressed[0] == "frontage" else None,
        "place": addressed[1] if addressed[0] == "place" else None, "checklist_kind": listed.kind,
        "checklist_version": listed.version, "checklist_items": [dict(i) for i in listed.items],
        "results": dict(body.get("results") or {}), "score": value, "notes": body.get("notes") or None,
        "photos": urls, "exif": locations, "created_at": now, "created_by": actor})
    case_ids = open_cases(session, inspection_id, failed, emergency, deadlines, grid, lon, lat, addressed, at, now,
                          actor)
    audit(session, actor, "create", "inspections", inspection_id, None,
          {"score": value, "grid": grid, "cases": case_ids})
    return inspection_id, case_ids


def open_cases(session, inspection_id, failed, emergency, deadlines, grid, lon, lat, addressed, at, now,
               actor) -> list[str]:
    """Insert one registered case (and its ``register`` event) per failed item; return their ids."""
    ids = []
    for item, deadline in zip(failed, deadlines):
        case_id = store.next_id(session, Case)
        case = {"id": case_id, "inspection_id": inspection_id, "item": item["key"], "category": item["category"],
                "severity": "emergency" if item["key"] in emergency else "normal", "grid": grid, "lon": lon,
                "lat": lat, "addressed_kind": addressed[0], "addressed_ref": addressed[1], "assignee": None,
                "level": "grid", "state": "registered", "registered_at": at, "deadline": deadline, "closed_at": None,
                "deferrals": 0, "reworks": 0, "rectified_by": None, "evidence": None, "notes": item.get("label"),
                "version": 1, "attrs": {}, "updated_at": now, "updated_by": actor}
        event = {"case_id": case_id, "action": "register", "from_state": None, "to_state": "registered",
                 "by": actor, "at": at, "note": None, "details": {"inspection": inspection_id}}
        store.insert_cases(session, [case], [event])
        ids.append(case_id)
    return ids
