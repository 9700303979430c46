"""Rows of an inspections or cases file (paper records, another system's register) checked field by field.

Every bad field is named with its row, like the other registers' records (:mod:`grids.fields`).
Times are ISO 8601 or a spreadsheet's date-time cell, China time when they carry no offset; a
deadline given as a bare date means the end of that day (another system's "整改期限 2026-10-08"),
any other bare date its start.
"""
from __future__ import annotations

import datetime as dt
import math
import re

import orjson

from .cases import LEVELS, STATES
from .checklists import INSPECTION_KINDS, RESULTS
from .fields import choice_field, coordinate_field, count_field, is_blank, photo_field, ref_field, text_field

__all__ = ["CHINA", "china_time", "time_field", "case_record", "inspection_record", "SEVERITIES", "INSPECTION_LEVELS",
           "ADDRESSED_KINDS", "CASE_COLUMNS", "INSPECTION_COLUMNS", "flag_field", "list_field"]

CHINA = dt.timezone(dt.timedelta(hours=8))
SEVERITIES = {"normal": "一般", "emergency": "紧急"}
INSPECTION_LEVELS = {"city": "市级", "street": "街道（乡镇）级", "community": "社区级", "unit": "单位自查"}
ADDRESSED_KINDS = {"frontage": "门前三包责任单位", "place": "重点场所经营者", "grid_leader": "网格长",
                   "grid": "网格（无网格长）"}
CASE_COLUMNS = ("id", "inspection_id", "item", "category", "severity", "grid", "lon", "lat", "addressed_kind",
                "addressed_ref", "assignee", "level", "state", "registered_at", "deadline", "closed_at", "deferred",
                "deferrals", "reworks", "rectified_by", "evidence", "notes")
INSPECTION_COLUMNS = ("id", "kind", "level", "inspector", "at", "lon", "lat", "frontage", "place", "results",
                      "emergency", "notes", "cases", "checklist_items")
_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def china_time(value) -> dt.datetime:
    """A datetime, date or ISO 8601 text (``Z`` and offsets accepted) as China time without a zone; ValueError if none."""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    try:
        if isinstance(value, str):
            text = value.strip()
            value = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        if not isinstance(value, dt.datetime):
            raise ValueError(f"not a time: {value!r}")
        if value.tzinfo is not None:
            value = value.astimezone(CHINA).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(f"{value} is out of range") from None
    return value.replace(microsecond=0)


def time_field(props, key, errors, *, required=True, end_of_day=False):
    """A time as China time without a zone; None when missing (an error when ``required``)."""
    value = props.get(key)
    if is_blank(value):
        if required:
            errors.append(f"{key} is missing")
        return None
    bare = isinstance(value, dt.date) and not isinstance(value, dt.datetime) or (
        isinstance(value, str) and _BARE_DATE.fullmatch(value.strip()) is not None)
    try:
        moment = china_time(value)
    except ValueError:
        errors.append(f"{key} must be an ISO 8601 time (2026-09-30T10:00:00+08:00, or a date), got {str(value)[:40]!r}")
        return None
    return moment.replace(hour=23, minute=59, second=59) if bare and end_of_day else moment


def flag_field(props, key, errors) -> bool:
    """true/false, yes/no, 1/0, 是/否; missing is false."""
    value = props.get(key)
    if is_blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "1.0", "是", "y"):
        return True
    if text in ("false", "no", "0", "0.0", "否", "n"):
        return False
    errors.append(f"{key} must be true or false, got {str(value)[:40]!r}")
    return False


def list_field(props, key, errors) -> list[str]:
    """Keys separated by ``;`` or ``,`` (or a JSON list); missing is none."""
    value = props.get(key)
    if is_blank(value):
        return []
    if isinstance(value, list):
        items = value
    else:
        text = str(value).strip()
        items = _json(text, key, errors) if text.startswith("[") else re.split(r"[;,，；]", text)
        if not isinstance(items, list):
            errors.append(f"{key} must be a list of keys")
            return []
    out = [str(i).strip() for i in items if str(i).strip()]
    if any(len(i) > 64 for i in out):
        errors.append(f"{key}: a key is longer than 64 characters")
    return out


def _json(text, key, errors):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        errors.append(f"{key} is not valid JSON")
        return None


def _grid(props, errors):
    value = props.get("grid")
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not re.fullmatch(r"\d{15}", text):
        errors.append(f"grid {text[:40]!r} must be a 15-digit grid code")
        return None
    return text


def _point(props, errors):
    lon, lat = coordinate_field(props, "lon", 180, errors), coordinate_field(props, "lat", 90, errors)
    if (lon is None) != (lat is None):
        errors.append("give both lon and lat, or neither")
        return None, None
    return lon, lat


def case_record(props: dict, categories: dict) -> tuple[dict, list[str]]:
    """Return (record, errors) for one case row; ``categories`` the configured case categories."""
    errors: list[str] = []
    deferred = flag_field(props, "deferred", errors)
    deferrals = count_field(props, "deferrals", errors) if not is_blank(props.get("deferrals")) else int(deferred)
    lon, lat = _point(props, errors)
    record = {
        "id": ref_field(props, "id", errors),
        "inspection_id": ref_field(props, "inspection_id", errors),
        "item": text_field(props, "item", errors, required=False, max_len=64),
        "category": choice_field(props, "category", {k: c.label for k, c in categories.items()}, errors),
        "severity": choice_field(props, "severity", SEVERITIES, errors, default="normal"),
        "grid": _grid(props, errors), "lon": lon, "lat": lat,
        "addressed_kind": choice_field(props, "addressed_kind", ADDRESSED_KINDS, errors, default="grid"),
        "addressed_ref": text_field(props, "addressed_ref", errors, required=False, max_len=100),
        "assignee": text_field(props, "assignee", errors, required=False, max_len=100),
        "level": choice_field(props, "level", {k: k for k in LEVELS}, errors, default="grid"),
        "state": choice_field(props, "state", STATES, errors),
        "registered_at": time_field(props, "registered_at", errors),
        "deadline": time_field(props, "deadline", errors, end_of_day=True),
        "closed_at": time_field(props, "closed_at", errors, required=False),
        "deferrals": deferrals, "reworks": count_field(props, "reworks", errors),
        "rectified_by": text_field(props, "rectified_by", errors, required=False, max_len=100),
        "evidence": photo_field(props, "evidence", errors, files=False),
        "notes": text_field(props, "notes", errors, required=False, max_len=2000),
    }
    if record["id"] is None and not any(e.startswith("id ") for e in errors):
        errors.append("id is missing (the case's id in the system it comes from)")
    if record["grid"] is None and lon is None and not any(e.startswith(("grid", "lon", "lat", "give")) for e in errors):
        errors.append("give the grid (15-digit code) or lon and lat")
    _case_times(record, errors)
    return record, errors


def _case_times(record, errors) -> None:
    registered, deadline, closed = record["registered_at"], record["deadline"], record["closed_at"]
    if registered and deadline and deadline < registered:
        errors.append(f"deadline {deadline:%Y-%m-%d %H:%M} is before registered_at {registered:%Y-%m-%d %H:%M}")
    if registered and closed and closed < registered:
        errors.append(f"closed_at {closed:%Y-%m-%d %H:%M} is before registered_at {registered:%Y-%m-%d %H:%M}")
    state = record["state"]
    if state == "closed" and closed is None and registered is not None:
        errors.append("a closed case needs closed_at")
    if state is not None and state != "closed" and closed is not None:
        errors.append(f"closed_at is given but the state is {state}; leave it empty while the case is open")


def _results(props, keys, errors) -> dict:
    """Results from a ``results`` JSON cell, else from one column per checklist item key."""
    raw = props.get("results")
    if not is_blank(raw):
        value = raw if isinstance(raw, dict) else _json(str(raw), "results", errors)
        if value is not None and not isinstance(value, dict):
            errors.append("results must be a JSON object of item key → pass, fail or na")
            return {}
        return {str(k): str(v).strip().lower() for k, v in (value or {}).items()}
    out = {}
    for key in keys:
        value = props.get(key)
        if not is_blank(value):
            out[key] = {"合格": "pass", "不合格": "fail", "不适用": "na"}.get(str(value).strip(), str(value).strip().lower())
    return out


def inspection_record(props: dict, checklist_keys: dict) -> tuple[dict, list[str]]:
    """Return (record, errors) for one inspection row; ``checklist_keys``: kind → the current list's item keys."""
    errors: list[str] = []
    kind = choice_field(props, "kind", INSPECTION_KINDS, errors)
    lon, lat = _point(props, errors)
    if lon is None and not any(e.startswith(("lon", "lat", "give")) for e in errors):
        errors.append("lon and lat are missing (or the feature's point)")
    items = None
    if not is_blank(props.get("checklist_items")):
        items = _json(str(props["checklist_items"]), "checklist_items", errors)
        if items is not None and not (isinstance(items, list) and items and all(
                isinstance(i, dict) and isinstance(i.get("key"), str) and isinstance(i.get("weight"), (int, float))
                and not isinstance(i.get("weight"), bool) and math.isfinite(i["weight"]) and i["weight"] > 0
                and isinstance(i.get("category"), str) for i in items)):
            errors.append("checklist_items must be the JSON list of items (key, weight, category) it was scored with")
            items = None
    keys = [i["key"] for i in items] if items else checklist_keys.get(kind, [])
    record = {
        "id": ref_field(props, "id", errors), "kind": kind,
        "level": choice_field(props, "level", INSPECTION_LEVELS, errors, default="community"),
        "inspector": text_field(props, "inspector", errors, max_len=100),
        "at": time_field(props, "at", errors), "lon": lon, "lat": lat,
        "frontage": ref_field(props, "frontage", errors), "place": ref_field(props, "place", errors),
        "results": _results(props, keys, errors), "emergency": list_field(props, "emergency", errors),
        "notes": text_field(props, "notes", errors, required=False, max_len=2000),
        "cases": list_field(props, "cases", errors), "checklist_items": items,
    }
    bad = sorted(k for k, v in record["results"].items() if v not in RESULTS)
    if bad:
        errors.append(f"results must be pass, fail or na (合格/不合格/不适用); item(s) {', '.join(bad[:5])} are not")
    if record["frontage"] and record["place"]:
        errors.append("give at most one of frontage and place")
    return record, errors
