"""API tokens: created once, stored as SHA-256, checked in constant time, scoped to a district.

Roles: ``viewer`` reads, ``editor`` writes (within its district when it has one), ``admin``
writes anywhere and reads the audit log.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from grids.codes import check_region_code

from .errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from .storage import repository as repo
from .storage import session_scope
from .storage.schema import ApiToken

__all__ = ["ROLES", "ApiToken", "Principal", "create_token", "revoke_token", "list_tokens",
           "principal_for", "token_principal", "active_token", "require", "check_scope"]

ROLES = ("viewer", "editor", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's (or a signed-in user's) id, name, role and district scope (None = everywhere)."""

    id: int
    name: str
    role: str
    district: str | None
    kind: str = "token"

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}:{self.name}"[:100]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(engine, role: str, *, district: str | None = None, name: str | None = None) -> tuple[int, str]:
    """Create a token and return (id, secret); the secret is shown once and never stored."""
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if district is not None:
        check_region_code(district)
    secret = secrets.token_urlsafe(32)
    with session_scope(engine, write=True) as session:
        row = ApiToken(name=(name or f"{role}{'@' + district if district else ''}")[:100], role=role,
                       district=district, digest=_digest(secret), created_at=repo.now())
        session.add(row)
        session.flush()
        return row.id, secret


def revoke_token(engine, token_id: int) -> None:
    """Revoke a token for good."""
    with session_scope(engine, write=True) as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.revoked_at is not None:
            raise NotFound(f"no active token with id {token_id}")
        row.revoked_at = repo.now()


def list_tokens(engine) -> list[dict]:
    """Return every token's id, name, role, district and dates (never the secret)."""
    with session_scope(engine) as session:
        rows = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    return [{"id": r.id, "name": r.name, "role": r.role, "district": r.district,
             "created_at": r.created_at.isoformat(), "revoked": r.revoked_at is not None} for r in rows]


def principal_for(engine, authorization: str | None) -> Principal | None:
    """Return the caller of an ``Authorization: Bearer …`` header, None without one."""
    if not authorization:
        return None
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip() or len(secret) > 200:
        raise Unauthorized("give the token as 'Authorization: Bearer <token>'")
    found = token_principal(engine, secret)
    if found is None:
        raise Unauthorized("the token is unknown or revoked")
    return found


def token_principal(engine, secret: str) -> Principal | None:
    """Return the holder of an active token's secret, None when it is unknown or revoked."""
    if not secret or len(secret) > 200:
        return None
    digest = _digest(secret.strip())
    with session_scope(engine) as session:
        row = session.scalar(select(ApiToken).where(ApiToken.digest == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.digest, digest):
        return None
    return Principal(row.id, row.name, row.role, row.district)


def active_token(engine, token_id: int) -> Principal | None:
    """Return the holder of a session signed in by token, None once the token is revoked."""
    with session_scope(engine) as session:
        row = session.get(ApiToken, token_id)
    return Principal(row.id, row.name, row.role, row.district) if row is not None and row.revoked_at is None else None


def require(principal: Principal | None, role: str) -> Principal:
    """Return the principal when it holds ``role`` or more; 401 without a token, 403 below it."""
    if principal is None:
        raise Unauthorized("this request needs a bearer token or a signed-in session")
    if _RANK[principal.role] < _RANK[role]:
        raise Forbidden(f"a {principal.role} token cannot do this; it needs {role}")
    return principal


def check_scope(principal: Principal, *codes: str | None) -> None:
    """Refuse (403) when a district-scoped token touches anything outside its district."""
    if principal.district is None:
        return
    for code in codes:
        if code is None or not str(code).startswith(principal.district):
            raise Forbidden(f"this token may change only district {principal.district}; "
                            f"{code or 'this record'} lies outside it")
