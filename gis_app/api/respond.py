"""Responses: orjson bytes with the right media type (GeoJSON is application/geo+json)."""
from __future__ import annotations

import orjson
from flask import Response, request, url_for

__all__ = ["json_response", "geojson_response", "next_link", "GEOJSON"]

GEOJSON = "application/geo+json"
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def json_response(obj, status: int = 200, *, mimetype: str = "application/json", headers=None) -> Response:
    """Serialise ``obj`` with orjson (UTF-8 text kept, NaN refused)."""
    return Response(orjson.dumps(obj, option=_OPTIONS), status=status, mimetype=mimetype, headers=headers)


def geojson_response(obj, status: int = 200, headers=None) -> Response:
    return json_response(obj, status, mimetype=GEOJSON, headers=headers)


def next_link(value, key: str = "cursor") -> str | None:
    """Return the URL of the next page (same query, ``key`` set to ``value``), None on the last page."""
    if value is None:
        return None
    args = {**request.args.to_dict(), key: value}
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)
