"""The views of /api/v1/frontages and /api/v1/places, one blueprint each over :mod:`.layer_query` and :mod:`.layer_edits`."""
from __future__ import annotations

from flask import Response, current_app, request

from ..access import read_scope
from . import engine, principal
from . import layer_edits as edits
from . import layer_query as query
from .body import Blueprint
from .respond import geojson_response, next_link
from .schemas import FeatureCollectionSchema, FeatureSchema

__all__ = ["layer_blueprint"]

GEO = "application/geo+json"
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "the ETag of the version being changed (412 when stale, 428 when missing)"}
ETAG = {"ETag": {"schema": {"type": "string"}}}


def _matches(etag: str) -> bool:
    return etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]


def layer_blueprint(layer: str, description: str, list_query, feature_in) -> Blueprint:
    """The blueprint of one register layer (frontages or places): list, read, create, replace, delete."""
    blp = Blueprint(layer, __name__, description=description)
    noun = layer[:-1]

    def saved(ref: str, version: int, status: int = 200):
        feature = query.layer_feature(engine(), current_app.config, layer, ref)
        return geojson_response(feature, status, headers={"ETag": edits.etag_of(ref, version),
                                                          "Location": f"{request.root_path}/api/v1/{layer}/{ref}"})

    @blp.route("", endpoint=f"list_{layer}")
    @blp.arguments(list_query, location="query", as_kwargs=True)
    @blp.response(200, FeatureCollectionSchema, content_type=GEO)
    @blp.doc(summary=f"List {layer} as a FeatureCollection", description=(
        "Filters: bbox, a region or grid, the simple properties; cursor paging; ETag per layer version."))
    def list_(**q):
        etag = query.layer_page_etag(engine(), layer, request.query_string)
        if _matches(etag):
            return Response(status=304, headers={"ETag": etag})
        page = query.layer_page(engine(), current_app.config, layer, q, read_scope())
        link = next_link(page["next_cursor"])
        body = {"type": "FeatureCollection", "numberReturned": page["returned"], "features": page["features"],
                "next": link, "links": [{"rel": "next", "href": link, "type": GEO}] if link else []}
        return geojson_response(body, headers={"ETag": etag})

    @blp.route("", methods=["POST"], endpoint=f"create_{noun}")
    @blp.arguments(feature_in)
    @blp.response(201, FeatureSchema, content_type=GEO, headers=ETAG)
    @blp.doc(security=[{"bearer": []}], summary=f"Create a {noun}; without a ref it gets its stable one")
    def create(feature):
        ref, version = edits.create(engine(), current_app.config, principal("editor"), layer, request.get_json())
        return saved(ref, version, 201)

    @blp.route("/<string(maxlength=64):ref>", endpoint=f"get_{noun}")
    @blp.response(200, FeatureSchema, content_type=GEO, headers=ETAG)
    @blp.doc(summary=f"Read one {noun} with its ETag")
    def get(ref):
        feature = query.layer_feature(engine(), current_app.config, layer, ref, read_scope())
        etag = edits.etag_of(ref, feature["properties"]["version"])
        if _matches(etag):
            return Response(status=304, headers={"ETag": etag})
        return geojson_response(feature, headers={"ETag": etag})

    @blp.route("/<string(maxlength=64):ref>", methods=["PUT"], endpoint=f"replace_{noun}")
    @blp.arguments(feature_in)
    @blp.response(200, FeatureSchema, content_type=GEO, headers=ETAG)
    @blp.doc(parameters=[IF_MATCH], security=[{"bearer": []}], summary=f"Replace a {noun} whole (If-Match required)")
    def replace(feature, ref):
        ref, version = edits.replace(engine(), current_app.config, principal("editor"), layer, ref,
                                     request.get_json(), request.headers.get("If-Match"))
        return saved(ref, version)

    @blp.route("/<string(maxlength=64):ref>", methods=["DELETE"], endpoint=f"delete_{noun}")
    @blp.response(204)
    @blp.doc(parameters=[IF_MATCH], security=[{"bearer": []}],
             summary=f"Delete a {noun} (If-Match required); the audit log keeps what it was")
    def delete(ref):
        edits.remove(engine(), principal("editor"), layer, ref, request.headers.get("If-Match"))
        return "", 204

    return blp
