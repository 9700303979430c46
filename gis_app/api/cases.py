"""/api/v1/cases: rectification cases, and the actions that take one to 结案/销号 (If-Match on every action)."""
from __future__ import annotations

from flask import Response, current_app, request

from ..casework import reads
from ..casework.actions import act_on_case
from . import engine, principal
from .body import Blueprint
from .case_bodies import read_body
from .case_schemas import ACTION_BODY, CaseActionIn, CaseListQuery
from .case_scope import scoped_query
from .respond import geojson_response, next_link
from .schemas import FeatureCollectionSchema, FeatureSchema

PREFIX = "/cases"
blp = Blueprint("cases", __name__, description="Rectification cases 整改案件: 立案 → 派遣 → 处置 → 核查 → 结案")
GEO = "application/geo+json"
ID = "/<string(maxlength=64):case_id>"
ETAG = {"ETag": {"schema": {"type": "string"}, "description": "send it as If-Match with the next action"}}
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "the case's ETag as read (409 when someone acted since, 428 when neither it nor "
                           "the body's version is sent)"}


@blp.route("")
@blp.arguments(CaseListQuery, location="query", as_kwargs=True)
@blp.response(200, FeatureCollectionSchema, content_type=GEO)
def list_cases(**q):
    """Cases ordered by id (filters: region or grid, category, state, severity, overdue, addressed_kind, inspection)."""
    q, _ = scoped_query(q)
    etag = reads.list_etag(engine(), "cases", request.query_string)
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return Response(status=304, headers={"ETag": etag})
    page = reads.case_page(engine(), current_app.config, q)
    link = next_link(page["next_cursor"])
    return geojson_response({"type": "FeatureCollection", "numberReturned": len(page["features"]),
                             "features": page["features"], "next": link,
                             "links": [{"rel": "next", "href": link, "type": GEO}] if link else []},
                            headers={"ETag": etag})


@blp.route(ID)
@blp.response(200, FeatureSchema, content_type=GEO, headers=ETAG)
def get_case(case_id):
    """One case: its state, deadline, whether it is overdue and who answers for it now, the allowed next actions, history."""
    _, scope = scoped_query({})
    feature, etag = reads.get_case(engine(), current_app.config, case_id, scope)
    return geojson_response(feature, headers={"ETag": etag})


@blp.route(f"{ID}/actions", methods=["POST"])
@blp.response(200, FeatureSchema, content_type=GEO, headers=ETAG)
@blp.doc(requestBody=ACTION_BODY, parameters=[IF_MATCH], security=[{"bearer": []}])
def act(case_id):
    """Take an action on a case: dispatch, rectify (evidence photo), verify, reject, close, defer (admins).

    409 when the state does not allow the action (the message names the state and the allowed
    next steps) or when someone acted on the case since it was read; 422 when the rules refuse it.
    """
    body, photos = read_body(request, CaseActionIn(), json_field=None, file_field="photo")
    settings = current_app.config
    act_on_case(engine(), settings, principal("editor"), case_id, body, if_match=request.headers.get("If-Match"),
                photo=photos[0] if photos else None)
    feature, etag = reads.get_case(engine(), settings, case_id)
    return geojson_response(feature, headers={"ETag": etag})
