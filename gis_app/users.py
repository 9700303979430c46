"""Users who sign in to the pages with a name and a password: argon2 hashes, roles and scopes as tokens.

A user is what a token is (a role, and optionally one district it is limited to), for people
who sign in through a browser. Only the argon2id hash of the password is stored.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from .auth import ROLES, Principal
from grids.codes import check_region_code

from .errors import Conflict, NotFound, ValidationFailed
from .storage import repository as repo
from .storage import session_scope
from .storage.schema import User

__all__ = ["create_user", "list_users", "disable_user", "check_password", "active_user", "MIN_PASSWORD"]

MIN_PASSWORD = 8
_hasher = PasswordHasher()
# Verifying against this when the name is unknown costs the same time as a real check.
_DUMMY = _hasher.hash("sanigrid: no such user")


def _principal(row: User) -> Principal:
    return Principal(row.id, row.name, row.role, row.district, kind="user")


def _checked(name: str, password: str, role: str, district: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise ValidationFailed("a user name has 1 to 100 printable characters")
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if len(password or "") < MIN_PASSWORD or len(password) > 1000:
        raise ValidationFailed(f"a password has at least {MIN_PASSWORD} characters")
    if district is not None:
        check_region_code(district)
        if len(district) != 6:
            raise ValidationFailed("a user's scope is a district: a 6-digit code")
    return name


def create_user(engine, name: str, password: str, role: str, *, district: str | None = None) -> int:
    """Create a user and return its id; the password is kept only as an argon2 hash."""
    name = _checked(name, password, role, district)
    with session_scope(engine, write=True) as session:
        if session.scalar(select(User.id).where(User.name == name)) is not None:
            raise Conflict(f"user {name} already exists")
        row = User(name=name, password_hash=_hasher.hash(password), role=role, district=district,
                   created_at=repo.now())
        session.add(row)
        session.flush()
        return row.id


def list_users(engine) -> list[dict]:
    """Return every user's id, name, role, district and whether it is disabled (never the hash)."""
    with session_scope(engine) as session:
        rows = session.scalars(select(User).order_by(User.id)).all()
    return [{"id": r.id, "name": r.name, "role": r.role, "district": r.district,
             "created_at": r.created_at.isoformat(), "disabled": r.disabled_at is not None} for r in rows]


def disable_user(engine, name: str) -> None:
    """Disable a user for good: its sessions end at their next request."""
    with session_scope(engine, write=True) as session:
        row = session.scalar(select(User).where(User.name == name))
        if row is None or row.disabled_at is not None:
            raise NotFound(f"no active user named {name}")
        row.disabled_at = repo.now()


def check_password(engine, name: str, password: str) -> Principal | None:
    """Return the user when the name and password match an active user, else None (same cost either way)."""
    with session_scope(engine) as session:
        row = session.scalar(select(User).where(User.name == (name or "").strip()))
    try:
        _hasher.verify(row.password_hash if row is not None else _DUMMY, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled_at is not None:
        return None
    return _principal(row)


def active_user(engine, user_id: int) -> Principal | None:
    """Return the user of a session, None when it was disabled or removed since."""
    with session_scope(engine) as session:
        row = session.get(User, user_id)
    return _principal(row) if row is not None and row.disabled_at is None else None
