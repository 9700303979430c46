"""The roster assign-staff reads: who can take which posts, from where, and how many.

One row per person, the people-CSV columns where they overlap (``phone`` is the id,
``name``, optional ``photo``) plus ``kinds`` (role kinds the person can take, English keys
or Chinese labels separated by ``;`` ``,`` ``、`` or ``|``), ``lon``/``lat`` (home or base, EPSG:4326)
and optional ``capacity`` (posts the person can hold; default and cap: the per-person limit).
Name and phone are checked by the people importer's own rule (:func:`person_role_record`).
"""
from __future__ import annotations

import re

# the people importer's own field checks: one rule for a phone, a coordinate and a count
from ..records import _blank, _coordinate, _count, person_role_record
from ..roles import parse_role
from ..validation import Problem

__all__ = ["ROSTER_COLUMNS", "roster_records"]

ROSTER_COLUMNS = ("phone", "name", "kinds", "lon", "lat", "capacity", "photo")
_SEPARATORS = re.compile(r"[;,，；、|]+")


def roster_record(row: dict, max_posts: int) -> tuple[dict, list[str]]:
    """Return (record, errors) for one roster row."""
    person, errors = person_role_record({k: row.get(k) for k in ("name", "phone", "photo")})
    record = {"phone": person["phone"], "name": person["name"], "photo": person["photo"], "kinds": []}
    raw = "" if _blank(row.get("kinds")) else str(row.get("kinds"))
    for part in (p.strip() for p in _SEPARATORS.split(raw)):
        if not part:
            continue
        try:
            kind = parse_role(part)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if kind not in record["kinds"]:
            record["kinds"].append(kind)
    if not record["kinds"]:
        errors.append("kinds is missing: the role kinds this person can take (e.g. cleaner;patroller)")
    for key, limit in (("lon", 180), ("lat", 90)):
        record[key] = _coordinate(row, key, limit, errors)
        if _blank(row.get(key)):
            errors.append(f"{key} is missing (home or base location, EPSG:4326)")
    record["capacity"] = max_posts if _blank(row.get("capacity")) else min(_count(row, "capacity", errors), max_posts)
    return record, errors


def roster_records(rows, max_posts: int) -> tuple[list[dict], list[Problem]]:
    """Validate every roster row; return the records and every problem (row index, phone, reason)."""
    records, problems, seen = [], [], {}
    for i, row in enumerate(rows):
        rec, errors = roster_record(row, max_posts)
        if rec["phone"] in seen:
            errors.append(f"phone {rec['phone']} is listed twice (also row {seen[rec['phone']]})")
        elif rec["phone"]:
            seen[rec["phone"]] = i
        problems += [Problem(i, rec["phone"], e) for e in errors]
        records.append(rec)
    return records, problems
