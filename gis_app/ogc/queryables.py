"""Queryables (OGC API – Features Part 3) and the property filters of /items (Part 1 §7.15.5).

A collection declares its queryables once, as a tuple of :class:`Queryable` in its
``Collection(queryables=...)``: the property name (also the query parameter and the frame
column), its JSON type, its Chinese and English title and description, the SQL column when the
collection reads from SQL, and the schema's constraints (``enum``, ``pattern``, ``max_length``,
``format="date"``). From that one declaration follow

- the ``/collections/{id}/queryables`` JSON Schema (:func:`queryables_doc`),
- the query parameters ``/items`` accepts (an unknown one stays a 400 naming the allowed ones),
- the parsing of each value into the queryable's type (:func:`parse_filters`; a bad value is a 400),
- the filter itself: :func:`sql_conditions` for a collection that fetches from SQL (bound values,
  ``column == :value``), :func:`frame_mask` for one that filters a frame (``page_of`` applies it),
- the OpenAPI parameters of the collection's items path (:func:`openapi_parameters`).

A filter is equality on the value as the feature's property shows it (Part 3,
``/req/queryables-query-parameters/parameters``); several filters all apply (AND).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Integer, false

from grids.text import control_character_reason

from .problems import InvalidParameter

__all__ = ["Queryable", "queryable", "Filter", "RESERVED", "check_queryables", "parse_filters", "sql_conditions",
           "column_condition", "frame_mask", "queryables_doc", "openapi_parameters", "JSON_SCHEMA", "SCHEMA_JSON",
           "QUERYABLES_REL"]

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
TYPES = ("string", "integer", "number", "boolean")
# /items parameters of Part 1 and 2 and this API: no property may take one of these names.
RESERVED = frozenset({"f", "lang", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "filter",
                      "filter-lang", "filter-crs", "sortby", "properties", "q"})
MAX_TEXT = 1000              # the longest string value any queryable takes, when it declares no max_length
_INTEGER = re.compile(r"^[+-]?\d{1,18}$")  # within int64: SQLite refuses larger Python ints (OverflowError)
_NUMBER = re.compile(r"^-?\d{1,20}(\.\d{1,20})?([eE][+-]?\d{1,3})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Queryable:
    """One queryable property of a collection (its name is the property, the frame column and the parameter)."""

    name: str
    type: str                          # JSON type: string, integer, number, boolean
    title: dict                        # {"zh": ..., "en": ...}
    description: dict                  # {"zh": ..., "en": ...}
    column: object = None              # SQL column (SQLAlchemy) where the collection fetches from SQL
    enum: tuple = ()
    pattern: str | None = None         # a regular expression every valid value matches (JSON Schema)
    max_length: int | None = None
    format: str | None = None          # "date": an ISO 8601 calendar date (type string)

    def schema(self, lang: str) -> dict:
        out = {"type": self.type, "title": self.title[lang], "description": self.description[lang]}
        if self.format:
            out["format"] = self.format
        if self.enum:
            out["enum"] = list(self.enum)
        if self.pattern:
            out["pattern"] = self.pattern
        if self.type == "string" and not (self.enum or self.format or self.pattern):
            out["maxLength"] = self.max_length or MAX_TEXT
        return out


def queryable(name: str, type: str, title: tuple[str, str], description: tuple[str, str], **fields) -> Queryable:
    """``Queryable`` with the titles and descriptions given as (Chinese, English) pairs."""
    return Queryable(name, type, dict(zip(("zh", "en"), title)), dict(zip(("zh", "en"), description)), **fields)


@dataclass(frozen=True)
class Filter:
    """One property filter of a request: the queryable and the value parsed into its type."""

    queryable: Queryable
    value: object = field(compare=True)


def check_queryables(collection_id: str, queryables) -> None:
    """Refuse a declaration the API could not serve (at registration, not at the first request)."""
    names = [q.name for q in queryables]
    if len(set(names)) != len(names):
        raise ValueError(f"collection {collection_id!r} declares a queryable twice: {names}")
    for q in queryables:
        if q.name in RESERVED:
            raise ValueError(f"collection {collection_id!r}: queryable {q.name!r} is a query parameter of /items")
        if q.type not in TYPES:
            raise ValueError(f"collection {collection_id!r}: queryable {q.name!r} has type {q.type!r}; use {TYPES}")
        if set(q.title) != {"zh", "en"} or set(q.description) != {"zh", "en"}:
            raise ValueError(f"collection {collection_id!r}: queryable {q.name!r} needs zh and en title and description")
        if q.format not in (None, "date") or (q.format and q.type != "string"):
            raise ValueError(f"collection {collection_id!r}: queryable {q.name!r}: only string format 'date'")


def _parse(q: Queryable, raw: str):
    """The value of ``?name=raw`` in the queryable's type; InvalidParameter when it is not one."""
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    if q.type == "string":
        reason = control_character_reason(raw, f"{q.name}")
        if reason:
            raise InvalidParameter(reason)
        if q.format == "date":
            try:
                if not _DATE.match(raw):
                    raise ValueError
                return date.fromisoformat(raw)
            except ValueError:
                raise InvalidParameter(f"{q.name}={shown!r} is not a date (YYYY-MM-DD)") from None
        limit = q.max_length or MAX_TEXT
        if len(raw) > limit:
            raise InvalidParameter(f"{q.name} is {len(raw)} characters long; it takes at most {limit}")
        if q.enum and raw not in q.enum:
            raise InvalidParameter(f"{q.name}={shown!r} is not one of: {', '.join(q.enum)}")
        if q.pattern and not re.fullmatch(q.pattern, raw):
            raise InvalidParameter(f"{q.name}={shown!r} does not match {q.pattern} "
                                   f"(see its queryables: {q.description['en']})")
        return raw
    if q.type == "integer":
        if not _INTEGER.match(raw):
            raise InvalidParameter(f"{q.name}={shown!r} is not an integer (at most 18 digits)")
        return int(raw)
    if q.type == "number":
        value = float(raw) if _NUMBER.match(raw) else math.nan
        if not math.isfinite(value):
            raise InvalidParameter(f"{q.name}={shown!r} is not a finite number")
        return value
    if raw not in ("true", "false"):
        raise InvalidParameter(f"{q.name}={shown!r}: use true or false")
    return raw == "true"


def parse_filters(args, queryables) -> tuple[Filter, ...]:
    """The property filters of an /items query string (``args`` a MultiDict), in declaration order."""
    out = []
    for q in queryables:
        if q.name not in args:
            continue
        values = args.getlist(q.name) if hasattr(args, "getlist") else [args[q.name]]
        if len(values) != 1:
            raise InvalidParameter(f"{q.name} is given {len(values)} times; give each property filter once")
        out.append(Filter(q, _parse(q, values[0])))
    return tuple(out)


def sql_conditions(filters) -> list:
    """SQL ``column = :value`` conditions (values bound, never formatted into the text)."""
    missing = [f.queryable.name for f in filters if f.queryable.column is None]
    if missing:
        raise ValueError(f"queryables without an SQL column: {missing}")
    return [column_condition(f.queryable, f.value) for f in filters]


_INT32 = 2 ** 31 - 1


def column_condition(q: Queryable, value):
    """``column == value`` (bound); an integer beyond a 32-bit column's range matches nothing, where
    PostgreSQL would refuse to compare it ("integer out of range") and SQLite would compare it."""
    column_type = getattr(q.column, "type", None)
    if (q.type == "integer" and isinstance(column_type, Integer) and not isinstance(column_type, BigInteger)
            and not -_INT32 - 1 <= value <= _INT32):
        return false()
    return q.column == value


def _matches(series: pd.Series, q: Queryable, value) -> np.ndarray:
    values = series.astype(object).to_numpy()
    if q.type in ("integer", "number"):
        numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        hits = numbers == float(value)
        if q.type == "integer":  # no bool cell counts as 0/1, no float beyond 2**53 is mistaken for it
            hits &= np.array([not isinstance(v, bool) and (not isinstance(v, (int, np.integer)) or int(v) == value)
                              for v in values], dtype=bool)
        return hits
    if q.type == "boolean":
        return np.array([isinstance(v, (bool, np.bool_)) and bool(v) == value for v in values], dtype=bool)
    if q.format == "date":
        return np.array([_as_date(v) == value for v in values], dtype=bool)
    return np.array([isinstance(v, str) and v == value for v in values], dtype=bool)


def _as_date(value):
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value if type(value) is date else value.date()
    if isinstance(value, str) and _DATE.match(value[:10]):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def frame_mask(frame, filters) -> np.ndarray:
    """Which rows of ``frame`` match every filter (a property the frame lacks matches no row)."""
    mask = np.ones(len(frame), dtype=bool)
    for f in filters:
        if f.queryable.name not in frame.columns:
            return np.zeros(len(frame), dtype=bool)
        mask &= _matches(frame[f.queryable.name], f.queryable, f.value)
    return mask


def queryables_doc(item, schema_id: str, lang: str) -> dict:
    """The collection's Queryables resource: a JSON Schema of its filterable properties (Part 3)."""
    return {"$schema": JSON_SCHEMA, "$id": schema_id, "type": "object", "title": item.title[lang],
            "description": item.description[lang],
            "properties": {q.name: q.schema(lang) for q in item.queryables}, "additionalProperties": False}


def openapi_parameters(queryables) -> list[dict]:
    """The items path's query parameters for the queryables (Part 1 /rec/core/fc-filters form)."""
    out = []
    for q in queryables:
        schema = q.schema("en")
        schema.pop("title", None)
        schema.pop("description", None)
        if q.type == "integer":
            schema.update(minimum=-(10 ** 18) + 1, maximum=10 ** 18 - 1)
        out.append({"name": q.name, "in": "query", "required": False, "style": "form", "explode": False,
                    "schema": schema, "description": f"{q.title['zh']} · {q.description['en']} (equality)"})
    return out
