"""/api/v1/audit: the audit log of every write, for admins."""
from __future__ import annotations

from .body import Blueprint

from ..audit import read_audit
from . import engine, principal
from .respond import json_response, next_link
from .schemas import AuditQuery, OpenSchema

PREFIX = "/audit"
blp = Blueprint("audit", __name__, description="Audit log (admins): who changed what, before and after")


@blp.route("")
@blp.arguments(AuditQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema)
@blp.doc(security=[{"bearer": []}])
def list_audit(target=None, after=0, limit=100):
    """Audit entries oldest first; page on with ``after`` (the last id seen)."""
    principal("admin")
    entries = read_audit(engine(), target=target, after_id=after, limit=limit)
    more = len(entries) == limit
    return json_response({"entries": entries,
                          "next": next_link(entries[-1]["id"], "after") if more else None})
