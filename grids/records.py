"""Turn imported feature properties into register records, naming every bad field.

Fields follow DESIGN's fixed import names. Regions: code, name (level from the code's
length). Grids: code (optional), name, community (optional when code is given),
households, population, type, sign_lon/sign_lat; other properties are kept as attributes.
"""
from __future__ import annotations

import math
import re

from .codes import CodeError, check_grid_code, check_region_code, level_of
from .roles import parse_grid_type, parse_role
from .text import control_character_reason, text_reasons

__all__ = ["MAX_TEXT", "region_record", "grid_record", "person_role_record", "GRID_FIELDS", "REGION_FIELDS"]

MAX_TEXT = 200
REGION_FIELDS = ("code", "name", "level", "parent")
GRID_FIELDS = ("code", "name", "community", "type", "households", "population", "sign_lon", "sign_lat")
# Columns the register computes or keeps itself: never stored as attributes.
_DERIVED = {"area_m2", "version", "start_date", "end_date", "level", "parent", "geometry", "status",
            "district", "street", "id"}
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,30}$")


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def _text(props, key, errors, required=True):
    value = props.get(key)
    if _blank(value):
        if required:
            errors.append(f"{key} is missing")
        return None
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        errors.append(f"{key} is longer than {MAX_TEXT} characters")
    reason = control_character_reason(text, key)
    if reason:
        errors.append(reason)
    return text


def _count(props, key, errors) -> int:
    value = props.get(key)
    if _blank(value):
        return 0
    if isinstance(value, bool):
        errors.append(f"{key} must be a whole number >= 0, got {value!r}")
        return 0
    try:
        number = float(str(value).strip())
    except ValueError:
        errors.append(f"{key} must be a whole number >= 0, got {value!r}")
        return 0
    if not math.isfinite(number) or number < 0 or number != int(number) or number > 10_000_000:
        errors.append(f"{key} must be a whole number between 0 and 10,000,000, got {value!r}")
        return 0
    return int(number)


def _coordinate(props, key, limit, errors):
    value = props.get(key)
    if _blank(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.append(f"{key} must be a number, got {value!r}")
        return None
    if not math.isfinite(number) or abs(number) > limit:
        errors.append(f"{key} must be within ±{limit}, got {value!r}")
        return None
    return number


def _attrs(props, known, errors) -> dict:
    out = {}
    for key, value in props.items():
        if key in known or key in _DERIVED or _blank(value):
            continue
        out[str(key)] = value.item() if hasattr(value, "item") else value
    errors += text_reasons(out, "attributes")
    return out


def region_record(props: dict) -> tuple[dict, list[str]]:
    """Return (record, errors) for one region's properties."""
    errors = []
    code = _text(props, "code", errors)
    name = _text(props, "name", errors)
    record = {"code": code, "name": name, "attrs": _attrs(props, REGION_FIELDS, errors)}
    if code is not None:
        try:
            record["code"] = check_region_code(code)
            record["level"] = level_of(record["code"])
        except CodeError as exc:
            errors.append(str(exc))
    return record, errors


def grid_record(props: dict) -> tuple[dict, list[str]]:
    """Return (record, errors) for one grid's properties; code may be None (assigned later)."""
    errors = []
    code = _text(props, "code", errors, required=False)
    community = _text(props, "community", errors, required=False)
    if community is None and code is not None and len(code) == 15:
        community = code[:12]
    record = {
        "code": code, "community": community, "name": _text(props, "name", errors),
        "households": _count(props, "households", errors), "population": _count(props, "population", errors),
        "sign_lon": _coordinate(props, "sign_lon", 180, errors), "sign_lat": _coordinate(props, "sign_lat", 90, errors),
        "attrs": _attrs(props, GRID_FIELDS, errors),
    }
    try:
        record["type"] = parse_grid_type(props.get("type"))
    except ValueError as exc:
        errors.append(str(exc))
    if community is None:
        errors.append("community is missing (give the 12-digit community code, or a 15-digit grid code)")
    else:
        try:
            check_region_code(community)
            if level_of(community) != "community":
                errors.append(f"community {community!r} is not a 12-digit community code")
            elif code is not None:
                check_grid_code(code, community)
        except CodeError as exc:
            errors.append(str(exc))
    if (record["sign_lon"] is None) != (record["sign_lat"] is None):
        errors.append("sign_lon and sign_lat must be given together")
    return record, errors


def person_role_record(props: dict) -> tuple[dict, list[str]]:
    """Return (record, errors) for one row of a people CSV: a person and, optionally, a role."""
    errors = []
    record = {
        "name": _text(props, "name", errors),
        "phone": _text(props, "phone", errors),
        "photo": _text(props, "photo", errors, required=False),
        "grid": _text(props, "grid", errors, required=False),
        "backup": _text(props, "backup", errors, required=False),
        "role": None,
    }
    for key in ("phone", "backup"):
        if record[key] is not None and not _PHONE.match(record[key]):
            errors.append(f"{key} {record[key]!r} is not a phone number")
    raw_role = props.get("role")
    if not _blank(raw_role):
        try:
            record["role"] = parse_role(raw_role)
        except ValueError as exc:
            errors.append(str(exc))
    if record["grid"] is not None:
        try:
            check_grid_code(record["grid"])
        except CodeError as exc:
            errors.append(str(exc))
        if record["role"] is None and not errors:
            errors.append("role is missing for the grid given")
    elif record["role"] is not None:
        errors.append("grid is missing for the role given")
    if record["backup"] is not None and record["role"] != "cleaner":
        errors.append("only a cleaner (保洁员) post has a backup")
    return record, errors
