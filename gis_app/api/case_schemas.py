"""Schemas of /api/v1/inspections, /api/v1/cases and /api/v1/kpis: they check requests and write the document."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from grids.cases import ACTIONS, STATES
from grids.checklists import INSPECTION_KINDS, RESULTS
from grids.photos import check_photo

from ..casework.clock import china_time
from ..casework.record import MAX_PHOTOS
from ..casework.shapes import ADDRESSED_KINDS, LEVELS, SEVERITIES
from .schemas import Text

__all__ = ["InspectionIn", "InspectionListQuery", "CaseListQuery", "CaseActionIn", "KpiQuery", "REGION_FIELDS"]

_KEY = validate.Length(min=1, max=64)


def _time(value) -> None:
    try:
        china_time(value)
    except ValueError:
        raise ValidationError("an ISO 8601 time, e.g. 2026-09-30T10:00:00+08:00 (no offset: China time)") from None


def _app_photo(value) -> None:
    try:
        check_photo(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _time_field(description: str):
    return Text(validate=[validate.Length(max=40), _time], metadata={"description": description})


class RegionQuery(Schema):
    """At most one region filter (a district-scoped reader gets its district when it names none)."""

    district = Text(validate=validate.Regexp(r"^\d{6}$", error="a district code has 6 digits"))
    street = Text(validate=validate.Regexp(r"^\d{9}$", error="a street code has 9 digits"))
    community = Text(validate=validate.Regexp(r"^\d{12}$", error="a community code has 12 digits"))


REGION_FIELDS = ("district", "street", "community", "grid")


class InspectionIn(Schema):
    kind = Text(required=True, validate=validate.OneOf(list(INSPECTION_KINDS)),
                metadata={"description": "daily 日查, weekly 周督, monthly 月评, unannounced 季暗访"})
    level = Text(load_default="community", validate=validate.OneOf(list(LEVELS)),
                 metadata={"description": "四级检查: city, street, community, unit"})
    inspector = Text(required=True, validate=validate.Length(min=1, max=100))
    at = _time_field("when the inspection found what it records (default: now); without an offset, China time")
    lon = fields.Float(required=True, validate=validate.Range(-1e8, 1e8))
    lat = fields.Float(required=True, validate=validate.Range(-1e8, 1e8))
    crs = Text(validate=validate.Length(max=40),
               metadata={"description": "gcj02, bd09 or EPSG:n when lon/lat are not WGS 84 (a phone's map datum)"})
    results = fields.Dict(keys=Text(validate=_KEY), values=Text(validate=validate.OneOf(list(RESULTS))),
                          required=True, validate=validate.Length(max=200),
                          metadata={"description": "item key → pass, fail or na, for every item of the kind's checklist"})
    emergency = fields.List(Text(validate=_KEY), validate=validate.Length(max=200),
                            metadata={"description": "failed items whose cases are emergencies (紧急)"})
    notes = Text(validate=validate.Length(max=2000))
    frontage = Text(validate=_KEY, metadata={"description": "the frontage unit inspected (default: found by the point)"})
    place = Text(validate=_KEY, metadata={"description": "the key place inspected (default: found by the point)"})


class InspectionListQuery(RegionQuery):
    grid = Text(validate=validate.Regexp(r"^\d{15}$", error="a grid code has 15 digits"))
    kind = Text(validate=validate.OneOf(list(INSPECTION_KINDS)))
    level = Text(validate=validate.OneOf(list(LEVELS)))
    since = _time_field("inspections at or after this time")
    until = _time_field("inspections before this time")
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    cursor = Text(validate=_KEY, metadata={"description": "the last id of the previous page"})


class CaseListQuery(RegionQuery):
    grid = Text(validate=validate.Regexp(r"^\d{15}$", error="a grid code has 15 digits"))
    category = Text(validate=validate.Length(min=1, max=32))
    state = Text(validate=validate.OneOf(list(STATES)))
    severity = Text(validate=validate.OneOf(list(SEVERITIES)))
    overdue = fields.Boolean(metadata={"description": "true: open past the deadline or closed after it"})
    addressed_kind = Text(validate=validate.OneOf(list(ADDRESSED_KINDS)))
    inspection = Text(validate=_KEY)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    cursor = Text(validate=_KEY, metadata={"description": "the last id of the previous page"})


class CaseActionIn(Schema):
    action = Text(required=True, validate=validate.OneOf(list(ACTIONS)),
                  metadata={"description": "dispatch, rectify, verify, reject, close or defer"})
    note = Text(validate=validate.Length(max=500))
    assignee = Text(validate=validate.Length(min=1, max=100),
                    metadata={"description": "dispatch: who rectifies (default: the party the case is addressed to)"})
    photo = Text(validate=[validate.Length(max=500), _app_photo],
                 metadata={"description": "rectify: a photo the app stored (/photos/…); or upload it as multipart"})
    deadline = _time_field("defer: the new deadline")
    working_days = fields.Integer(validate=validate.Range(1, 366),
                                  metadata={"description": "defer: working days added to the deadline"})
    version = fields.Integer(validate=validate.Range(1, 2**31 - 1),
                             metadata={"description": "the version acted on, when If-Match is not sent"})


class KpiQuery(RegionQuery):
    month = Text(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}$", error="month is YYYY-MM"))


INSPECTION_BODY = {"required": True, "content": {
    "application/json": {"schema": InspectionIn},
    "multipart/form-data": {"schema": {"type": "object", "required": ["inspection"], "properties": {
        "inspection": {"type": "string", "description": "the inspection as JSON (the application/json body)"},
        "photo": {"type": "array", "maxItems": MAX_PHOTOS, "items": {"type": "string", "format": "binary"},
                  "description": f"at most {MAX_PHOTOS} JPEG, PNG or WebP photos of at most 10 MB; re-encoded, "
                                 "their EXIF position kept as data and stripped from the served image"}}}}}}
ACTION_BODY = {"required": True, "content": {
    "application/json": {"schema": CaseActionIn},
    "multipart/form-data": {"schema": {"type": "object", "required": ["action"], "properties": {
        "action": {"type": "string", "enum": list(ACTIONS)}, "note": {"type": "string"},
        "assignee": {"type": "string"}, "deadline": {"type": "string"}, "working_days": {"type": "integer"},
        "version": {"type": "integer"},
        "photo": {"type": "string", "format": "binary", "description": "rectify: the evidence photo, at most 10 MB"}}}}}}
