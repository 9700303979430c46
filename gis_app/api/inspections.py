"""/api/v1/inspections: record an inspection (its cases open with it), list and read inspections."""
from __future__ import annotations

from flask import Response, current_app, request

from ..casework import reads
from ..casework.record import record_inspection
from . import engine, principal
from .body import Blueprint
from .case_bodies import read_body
from .case_schemas import INSPECTION_BODY, InspectionIn, InspectionListQuery
from .case_scope import scoped_query
from .respond import geojson_response, next_link
from .schemas import FeatureCollectionSchema, FeatureSchema

PREFIX = "/inspections"
blp = Blueprint("inspections", __name__, description="Inspections 日查、周督、月评、季暗访: each failed item opens a case")
GEO = "application/geo+json"
ID = "/<string(maxlength=64):inspection_id>"


def _if_none_match(etag: str) -> bool:
    return etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]


@blp.route("")
@blp.arguments(InspectionListQuery, location="query", as_kwargs=True)
@blp.response(200, FeatureCollectionSchema, content_type=GEO)
def list_inspections(**q):
    """Inspections ordered by id (filters: region or grid, kind, level, since/until); page on with ``cursor``."""
    q, _ = scoped_query(q)
    etag = reads.list_etag(engine(), "inspections", request.query_string)
    if _if_none_match(etag):
        return Response(status=304, headers={"ETag": etag})
    page = reads.inspection_page(engine(), q)
    link = next_link(page["next_cursor"])
    return geojson_response({"type": "FeatureCollection", "numberReturned": len(page["features"]),
                             "features": page["features"], "next": link,
                             "links": [{"rel": "next", "href": link, "type": GEO}] if link else []},
                            headers={"ETag": etag})


@blp.route("", methods=["POST"])
@blp.response(201, FeatureSchema, content_type=GEO)
@blp.doc(requestBody=INSPECTION_BODY, security=[{"bearer": []}])
def create_inspection():
    """Record an inspection: located, scored with the kind's checklist, one case per failed item; all or nothing.

    JSON, or multipart/form-data with the JSON in ``inspection`` and up to 6 ``photo`` files. The
    answer is the inspection with its cases (``cases``: their Features).
    """
    body, photos = read_body(request, InspectionIn(), json_field="inspection", file_field="photo")
    settings = current_app.config
    inspection_id, case_ids = record_inspection(engine(), settings, principal("editor"), body, photos)
    feature = reads.get_inspection(engine(), inspection_id)
    feature["cases"] = [reads.get_case(engine(), settings, c)[0] for c in case_ids]
    return geojson_response(feature, 201, headers={
        "Location": f"{request.root_path}/api/v1/inspections/{inspection_id}"})


@blp.route(ID)
@blp.response(200, FeatureSchema, content_type=GEO)
def get_inspection(inspection_id):
    """One inspection: the checklist items it was scored with, results, score, photos, the cases it opened."""
    _, scope = scoped_query({})
    return geojson_response(reads.get_inspection(engine(), inspection_id, scope))
