"""Published monthly evaluations, and the names their rows show: reads and writes in the caller's session."""
from __future__ import annotations

from sqlalchemy import insert, select

from .schema import Evaluation, Frontage, Inspection, Place, Region

__all__ = ["published", "insert_published", "checklist_versions", "region_names", "unit_names"]


def published(session, month: str) -> Evaluation | None:
    """The published row of ``month`` (YYYY-MM), None when the month is not published."""
    return session.get(Evaluation, month)


def insert_published(session, row: dict) -> None:
    session.execute(insert(Evaluation.__table__), [row])


def checklist_versions(session, since, until) -> dict:
    """Inspection kind → the sorted checklist versions the inspections in [since, until) were scored with."""
    found: dict = {}
    stmt = (select(Inspection.checklist_kind, Inspection.checklist_version).distinct()
            .where(Inspection.at >= since, Inspection.at < until))
    for kind, version in session.execute(stmt):
        found.setdefault(kind, []).append(version)
    return {kind: sorted(versions) for kind, versions in sorted(found.items())}


def region_names(session, codes) -> dict:
    codes = sorted(set(codes))
    return dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes or [""]))).all())


def unit_names(session, refs) -> dict:
    """Unit ref → the frontage's unit name or the place's name (a ref that is both: the frontage)."""
    refs = sorted(set(refs)) or [""]
    names = dict(session.execute(select(Place.ref, Place.name).where(Place.ref.in_(refs))).all())
    names.update(session.execute(select(Frontage.ref, Frontage.unit_name).where(Frontage.ref.in_(refs))).all())
    return names
