"""The OpenAPI 3.0 definition of /ogc (service-desc): every path, parameter and response it serves.

Besides the generic ``/collections/{collectionId}/…`` paths, each collection's items path is
spelled out (``/collections/grids/items``) with its queryables as parameters (Part 1
/rec/core/fc-filters, Part 3 queryables-query-parameters): the filters differ per collection.
"""
from __future__ import annotations

from flask import url_for

from .collections import all_collections
from .params import DEFAULT_LIMIT, MAX_LIMIT
from .queryables import SCHEMA_JSON, openapi_parameters

__all__ = ["openapi_document"]


def _param(name, where, schema, description, required=False, explode=None):
    out = {"name": name, "in": where, "required": required, "schema": schema, "description": description}
    if explode is not None:
        out.update(style="form", explode=explode)
    return out


_F = _param("f", "query", {"type": "string", "enum": ["json", "html"]}, "format (default: the Accept header, else JSON)")
_LANG = _param("lang", "query", {"type": "string", "enum": ["zh", "en"], "default": "zh"}, "language of titles and pages")
_CRS = _param("crs", "query", {"type": "string", "format": "uri"}, "CRS of the returned coordinates (Part 2), "
              "one of the collection's `crs` list; default CRS84")
_ITEMS = [
    _param("bbox", "query", {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
           "minx,miny,maxx,maxy in bbox-crs axis order (default CRS84 lon/lat)", explode=False),
    _param("bbox-crs", "query", {"type": "string", "format": "uri"}, "CRS of bbox (Part 2); default CRS84"),
    _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
           f"page size (larger values are served as {MAX_LIMIT})"),
    _param("offset", "query", {"type": "integer", "minimum": 0, "default": 0}, "features to skip (next/prev links)"),
    _param("datetime", "query", {"type": "string"}, "RFC 3339 instant or interval a/b ('..' open), UTC; "
           "grids: the grids active then, as they stood; frontages: the commitments in effect then"),
]


def _responses(media: str, description: str) -> dict:
    problem = {"application/problem+json": {"schema": {"type": "object"}}}
    return {"200": {"description": description, "content": {media: {"schema": {"type": "object"}},
                                                           "text/html": {"schema": {"type": "string"}}}},
            "400": {"description": "a bad query parameter", "content": problem},
            "401": {"description": "a token is needed (SANIGRID_PUBLIC_READS=false)", "content": problem},
            "404": {"description": "no such collection or feature", "content": problem},
            "500": {"description": "the server failed (logged)", "content": problem}}


def _op(op_id, summary, params, media="application/json", description="the resource"):
    return {"get": {"operationId": op_id, "summary": summary, "parameters": params,
                    "responses": _responses(media, description)}}


# OpenAPI links (clients and schemathesis' stateful tests follow them): collection -> its items -> one item.
_SAME_COLLECTION = {"collectionId": "$request.path.collectionId"}
_LINKS = {
    "describeCollection": {"GetFeatures": {"operationId": "getFeatures", "parameters": _SAME_COLLECTION}},
    "getFeatures": {"GetFirstFeature": {"operationId": "getFeature", "parameters": {
        **_SAME_COLLECTION, "featureId": "$response.body#/features/0/id"}}},
    "getFeature": {"DescribeCollection": {"operationId": "describeCollection", "parameters": _SAME_COLLECTION}},
}


def _linked(paths: dict) -> dict:
    for item in paths.values():
        op = item["get"]
        if op["operationId"] in _LINKS:
            op["responses"]["200"]["links"] = _LINKS[op["operationId"]]
    return paths


def openapi_document() -> dict:
    geo = "application/geo+json"
    ids = [c.id for c in all_collections()]
    collection_id = _param("collectionId", "path", {"type": "string", "enum": ids}, "collection id", required=True)
    return {
        "openapi": "3.0.3",
        "info": {"title": "sanigrid OGC API – Features", "version": "1.0"},
        "servers": [{"url": url_for("ogc.landing_page", _external=True).rstrip("/")}],
        "paths": _linked({
            "/": _op("getLandingPage", "landing page", [_F, _LANG]),
            "/api": _op("getApiDefinition", "this definition (JSON, or HTML with f=html)", [_F, _LANG],
                        "application/vnd.oai.openapi+json;version=3.0"),
            "/conformance": _op("getConformance", "conformance classes", [_F, _LANG]),
            "/collections": _op("getCollections", "the collections", [_F, _LANG]),
            "/collections/{collectionId}": _op("describeCollection", "one collection", [collection_id, _F, _LANG]),
            "/collections/{collectionId}/items": _op("getFeatures", "features of a collection",
                                                     [collection_id, *_ITEMS, _CRS, _F, _LANG], geo, "a page of features"),
            "/collections/{collectionId}/items/{featureId}": _op(
                "getFeature", "one feature",
                [collection_id, _param("featureId", "path", {"type": "string"}, "feature id", required=True), _CRS, _F, _LANG],
                geo, "one feature"),
            "/collections/{collectionId}/queryables": _op(
                "getQueryables", "the properties the collection's items filter on (Part 3): a JSON Schema",
                [collection_id, _F, _LANG], SCHEMA_JSON, "the queryables"),
        }) | {f"/collections/{c.id}/items": _collection_items(c, geo) for c in all_collections()},
    }


def _collection_items(item, geo: str) -> dict:
    """The items path of one collection, its property filters among the parameters."""
    items = [p for p in _ITEMS if item.temporal or p["name"] != "datetime"]
    names = ", ".join(q.name for q in item.queryables)
    return _op(f"getFeatures-{item.id}", f"features of {item.id}, filtered by its queryables ({names})",
               [*items, _CRS, _F, _LANG, *openapi_parameters(item.queryables)], geo, "a page of features")
