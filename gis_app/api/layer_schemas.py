"""Marshmallow schemas of /api/v1/frontages and /api/v1/places: request shapes and the OpenAPI document.

They bound types and sizes; the fields' rules (unit kinds, credit code, dates, items, place kinds)
are the import's (:mod:`grids.frontage_records`, :mod:`grids.places`), applied to every write.
"""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from grids.fields import REF
from grids.frontages import STATUSES, UNIT_KINDS

from .schemas import BBOX, GRID_CODE, Text

__all__ = ["FrontageListQuery", "PlaceListQuery", "FrontageFeatureIn", "PlaceFeatureIn"]

REF_TEXT = validate.Regexp(f"^{REF.pattern}$", error="a ref is 1-64 letters, digits, '_', '.', ':' or '-'")
DISTRICT = validate.Regexp(r"^(\d{6}|\d{9}|\d{12})$", error="a region code has 6, 9 or 12 digits")


def _text(max_len=200, **kwargs):
    return Text(validate=validate.Length(min=1, max=max_len), **kwargs)


def _optional(max_len=200, **kwargs):
    return Text(allow_none=True, validate=validate.Length(max=max_len), **kwargs)


class _ListQuery(Schema):
    bbox = Text(validate=[validate.Length(max=120), BBOX])
    district = Text(validate=DISTRICT, metadata={"description": "a district, street or community code"})
    grid = Text(validate=GRID_CODE, metadata={"description": "only what lies in this grid"})
    limit = fields.Integer(load_default=1000, validate=validate.Range(1, 5000))
    cursor = Text(validate=[validate.Length(max=64), REF_TEXT], metadata={"description": "the last ref of the previous page"})


class FrontageListQuery(_ListQuery):
    status = Text(validate=validate.OneOf(list(STATUSES)), metadata={"description": "the stored status"})
    effective_status = Text(validate=validate.OneOf(list(STATUSES)),
                            metadata={"description": "the status today (a signed commitment past expires_on is expired)"})
    unit_kind = Text(validate=validate.OneOf(list(UNIT_KINDS)))
    road = _text(200)
    item_set = _text(32)


class PlaceListQuery(_ListQuery):
    kind = _text(32)


class _ResponsibleProperties(Schema):
    """What a frontage and a place share: their ref, contact, phone and address; other properties are kept as attributes."""

    class Meta:
        unknown = INCLUDE

    ref = Text(allow_none=True, validate=[validate.Length(max=64), REF_TEXT])
    contact = _optional(100)
    phone = _optional(32)
    address = _optional(200)


class FrontageProperties(_ResponsibleProperties):
    """A frontage's fields; any other property is kept as an attribute."""

    unit_name = _text(200, required=True)
    unit_kind = _text(16, required=True)
    credit_code = _optional(40)
    liable = _optional(16)
    item_set = _optional(32)
    items = fields.List(_text(40), allow_none=True, validate=validate.Length(max=20))
    signed_on = _optional(32, metadata={"description": "ISO date"})
    expires_on = _optional(32, metadata={"description": "ISO date"})
    status = _optional(16)
    photo = _optional(500, metadata={"description": "/photos/<32 hex>.jpg of a stored photo, or null"})
    road = _optional(200)
    front_m = fields.Float(allow_none=True, validate=validate.Range(1, 500),
                           metadata={"description": "a shop point's front width: the point becomes a front "
                                                    "along the nearest road"})


class PlaceProperties(_ResponsibleProperties):
    """A key place's fields; any other property is kept as an attribute."""

    kind = _text(32, required=True)
    name = _text(200, required=True)
    operator = _optional(200)
    licence_no = _optional(64)
    licence_expires = _optional(32, metadata={"description": "ISO date"})
    health_certs = fields.Integer(allow_none=True, validate=validate.Range(0, 10_000_000))
    staff = fields.Integer(allow_none=True, validate=validate.Range(0, 10_000_000))


class _FeatureIn(Schema):
    type = Text(required=True, validate=validate.Equal("Feature"))
    id = Text(validate=validate.Length(max=64))
    bbox = fields.List(fields.Float(), validate=validate.Length(equal=4))
    geometry = fields.Dict(required=True)


class FrontageFeatureIn(_FeatureIn):
    properties = fields.Nested(FrontageProperties, required=True)


class PlaceFeatureIn(_FeatureIn):
    properties = fields.Nested(PlaceProperties, required=True)
