"""Reads of inspections, cases and measures limited to a district-scoped reader's district."""
from __future__ import annotations

from ..access import read_scope
from ..errors import Forbidden
from .case_schemas import REGION_FIELDS

__all__ = ["scoped_query"]


def scoped_query(q: dict) -> tuple[dict, str | None]:
    """(the query with the reader's district filled in, that district or None); 403 for a region outside it."""
    scope = read_scope()
    if scope is None:
        return q, None
    for key in REGION_FIELDS:
        if q.get(key) and not str(q[key]).startswith(scope):
            raise Forbidden(f"this sign-in sees only district {scope}; {q[key]} lies outside it")
    if not any(q.get(key) for key in REGION_FIELDS):
        q = {**q, "district": scope}
    return q, scope
