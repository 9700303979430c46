"""/api/v1/grids: list, read, create, replace, patch, retire, history."""
from __future__ import annotations

from flask import Response, current_app, request
from .body import Blueprint

from . import engine, principal
from . import grid_edits as edits
from . import grid_query as query
from .respond import geojson_response, json_response, next_link
from .schemas import FeatureCollectionSchema, FeatureSchema, GridFeatureIn, GridListQuery, GridPatchIn, OpenSchema

PREFIX = "/grids"
blp = Blueprint("grids", __name__, description="Grids (网格): GeoJSON, If-Match ETags on every change")
GEO = "application/geo+json"
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "the ETag of the version being changed (412 when stale, 428 when missing)"}


def _saved(code: str, version: int, status: int = 200):
    feature = query.grid_feature(engine(), code)
    return geojson_response(feature, status, headers={"ETag": edits.etag_of(code, version),
                                                      "Location": f"{request.root_path}/api/v1/grids/{code}"})


@blp.route("")
@blp.arguments(GridListQuery, location="query", as_kwargs=True)
@blp.response(200, FeatureCollectionSchema, content_type=GEO)
def list_grids(**q):
    """List grids as a FeatureCollection (filters, cursor paging, simplify for maps); ETag per register version."""
    etag = query.page_etag(engine(), request.query_string)
    if _matches(etag):
        return Response(status=304, headers={"ETag": etag})
    page = query.grid_page(engine(), current_app.config, q)
    link = next_link(page["next_cursor"])
    body = {"type": "FeatureCollection", "numberReturned": page["returned"], "features": page["features"],
            "next": link, "links": [{"rel": "next", "href": link, "type": GEO}] if link else []}
    return geojson_response(body, headers={"ETag": etag})


def _matches(etag: str) -> bool:
    return etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]


@blp.route("", methods=["POST"])
@blp.arguments(GridFeatureIn)
@blp.response(201, FeatureSchema, content_type=GEO, headers={"ETag": {"schema": {"type": "string"}}})
@blp.doc(security=[{"bearer": []}])
def create_grid(feature):
    """Create a grid; without a code it gets the next free code of its community."""
    code, version = edits.create_grid(engine(), current_app.config, principal("editor"), request.get_json())
    return _saved(code, version, 201)


@blp.route("/<string(length=15):code>")
@blp.response(200, FeatureSchema, content_type=GEO, headers={"ETag": {"schema": {"type": "string"}}})
def get_grid(code):
    """Read one grid with its ETag."""
    version = edits.current_version(engine(), code)
    etag = edits.etag_of(code, version)
    if _matches(etag):
        return Response(status=304, headers={"ETag": etag})
    return geojson_response(query.grid_feature(engine(), code), headers={"ETag": etag})


@blp.route("/<string(length=15):code>", methods=["PUT"])
@blp.arguments(GridFeatureIn)
@blp.response(200, FeatureSchema, content_type=GEO, headers={"ETag": {"schema": {"type": "string"}}})
@blp.doc(parameters=[IF_MATCH], security=[{"bearer": []}])
def replace_grid(feature, code):
    """Replace a grid whole (If-Match required)."""
    code, version = edits.replace_grid(engine(), current_app.config, principal("editor"), code,
                                       request.get_json(), request.headers.get("If-Match"))
    return _saved(code, version)


@blp.route("/<string(length=15):code>", methods=["PATCH"])
@blp.arguments(GridPatchIn)
@blp.response(200, FeatureSchema, content_type=GEO, headers={"ETag": {"schema": {"type": "string"}}})
@blp.doc(parameters=[IF_MATCH], security=[{"bearer": []}])
def patch_grid(patch, code):
    """Change some properties and/or the geometry of a grid (If-Match required)."""
    code, version = edits.patch_grid(engine(), current_app.config, principal("editor"), code,
                                     request.get_json(), request.headers.get("If-Match"))
    return _saved(code, version)


@blp.route("/<string(length=15):code>", methods=["DELETE"])
@blp.response(204)
@blp.doc(parameters=[IF_MATCH], security=[{"bearer": []}])
def retire_grid(code):
    """Retire a grid: it leaves the map, keeps its history, and its code is never reused."""
    edits.retire(engine(), principal("editor"), code, request.headers.get("If-Match"))
    return "", 204


@blp.route("/<string(length=15):code>/history")
@blp.response(200, OpenSchema(many=True))
def grid_history(code):
    """Every version of a grid, oldest first (retired grids too)."""
    return json_response(query.history(engine(), code))
