"""/api/v1/people and /api/v1/grids/{code}/roles: people, roles and A/B cleaner posts."""
from __future__ import annotations

from flask import current_app, request

from .body import Blueprint
from marshmallow import Schema, fields, validate

from . import engine, principal
from . import people_edits as edits
from .grids import IF_MATCH
from .respond import json_response, next_link
from .schemas import OpenSchema, PersonIn, PersonPatchIn, RoleIn, RolesIn, Text

PREFIX = ""
blp = Blueprint("people", __name__, description="People 人员 and grid roles (网格长, 5类人员, 保洁员AB岗)")
WRITE = {"security": [{"bearer": []}]}
ROLES_WRITE = {"security": [{"bearer": []}], "parameters": [IF_MATCH]}
PHONE = "/people/<string(maxlength=32):phone>"
ROLES = "/grids/<string(length=15):code>/roles"


class PeopleQuery(Schema):
    after = Text(load_default="", validate=validate.Length(max=32))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


@blp.route("/people")
@blp.arguments(PeopleQuery, location="query", as_kwargs=True)
@blp.response(200, OpenSchema)
def list_people(after, limit):
    """People ordered by phone, each with the roles they hold; page on with ``after``."""
    people = edits.list_people(engine(), after=after, limit=limit)
    more = len(people) == limit
    return json_response({"people": people, "next": next_link(people[-1]["phone"], "after") if more else None})


@blp.route("/people", methods=["POST"])
@blp.arguments(PersonIn)
@blp.response(201, OpenSchema)
@blp.doc(**WRITE)
def create_person(body):
    """Add a person (unscoped editors and admins)."""
    return json_response(edits.create_person(engine(), principal("editor"), body), 201)


@blp.route(PHONE)
@blp.response(200, OpenSchema)
def get_person(phone):
    """One person with the roles they hold."""
    return json_response(edits.get_person(engine(), phone))


@blp.route(PHONE, methods=["PATCH"])
@blp.arguments(PersonPatchIn)
@blp.response(200, OpenSchema)
@blp.doc(**WRITE)
def update_person(body, phone):
    """Change a person's name or photo."""
    return json_response(edits.update_person(engine(), principal("editor"), phone, body))


PHOTO_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["photo"],
    "properties": {"photo": {"type": "string", "format": "binary",
                             "description": "JPEG, PNG or WebP, at most 10 MB; stored re-encoded, metadata removed"}}}}}}


@blp.route(f"{PHONE}/photo", methods=["POST"])
@blp.response(200, OpenSchema)
@blp.doc(requestBody=PHOTO_BODY, **WRITE)
def upload_photo(phone):
    """Store a person's photo (multipart field ``photo``): checked and re-encoded, EXIF and GPS removed."""
    return json_response(edits.store_person_photo(engine(), principal("editor"), phone, request.files.get("photo"),
                                                  current_app.config["SANIGRID_INSTANCE"]))


@blp.route(PHONE, methods=["DELETE"])
@blp.response(204)
@blp.doc(**WRITE)
def remove_person(phone):
    """Remove a person who no longer serves or backs up any grid."""
    edits.remove_person(engine(), principal("editor"), phone)
    return "", 204


@blp.route(ROLES)
@blp.response(200, OpenSchema(many=True))
def list_roles(code):
    """A grid's roles, cleaners with their B post; the ETag to send as If-Match when changing them."""
    return _roles(code, edits.grid_roles(engine(), code))


def _roles(code: str, roles: list[dict], status: int = 200):
    return json_response(roles, status, headers={"ETag": edits.roles_etag(code, roles)})


def _if_match():
    return request.headers.get("If-Match")


@blp.route(ROLES, methods=["PUT"])
@blp.arguments(RolesIn)
@blp.response(200, OpenSchema(many=True))
@blp.doc(**ROLES_WRITE)
def replace_roles(body, code):
    """Replace a grid's whole role list (one leader; a cleaner's backup is another, known person; If-Match)."""
    return _roles(code, edits.replace_roles(engine(), principal("editor"), code, body["roles"], _if_match()))


@blp.route(ROLES, methods=["POST"])
@blp.arguments(RoleIn)
@blp.response(201, OpenSchema(many=True))
@blp.doc(**ROLES_WRITE)
def add_role(body, code):
    """Add one role to a grid (If-Match)."""
    return _roles(code, edits.add_role(engine(), principal("editor"), code, body, _if_match()), 201)


@blp.route(f"{ROLES}/<string(maxlength=16):role>/<string(maxlength=32):phone>", methods=["DELETE"])
@blp.response(200, OpenSchema(many=True))
@blp.doc(**ROLES_WRITE)
def remove_role(code, role, phone):
    """Remove one role from a grid (If-Match)."""
    return _roles(code, edits.remove_role(engine(), principal("editor"), code, role, phone, _if_match()))
