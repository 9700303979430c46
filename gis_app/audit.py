"""The audit log: every API write, with who, when, what, and the record before and after."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .storage import repository as repo
from .storage import session_scope
from .storage.schema import AuditEntry

__all__ = ["AuditEntry", "record", "read_audit"]


def record(session: Session, actor: str, action: str, layer: str, target: str, before=None, after=None) -> None:
    """Add one audit entry inside the caller's write transaction."""
    session.add(AuditEntry(at=repo.now(), actor=actor[:100], action=action, layer=layer, target=target[:100],
                           before=before, after=after))


def read_audit(engine, *, target: str | None = None, after_id: int = 0, limit: int = 100) -> list[dict]:
    """Return audit entries with id above ``after_id``, oldest first, optionally for one target."""
    stmt = select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id).limit(limit)
    if target:
        stmt = stmt.where(AuditEntry.target == target)
    with session_scope(engine) as session:
        rows = session.scalars(stmt).all()
    return [{"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "layer": r.layer,
             "target": r.target, "before": r.before, "after": r.after} for r in rows]
