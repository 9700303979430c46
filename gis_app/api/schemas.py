"""Marshmallow schemas of the API: they check requests and write the OpenAPI document."""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from grids.photos import check_photo

from grids.roles import ROLE_KINDS
from grids.staffing import STATUS_LABELS

__all__ = [
    "ProblemSchema", "FeatureSchema", "FeatureCollectionSchema", "GridListQuery", "GridFeatureIn",
    "GridPatchIn", "RegionListQuery", "LocateQuery", "UnderQuery", "PersonIn", "PersonPatchIn",
    "RoleIn", "RolesIn", "AuditQuery", "ImportQuery", "ExportQuery", "IfMatchHeader", "OpenSchema",
]

REGION_CODE = validate.Regexp(r"^(\d{6}|\d{9}|\d{12})$", error="a region code has 6, 9 or 12 digits")
GRID_CODE = validate.Regexp(r"^\d{15}$", error="a grid code has 15 digits")
PHONE = validate.Regexp(r"^\+?[0-9][0-9\- ]{4,30}$", error="not a phone number")
BBOX = validate.Regexp(r"^\s*-?[0-9.]+(\s*,\s*-?[0-9.]+){3}\s*$", error="bbox is minlon,minlat,maxlon,maxlat")


def _text(max_len=200, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_len), **kwargs)


def _app_photo(value) -> None:
    try:
        check_photo(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _photo():
    """A person's photo: only the URL of a photo the app stored (POST /people/{phone}/photo), or null."""
    return fields.String(allow_none=True, validate=[validate.Length(max=500), _app_photo],
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
    bbox = fields.String(validate=[validate.Length(max=120), BBOX])
    district = fields.String(validate=validate.Regexp(r"^\d{6}$", error="a district code has 6 digits"))
    street = fields.String(validate=validate.Regexp(r"^\d{9}$", error="a street code has 9 digits"))
    community = fields.String(validate=validate.Regexp(r"^\d{12}$", error="a community code has 12 digits"))
    type = _text(32)
    status = fields.String(validate=validate.OneOf(list(STATUS_LABELS)))
    limit = fields.Integer(load_default=1000, validate=validate.Range(1, 5000))
    cursor = fields.String(validate=GRID_CODE, metadata={"description": "the last code of the previous page"})
    simplify = fields.Float(validate=validate.Range(0, 1000), metadata={"description": "tolerance in metres"})


class GridProperties(Schema):
    """A grid's fields; any other property is kept as an attribute."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(validate=GRID_CODE)
    name = _text(200, required=True)
    community = fields.String(validate=validate.Regexp(r"^\d{12}$", error="a community code has 12 digits"))
    households = fields.Integer(validate=validate.Range(0, 10_000_000))
    population = fields.Integer(validate=validate.Range(0, 10_000_000))
    type = _text(32)
    sign_lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    sign_lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))


class GridPatchProperties(GridProperties):
    name = _text(200)


class GridFeatureIn(Schema):
    type = fields.String(required=True, validate=validate.Equal("Feature"))
    id = fields.String(validate=validate.Length(max=15))
    bbox = fields.List(fields.Float(), validate=validate.Length(equal=4))
    properties = fields.Nested(GridProperties, required=True)
    geometry = fields.Dict(required=True)


class GridPatchIn(Schema):
    properties = fields.Nested(GridPatchProperties)
    geometry = fields.Dict()


class RegionListQuery(Schema):
    level = fields.String(validate=validate.OneOf(["district", "street", "community"]))
    parent = fields.String(validate=REGION_CODE)


class LocateQuery(Schema):
    lon = fields.Float(required=True, validate=validate.Range(-1e8, 1e8))
    lat = fields.Float(required=True, validate=validate.Range(-1e8, 1e8))
    crs = fields.String(validate=validate.Length(max=40), metadata={"description": "gcj02, bd09 or EPSG:n"})


class UnderQuery(Schema):
    district = fields.String(validate=validate.Regexp(r"^\d{6}$", error="a district code has 6 digits"))
    street = fields.String(validate=validate.Regexp(r"^\d{9}$", error="a street code has 9 digits"))
    community = fields.String(validate=validate.Regexp(r"^\d{12}$", error="a community code has 12 digits"))


class PersonIn(Schema):
    phone = fields.String(required=True, validate=[validate.Length(max=32), PHONE])
    name = _text(100, required=True)
    photo = _photo()


class PersonPatchIn(Schema):
    name = _text(100)
    photo = _photo()


class RoleIn(Schema):
    phone = fields.String(required=True, validate=[validate.Length(max=32), PHONE])
    name = _text(100, metadata={"description": "needed when the person is new"})
    role = fields.String(required=True, validate=validate.OneOf(list(ROLE_KINDS)))
    backup = fields.String(allow_none=True, validate=[validate.Length(max=32), PHONE],
                           metadata={"description": "a cleaner's B post (phone)"})


class RolesIn(Schema):
    roles = fields.List(fields.Nested(RoleIn), required=True, validate=validate.Length(max=500))


class AuditQuery(Schema):
    target = fields.String(validate=validate.Length(max=100))
    after = fields.Integer(load_default=0, validate=validate.Range(0, 2**53))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class ImportQuery(Schema):
    dry_run = fields.Boolean(load_default=False)
    make_valid = fields.Boolean(load_default=False, metadata={"description": "repair invalid geometries"})
    crs = fields.String(validate=validate.Length(max=40))
    encoding = fields.String(validate=validate.Length(max=20))


class ExportQuery(Schema):
    format = fields.String(load_default="geojson", validate=validate.OneOf(["geojson", "gpkg", "shp", "csv", "xlsx"]))
    district = fields.String(validate=REGION_CODE)


class IfMatchHeader(Schema):
    if_match = fields.String(data_key="If-Match", validate=validate.Length(max=100),
                             metadata={"description": "the ETag of the version being changed"})
