"""People and grid roles for the API: roles go through the people import's validation.

A role change rewrites the grid's whole role list through :func:`import_frames` ("people"
layer: one leader, A/B posts with a different, known backup), with the audit entry in the
same transaction. People themselves are city-wide: only unscoped editors and admins change them.
"""
from __future__ import annotations

import hashlib

import orjson
import pandas as pd
from sqlalchemy import delete, select

from ..audit import record as audit
from ..auth import Principal, check_scope
from ..errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
from ..imports import import_frames
from ..storage import repository as repo
from ..storage import session_scope
from ..storage.photos import MAX_PHOTO_BYTES, store_photo
from ..storage.schema import Person, Role
from .grid_edits import current_version

__all__ = ["list_people", "get_person", "create_person", "update_person", "remove_person",
           "store_person_photo", "grid_roles", "roles_etag", "replace_roles", "add_role", "remove_role"]

ROLE_COLUMNS = ["name", "phone", "photo", "grid", "role", "backup"]


def _unscoped(principal: Principal) -> None:
    if principal.district is not None:
        raise Forbidden(f"people are shared by every district; a token scoped to {principal.district} "
                        "changes them only through its grids' roles")


def _person_dict(session, row: Person) -> dict:
    roles = session.execute(select(Role.grid, Role.role).where(Role.person_id == row.id).order_by(Role.grid)).all()
    return {"phone": row.phone, "name": row.name, "photo": row.photo,
            "roles": [{"grid": g, "role": r} for g, r in roles]}


def list_people(engine, *, after: str = "", limit: int = 100) -> list[dict]:
    """Return people ordered by phone, after the given phone."""
    with session_scope(engine) as session:
        rows = session.scalars(select(Person).where(Person.phone > after).order_by(Person.phone).limit(limit)).all()
        return [_person_dict(session, r) for r in rows]


def get_person(engine, phone: str) -> dict:
    """Return one person with the roles they hold."""
    with session_scope(engine) as session:
        row = session.scalar(select(Person).where(Person.phone == phone))
        if row is None:
            raise NotFound(f"no person with phone {phone}")
        return _person_dict(session, row)


def create_person(engine, principal, body: dict) -> dict:
    """Add a person (phone, name, photo); 409 when the phone is taken."""
    _unscoped(principal)
    with session_scope(engine, write=True) as session:
        if session.scalar(select(Person.id).where(Person.phone == body["phone"])) is not None:
            raise Conflict(f"phone {body['phone']} already belongs to someone; change them with PATCH")
        repo.upsert_people(session, [(body["phone"], body["name"], body.get("photo"))])
        after = {"phone": body["phone"], "name": body["name"], "photo": body.get("photo")}
        audit(session, principal.actor, "create", "people", body["phone"], None, after)
    return get_person(engine, body["phone"])


def update_person(engine, principal, phone: str, body: dict) -> dict:
    """Change a person's name or photo."""
    _unscoped(principal)
    with session_scope(engine, write=True) as session:
        row = session.scalar(select(Person).where(Person.phone == phone))
        if row is None:
            raise NotFound(f"no person with phone {phone}")
        before = {"phone": row.phone, "name": row.name, "photo": row.photo}
        for key in ("name", "photo"):
            if key in body:
                setattr(row, key, body[key])
        repo.bump_register_version(session)
        audit(session, principal.actor, "update", "people", phone, before,
              {"phone": row.phone, "name": row.name, "photo": row.photo})
    return get_person(engine, phone)


def store_person_photo(engine, principal, phone: str, upload, instance) -> dict:
    """Store an uploaded photo (re-encoded by Pillow) as the person's photo; 422 for anything not an image."""
    _unscoped(principal)
    get_person(engine, phone)
    if upload is None:
        raise ValidationFailed("send the photo as the multipart form field 'photo'")
    url = store_photo(instance, upload.read(MAX_PHOTO_BYTES + 1), "photo")
    return update_person(engine, principal, phone, {"photo": url})


def remove_person(engine, principal, phone: str) -> None:
    """Remove a person who serves no grid and backs up no one (409 otherwise)."""
    _unscoped(principal)
    with session_scope(engine, write=True) as session:
        row = session.scalar(select(Person).where(Person.phone == phone))
        if row is None:
            raise NotFound(f"no person with phone {phone}")
        busy = session.scalar(select(Role.grid).where((Role.person_id == row.id) | (Role.backup_id == row.id)))
        if busy is not None:
            raise Conflict(f"{phone} still serves or backs up grid {busy}; change that grid's roles first")
        before = {"phone": row.phone, "name": row.name, "photo": row.photo}
        session.execute(delete(Person).where(Person.id == row.id))
        repo.bump_register_version(session)
        audit(session, principal.actor, "remove", "people", phone, before, None)


def grid_roles(engine, code: str) -> list[dict]:
    """Return a grid's roles: role, person (name, phone) and, for cleaners, the B post."""
    current_version(engine, code)
    with session_scope(engine) as session:
        roles = repo.load_roles(session, under=code)
    return [{"role": r.role, "name": r.name, "phone": r.person, "backup": r.backup, "backup_name": r.backup_name}
            for r in roles.itertuples()]


def roles_etag(code: str, roles: list[dict]) -> str:
    """Return the strong ETag of a grid's role list: it changes whenever any role, person or B post does."""
    keys = sorted((r["role"], r["phone"], r.get("backup") or "", r.get("name") or "") for r in roles)
    return f'"{code}-roles-{hashlib.sha256(orjson.dumps(keys)).hexdigest()[:16]}"'


def _check_etag(code: str, roles: list[dict], if_match: str | None) -> None:
    """Refuse a role change made without If-Match (428) or against a list changed since (412)."""
    etag = roles_etag(code, roles)
    if not if_match:
        raise PreconditionRequired(f"send If-Match with the roles' ETag ({etag}) so that a concurrent edit "
                                   "is never overwritten")
    tags = [t.strip() for t in if_match.split(",")]
    if "*" not in tags and etag not in tags:
        raise PreconditionFailed(f"the roles of grid {code} changed since you read them (ETag now {etag}); "
                                 "read them again and redo your change")


def _rows(engine, code: str, roles: list[dict]) -> pd.DataFrame:
    phones = {r["phone"] for r in roles} | {r["backup"] for r in roles if r.get("backup")}
    with session_scope(engine) as session:
        people = repo.load_people(session)
    known = people[people["phone"].isin(phones)].set_index("phone")
    rows = []
    for r in roles:
        # A known person keeps their name: roles never rename anyone (people are shared by districts).
        name = known.loc[r["phone"], "name"] if r["phone"] in known.index else r.get("name")
        rows.append({"name": name, "phone": r["phone"], "photo": None, "grid": code, "role": r["role"],
                     "backup": r.get("backup")})
    return pd.DataFrame(rows, columns=ROLE_COLUMNS)


def replace_roles(engine, principal, code: str, roles: list[dict], if_match: str | None) -> list[dict]:
    """Replace a grid's whole role list (validated like a people import, If-Match required); return the new list."""
    check_scope(principal, code)
    before = grid_roles(engine, code)
    _check_etag(code, before, if_match)
    if not roles:
        return _clear_roles(engine, principal, code, before, if_match)

    def hook(session, report):
        _recheck(engine, code, if_match)
        audit(session, principal.actor, "roles", "roles", code, {"roles": before}, {"roles": roles})

    import_frames(engine, {}, "people", _rows(engine, code, roles), by=principal.actor, on_write=hook)
    return grid_roles(engine, code)


def _recheck(engine, code: str, if_match: str) -> None:
    """Inside the write transaction: the committed roles still carry the ETag the caller read.

    Writes are serialised (BEGIN IMMEDIATE on SQLite, the register's advisory lock on PostgreSQL),
    so the committed list a separate read session sees now is the one this write replaces; a
    writer that got in first makes this one roll back with 412.
    """
    _check_etag(code, grid_roles(engine, code), if_match)


def _clear_roles(engine, principal, code, before, if_match) -> list:
    with session_scope(engine, write=True) as session:
        _recheck(engine, code, if_match)
        session.execute(delete(Role).where(Role.grid == code))
        repo.bump_register_version(session)
        audit(session, principal.actor, "roles", "roles", code, {"roles": before}, {"roles": []})
    return []


def _as_input(current: list[dict]) -> list[dict]:
    return [{"phone": r["phone"], "role": r["role"], "backup": r["backup"]} for r in current]


def add_role(engine, principal, code: str, role: dict, if_match: str | None) -> list[dict]:
    """Add one role to a grid (A/B pairing: a cleaner's ``backup``); return the new list."""
    check_scope(principal, code)
    listed = grid_roles(engine, code)
    _check_etag(code, listed, if_match)
    current = _as_input(listed)
    if any(r["phone"] == role["phone"] and r["role"] == role["role"] for r in current):
        raise Conflict(f"{role['phone']} is already {role['role']} of grid {code}")
    return replace_roles(engine, principal, code, current + [role], roles_etag(code, listed))


def remove_role(engine, principal, code: str, role: str, phone: str, if_match: str | None) -> list[dict]:
    """Remove one role from a grid; return the new list."""
    check_scope(principal, code)
    listed = grid_roles(engine, code)
    _check_etag(code, listed, if_match)
    current = _as_input(listed)
    kept = [r for r in current if not (r["phone"] == phone and r["role"] == role)]
    if len(kept) == len(current):
        raise NotFound(f"{phone} is not {role} of grid {code}")
    return replace_roles(engine, principal, code, kept, roles_etag(code, listed))
