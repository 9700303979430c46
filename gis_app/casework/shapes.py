"""Inspections and cases as the API, the exports and the pages show them: GeoJSON Features, China times."""
from __future__ import annotations

from grids.cases import ACTION_LABELS, STATES, Case, allowed_actions, escalation_level, is_overdue
from grids.case_records import ADDRESSED_KINDS, INSPECTION_LEVELS, SEVERITIES
from grids.checklists import INSPECTION_KINDS

from .clock import iso

__all__ = ["case_etag", "case_properties", "case_feature", "inspection_feature", "domain_case", "LEVELS",
           "ADDRESSED_KINDS", "SEVERITIES"]

LEVELS = INSPECTION_LEVELS   # 四级检查: city, street, community, unit


def case_etag(case_id: str, version: int) -> str:
    """The strong ETag of one version of a case (send it as If-Match with an action)."""
    return f'"case-{case_id}-v{version}"'


def domain_case(row) -> Case:
    """The stored case as :class:`grids.cases.Case`, for the state machine."""
    return Case(state=row.state, deadline=row.deadline, level=row.level, reworks=row.reworks,
                deferrals=row.deferrals, rectified_by=row.rectified_by, assignee=row.assignee,
                evidence=row.evidence, closed_at=row.closed_at)


def _event(event) -> dict:
    return {"action": event.action, "action_label": ACTION_LABELS.get(event.action, event.action),
            "from": event.from_state, "to": event.to_state, "by": event.by, "at": iso(event.at),
            "note": event.note, **(event.details or {})}


def case_properties(row, events, now, categories: dict) -> dict:
    """A case's fields, labels, whether it is overdue now, the level answering for it, its history."""
    case = domain_case(row)
    category = categories.get(row.category)
    return {
        "id": row.id, "inspection_id": row.inspection_id, "item": row.item, "category": row.category,
        "category_label": category.label if category else row.category, "severity": row.severity,
        "severity_label": SEVERITIES.get(row.severity, row.severity), "grid": row.grid,
        "community": row.grid[:12], "street": row.grid[:9], "district": row.grid[:6],
        "lon": row.lon, "lat": row.lat, "addressed_kind": row.addressed_kind,
        "addressed_kind_label": ADDRESSED_KINDS.get(row.addressed_kind, row.addressed_kind),
        "addressed_ref": row.addressed_ref, "assignee": row.assignee, "level": row.level, "state": row.state,
        "state_label": STATES.get(row.state, row.state), "registered_at": iso(row.registered_at),
        "deadline": iso(row.deadline), "closed_at": iso(row.closed_at), "deferrals": row.deferrals,
        "deferred": row.deferrals > 0, "reworks": row.reworks, "rectified_by": row.rectified_by,
        "evidence": row.evidence, "notes": row.notes, "version": row.version,
        "overdue": is_overdue(case, now), "answering_level": escalation_level(case, now),
        "allowed_actions": allowed_actions(row.state), **(row.attrs or {}),
        "updated_at": iso(row.updated_at), "updated_by": row.updated_by,
        "history": [_event(e) for e in events],
    }


def _point(lon, lat):
    return {"type": "Point", "coordinates": [lon, lat]} if lon is not None and lat is not None else None


def case_feature(row, events, now, categories: dict) -> dict:
    return {"type": "Feature", "id": row.id, "geometry": _point(row.lon, row.lat),
            "properties": case_properties(row, events, now, categories)}


def inspection_feature(row, case_ids=()) -> dict:
    """An inspection with the checklist items it was scored with and the ids of the cases it opened."""
    return {"type": "Feature", "id": row.id, "geometry": _point(row.lon, row.lat), "properties": {
        "id": row.id, "kind": row.kind, "kind_label": INSPECTION_KINDS.get(row.kind, row.kind), "level": row.level,
        "level_label": LEVELS.get(row.level, row.level), "inspector": row.inspector, "at": iso(row.at),
        "lon": row.lon, "lat": row.lat, "grid": row.grid, "community": row.community, "frontage": row.frontage,
        "place": row.place, "checklist": {"kind": row.checklist_kind, "version": row.checklist_version,
                                          "items": row.checklist_items},
        "results": row.results, "score": row.score, "notes": row.notes, "photos": row.photos, "exif": row.exif,
        "cases": list(case_ids), "created_at": iso(row.created_at), "created_by": row.created_by}}
