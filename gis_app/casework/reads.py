"""Reads of inspections and cases for the API and the CLI: pages of Features, one Feature with its ETag."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from .. import case_rules as rules
from ..errors import NotFound
from ..storage import cases as store
from ..storage import session_scope
from ..storage.frontages import layer_version
from ..storage.schema import Case, Inspection
from . import clock
from .shapes import case_etag, case_feature, inspection_feature

__all__ = ["get_case", "case_page", "get_inspection", "inspection_page", "list_etag"]


def _inside(grid: str, scope: str | None) -> bool:
    return scope is None or grid.startswith(scope)


def get_case(engine, settings, case_id: str, scope: str | None = None) -> tuple[dict, str]:
    """(Feature, ETag) of one case; 404 when unknown or outside the reader's district."""
    with session_scope(engine) as session:
        row = store.stored_case(session, case_id)
        if row is None or not _inside(row.grid, scope):
            raise NotFound(f"no case {case_id}" + (f" in district {scope}" if scope and row is not None else ""))
        events = store.case_events(session, [case_id])[case_id]
    return case_feature(row, events, clock.now(), rules.case_categories(settings)), case_etag(row.id, row.version)


def case_page(engine, settings, q: dict) -> dict:
    """{'features', 'next_cursor'} for one page of cases matching the filters in ``q``."""
    limit = q.get("limit", 100)
    now = clock.now()
    with session_scope(engine) as session:
        rows = store.list_cases(session, under=_under(q), category=q.get("category"), state=q.get("state"),
                                severity=q.get("severity"), overdue=q.get("overdue"), now=now,
                                addressed_kind=q.get("addressed_kind"), inspection=q.get("inspection"),
                                cursor=q.get("cursor"), limit=limit)
        events = store.case_events(session, [r.id for r in rows])
    categories = rules.case_categories(settings)
    features = [case_feature(r, events[r.id], now, categories) for r in rows]
    return {"features": features, "next_cursor": rows[-1].id if len(rows) == limit else None}


def _under(q: dict) -> str | None:
    return q.get("grid") or q.get("community") or q.get("street") or q.get("district")


def get_inspection(engine, inspection_id: str, scope: str | None = None) -> dict:
    with session_scope(engine) as session:
        row = session.get(Inspection, inspection_id)
        if row is None or not _inside(row.grid, scope):
            raise NotFound(f"no inspection {inspection_id}")
        cases = session.scalars(select(Case.id).where(Case.inspection_id == inspection_id).order_by(Case.id)).all()
    return inspection_feature(row, cases)


def inspection_page(engine, q: dict) -> dict:
    limit = q.get("limit", 100)
    since = clock.china_time(q["since"]) if q.get("since") else None
    until = clock.china_time(q["until"]) if q.get("until") else None
    with session_scope(engine) as session:
        rows = store.list_inspections(session, under=_under(q), kind=q.get("kind"), level=q.get("level"),
                                      since=since, until=until, cursor=q.get("cursor"), limit=limit)
        ids = [r.id for r in rows]
        opened: dict = {i: [] for i in ids}
        for start in range(0, len(ids), 5000):
            for case_id, inspection in session.execute(select(Case.id, Case.inspection_id).where(
                    Case.inspection_id.in_(ids[start:start + 5000])).order_by(Case.id)):
                opened[inspection].append(case_id)
    return {"features": [inspection_feature(r, opened[r.id]) for r in rows],
            "next_cursor": rows[-1].id if len(rows) == limit else None}


def list_etag(engine, layer: str, query_string: bytes) -> str:
    """A weak ETag for a list: the layer's version (every write bumps it) and the query.

    A case list also depends on the clock (``overdue``), so its tag carries the minute.
    """
    with session_scope(engine) as session:
        version = layer_version(session, layer)
    minute = f"-{clock.now():%Y%m%d%H%M}" if layer == "cases" else ""
    return f'W/"{layer}{version}{minute}-{hashlib.sha1(query_string).hexdigest()[:16]}"'
