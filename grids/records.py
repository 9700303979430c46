"""Turn imported feature properties into register records, naming every bad field.

Fields follow DESIGN's fixed import names. Regions: code, name (level from the code's
length). Grids: code (optional), name, community (optional when code is given),
households, population, type, sign_lon/sign_lat; other properties are kept as attributes.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from .codes import CodeError, check_grid_code, check_region_code, level_of
from .fields import MAX_TEXT, PHONE, attributes
from .fields import coordinate_field as _coordinate
from .fields import count_field as _count
from .fields import is_blank as _blank
from .fields import text_field as _text
from .photos import check_photo
from .roles import parse_grid_type, parse_role
from .text import FORBIDDEN, control_character_reason

__all__ = ["MAX_TEXT", "region_record", "grid_record", "person_role_record", "person_role_records", "GRID_FIELDS",
           "REGION_FIELDS", "PERSON_FIELDS"]

REGION_FIELDS = ("code", "name", "level", "parent")
GRID_FIELDS = ("code", "name", "community", "type", "households", "population", "sign_lon", "sign_lat")
# Columns the register computes or keeps itself: never stored as attributes.
_DERIVED = {"area_m2", "version", "start_date", "end_date", "level", "parent", "geometry", "status",
            "district", "street", "id"}
_PHONE = PHONE


def _attrs(props, known, errors) -> dict:
    return attributes(props, set(known) | _DERIVED, errors)


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


@functools.lru_cache(maxsize=4096)
def _community_reason(community: str) -> str | None:
    """Why ``community`` is not a community code (None when it is); a file's 20,000 grids name a few hundred."""
    try:
        if level_of(check_region_code(community)) != "community":
            return f"community {community!r} is not a 12-digit community code"
    except CodeError as exc:
        return str(exc)
    return None


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
    elif reason := _community_reason(community):
        errors.append(reason)
    elif code is not None:
        try:
            check_grid_code(code, community)
        except CodeError as exc:
            errors.append(str(exc))
    if (record["sign_lon"] is None) != (record["sign_lat"] is None):
        errors.append("sign_lon and sign_lat must be given together")
    return record, errors


def person_role_record(props: dict) -> tuple[dict, list[str]]:
    """Return (record, errors) for one row of a people CSV: a person and, optionally, a role."""
    records, errors = person_role_records({key: [props.get(key)] for key in (*PERSON_FIELDS, "role")})
    return {key: records[key][0] for key in records}, errors.get(0, [])


PERSON_FIELDS = ("name", "phone", "photo", "grid", "backup")


def person_role_records(table) -> tuple[dict, dict]:
    """Check the rows of a people CSV column by column: each distinct value once, rules across fields on whole columns.

    ``table``: a DataFrame or a mapping of column → values (name, phone, photo, grid, role,
    backup; a missing column is empty). Returns ``(records, errors)``: column → object array
    of clean values (None where missing), and row → its reasons in the order the rules run.
    A column is factorised once and every check runs over its distinct values (20,000 grid
    codes and 6 roles among 180,000 rows), the answers mapped back to the rows.
    """
    n = len(next(iter(table.values())) if isinstance(table, dict) else table)
    errors: dict[int, list[str]] = {}

    def column(key):
        return np.asarray(table[key], dtype=object) if key in table else np.full(n, None, dtype=object)

    out = {}
    for key in PERSON_FIELDS:
        out[key] = _texts(column(key), key, key in ("name", "phone"), errors)
    out["photo"] = _per_distinct(out["photo"], _photo_of, errors, missing=(None, []))
    for key in ("phone", "backup"):
        codes, distinct = pd.factorize(out[key])
        bad = np.array([_PHONE.match(v) is None for v in distinct.tolist()] + [False], dtype=bool)
        for i in np.flatnonzero(bad[codes]).tolist():   # code -1 (missing) reads the last slot: False
            errors.setdefault(i, []).append(f"{key} {out[key][i]!r} is not a phone number")
    out["role"] = _per_distinct(column("role"), _role_of, errors, missing=(None, []))
    grid = out["grid"]
    has_grid = _present(grid)
    has_role = _present(out["role"])
    _per_distinct(grid, _grid_code_reason, errors, missing=(None, []))
    _add(errors, np.flatnonzero(has_grid & ~has_role), "role is missing for the grid given", only_clean=True)
    _add(errors, np.flatnonzero(~has_grid & has_role), "grid is missing for the role given")
    _add(errors, np.flatnonzero(_present(out["backup"]) & (out["role"] != "cleaner")),
         "only a cleaner (保洁员) post has a backup")
    return out, errors


def _present(values: np.ndarray) -> np.ndarray:
    """Which cells hold a value (not None or NaN)."""
    return ~pd.isna(values)


def _texts(values: np.ndarray, key: str, required: bool, errors: dict) -> np.ndarray:
    """:func:`_text` over a column, once per distinct value when every cell is text or missing."""
    codes, distinct = pd.factorize(values)   # None and NaN are -1
    if pd.api.types.infer_dtype(distinct, skipna=False) not in ("string", "empty"):
        return _per_distinct(values, functools.partial(_text_of, key=key, required=required), errors,
                             missing=(None, [f"{key} is missing"] if required else []))
    text = np.empty(len(distinct) + 1, dtype=object)      # the last slot answers code -1 (missing)
    text[:-1] = [v.strip() for v in distinct.tolist()]
    text[-1] = ""
    lengths = np.fromiter(map(len, text), dtype=np.int64, count=len(text))
    blank = lengths == 0
    text[blank] = None
    reasons = {}
    if FORBIDDEN.search("\n".join(text[~blank].tolist())):  # one search over the column (line feed is allowed)
        reasons = {k: r for k in np.flatnonzero(~blank).tolist()
                   if (r := control_character_reason(text[k], key))}
    row_blank = blank[codes]
    for i in (np.flatnonzero(row_blank) if required else []):
        errors.setdefault(int(i), []).append(f"{key} is missing")
    for i in np.flatnonzero((lengths > MAX_TEXT)[codes]).tolist():
        errors.setdefault(i, []).append(f"{key} is longer than {MAX_TEXT} characters")
    if reasons:
        flagged = np.zeros(len(text), dtype=bool)
        flagged[list(reasons)] = True
        for i in np.flatnonzero(flagged[codes]).tolist():
            errors.setdefault(i, []).append(reasons[codes[i]])
    return text[codes]


def _text_of(value, key: str, required: bool):
    errors = []
    return _text({key: value}, key, errors, required), errors


def _photo_of(value):
    """A stored app photo or an image file name beside the people file (stored by the import); else refused."""
    try:
        return check_photo(value, files=True), []
    except ValueError as exc:
        return None, [str(exc)]


def _role_of(value):
    if _blank(value):
        return None, []
    try:
        return parse_role(value), []
    except ValueError as exc:
        return None, [str(exc)]


def _grid_code_reason(value):
    try:
        check_grid_code(value)
    except CodeError as exc:
        return value, [str(exc)]
    return value, []


def _per_distinct(values: np.ndarray, check, errors: dict, missing) -> np.ndarray:
    """Apply ``check`` (value → (clean value, reasons)) once per distinct value of a column; reasons go to each row.

    ``missing``: the result for None/NaN cells. Columns mixing kinds of values (1 and 1.0 hash
    alike) are checked value by value.
    """
    codes, distinct = pd.factorize(values)   # None and NaN are -1
    clean = np.full(len(values), missing[0], dtype=object)
    if missing[1]:
        for i in np.flatnonzero(codes < 0).tolist():
            errors.setdefault(i, []).extend(missing[1])
    idx = np.flatnonzero(codes >= 0)
    if not len(idx):
        return clean
    if pd.api.types.infer_dtype(values, skipna=True).startswith("mixed"):
        codes, results = np.arange(len(idx)), [check(v) for v in values[idx].tolist()]
    else:
        codes, results = codes[idx], [check(v) for v in distinct.tolist()]
    clean_of = np.empty(len(results), dtype=object)
    clean_of[:] = [r[0] for r in results]
    clean[idx] = clean_of[codes]
    failed = np.array([bool(r[1]) for r in results], dtype=bool)
    if failed.any():
        bad = failed[codes]
        for k, i in zip(codes[bad].tolist(), idx[bad].tolist()):
            errors.setdefault(i, []).extend(results[k][1])
    return clean


def _add(errors: dict, rows: np.ndarray, reason: str, *, only_clean: bool = False) -> None:
    for i in rows.tolist():
        if only_clean and errors.get(i):
            continue
        errors.setdefault(i, []).append(reason)
