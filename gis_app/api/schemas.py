"""Marshmallow schemas of the API: they check requests and write the OpenAPI document."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from grids.photos import check_photo

from grids.roles import ROLE_KINDS
from grids.staffing import STATUS_LABELS
from grids.text import control_character_reason

__all__ = [
    "ProblemSchema", "FeatureSchema", "FeatureCollectionSchema", "GridListQuery", "GridFeatureIn",
    "GridPatchIn", "RegionListQuery", "LocateQuery", "UnderQuery", "PersonIn", "PersonPatchIn",
    "RoleIn", "RolesIn", "AuditQuery", "ImportQuery", "ExportQuery", "IfMatchHeader", "OpenSchema", "Text",
]

REGION_CODE = validate.Regexp(r"^(\d{6}|\d{9}|\d{12})$", error="a region code has 6, 9 or 12 digits")
GRID_CODE = validate.Regexp(r"^\d{15}$", error="a grid code has 15 digits")
PHONE = validate.Regexp(r"^\+?[0-9][0-9\- ]{4,30}$", error="not a phone number")
BBOX = validate.Regexp(r"^\s*-?[0-9.]+(\s*,\s*-?[0-9.]+){3}\s*$", error="bbox is minlon,minlat,maxlon,maxlat")


class Text(fields.String):
    """A string of printable text: control characters refused (grids.text), in queries and bodies alike."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        reason = control_character_reason(text, "the text")
        if reason:
            raise ValidationError(reason)
        return text


def _text(max_len=200, **kwargs):
    return Text(validate=validate.Length(min=1, max=max_len), **kwargs)


def _app_photo(value) -> None:
    try:
        check_photo(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _photo():
    """A person's photo: only the URL of a photo the app stored (POST /people/{phone}/photo), or null."""
    return Text(allow_none=True, validate=[validate.Length(max=500), _app_photo],
                         metadata={"description": "/photos/<32 hex>.jpg from POST /people/{phone}/photo, or null"})


class OpenSchema(Schema):
    """A response shape that may carry more members than it names."""

    class Meta:
        unknown = INCLUDE


class ProblemSchema(OpenSchema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    problems = fields.List(fields.Dict(), metadata={"description": "per-feature or per-field problems"})


class FeatureSchema(OpenSchema):
    type = fields.String()
    id = fields.String()
    properties = fields.Dict(allow_none=True)
    geometry = fields.Dict(allow_none=True)


class FeatureCollectionSchema(OpenSchema):
    type = fields.String()
    features = fields.List(fields.Nested(FeatureSchema))
    numberReturned = fields.Integer()
    next = fields.String(allow_none=True)
    links = fields.List(fields.Dict())


class GridListQuery(Schema):
    bbox = Text(validate=[validate.Length(max=120), BBOX])
    district = Text(validate=validate.Regexp(r"^\d{6}$", error="a district code has 6 digits"))
    street = Text(validate=validate.Regexp(r"^\d{9}$", error="a street code has 9 digits"))
    community = Text(validate=validate.Regexp(r"^\d{12}$", error="a community code has 12 digits"))
    type = _text(32)
    status = Text(validate=validate.OneOf(list(STATUS_LABELS)))
    limit = fields.Integer(load_default=1000, validate=validate.Range(1, 5000))
    cursor = Text(validate=GRID_CODE, metadata={"description": "the last code of the previous page"})
    simplify = fields.Float(validate=validate.Range(0, 1000), metadata={"description": "tolerance in metres"})


class GridProperties(Schema):
    """A grid's fields; any other property is kept as an attribute."""

    class Meta:
        unknown = INCLUDE

    code = Text(validate=GRID_CODE)
    name = _text(200, required=True)
    community = Text(validate=validate.Regexp(r"^\d{12}$", error="a community code has 12 digits"))
    households = fields.Integer(validate=validate.Range(0, 10_000_000))
    population = fields.Integer(validate=validate.Range(0, 10_000_000))
    type = _text(32)
    sign_lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    sign_lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))


class GridPatchProperties(GridProperties):
    name = _text(200)


class GridFeatureIn(Schema):
    type = Text(required=True, validate=validate.Equal("Feature"))
    id = Text(validate=validate.Length(max=15))
    bbox = fields.List(fields.Float(), validate=validate.Length(equal=4))
    properties = fields.Nested(GridProperties, required=True)
    geometry = fields.Dict(required=True)


class GridPatchIn(Schema):
    properties = fields.Nested(GridPatchProperties)
    geometry = fields.Dict()


class RegionListQuery(Schema):
    level = Text(validate=validate.OneOf(["district", "street", "community"]))
    parent = Text(validate=REGION_CODE)


class LocateQuery(Schema):
    lon = fields.Float(required=True, validate=validate.Range(-1e8, 1e8))
    lat = fields.Float(required=True, validate=validate.Range(-1e8, 1e8))
    crs = Text(validate=validate.Length(max=40), metadata={"description": "gcj02, bd09 or EPSG:n"})


class UnderQuery(Schema):
    district = Text(validate=validate.Regexp(r"^\d{6}$", error="a district code has 6 digits"))
    street = Text(validate=validate.Regexp(r"^\d{9}$", error="a street code has 9 digits"))
    community = Text(validate=validate.Regexp(r"^\d{12}$", error="a community code has 12 digits"))


class PersonIn(Schema):
    phone = Text(required=True, validate=[validate.Length(max=32), PHONE])
    name = _text(100, required=True)
    photo = _photo()


class PersonPatchIn(Schema):
    name = _text(100)
    photo = _photo()


class RoleIn(Schema):
    phone = Text(required=True, validate=[validate.Length(max=32), PHONE])
    name = _text(100, metadata={"description": "needed when the person is new"})
    role = Text(required=True, validate=validate.OneOf(list(ROLE_KINDS)))
    backup = Text(allow_none=True, validate=[validate.Length(max=32), PHONE],
                           metadata={"description": "a cleaner's B post (phone)"})


class RolesIn(Schema):
    roles = fields.List(fields.Nested(RoleIn), required=True, validate=validate.Length(max=500))


class AuditQuery(Schema):
    target = Text(validate=validate.Length(max=100))
    after = fields.Integer(load_default=0, validate=validate.Range(0, 2**53))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class ImportQuery(Schema):
    dry_run = fields.Boolean(load_default=False)
    make_valid = fields.Boolean(load_default=False, metadata={"description": "repair invalid geometries"})
    crs = Text(validate=validate.Length(max=40))
    encoding = Text(validate=validate.Length(max=20))


class ExportQuery(Schema):
    format = Text(load_default="geojson", validate=validate.OneOf(["geojson", "gpkg", "shp", "csv", "xlsx"]))
    district = Text(validate=REGION_CODE)


class IfMatchHeader(Schema):
    if_match = Text(data_key="If-Match", validate=validate.Length(max=100),
                             metadata={"description": "the ETag of the version being changed"})
