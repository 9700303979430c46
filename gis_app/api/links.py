"""OpenAPI links: what a client may do next with a grid or person it got (schemathesis follows them).

An apispec plugin adds them as flask-smorest writes each path, so the views keep their decorators.
A created or read grid leads to reading, patching, replacing and retiring it (its code from the
body, If-Match from the response's ETag), its history and its roles; a created person to
reading, changing and removing them.
"""
from __future__ import annotations

from apispec import BasePlugin

__all__ = ["LinksPlugin", "LINKS"]

_GRID = "#/paths/~1api~1v1~1grids~1{code}"
_CODE = {"code": "$response.body#/properties/code"}
_ETAG = {**_CODE, "header.If-Match": "$response.header.ETag"}
_GRID_LINKS = {
    "GetGrid": {"operationRef": f"{_GRID}/get", "parameters": _CODE},
    "PatchGrid": {"operationRef": f"{_GRID}/patch", "parameters": _ETAG},
    "ReplaceGrid": {"operationRef": f"{_GRID}/put", "parameters": _ETAG},
    "RetireGrid": {"operationRef": f"{_GRID}/delete", "parameters": _ETAG},
    "GridHistory": {"operationRef": f"{_GRID}~1history/get", "parameters": _CODE},
    "GridRoles": {"operationRef": f"{_GRID}~1roles/get", "parameters": _CODE},
}
_PERSON = "#/paths/~1api~1v1~1people~1{phone}"
_PHONE = {"phone": "$response.body#/phone"}
_PERSON_LINKS = {
    "GetPerson": {"operationRef": f"{_PERSON}/get", "parameters": _PHONE},
    "UpdatePerson": {"operationRef": f"{_PERSON}/patch", "parameters": _PHONE},
    "RemovePerson": {"operationRef": f"{_PERSON}/delete", "parameters": _PHONE},
}
_REF = {"ref": "$response.body#/id"}
_REF_ETAG = {**_REF, "header.If-Match": "$response.header.ETag"}


def _layer_links(layer: str, noun: str) -> dict:
    """A created or read frontage or place leads to reading, replacing and deleting it."""
    at = f"#/paths/~1api~1v1~1{layer}~1{{ref}}"
    return {f"Get{noun}": {"operationRef": f"{at}/get", "parameters": _REF},
            f"Replace{noun}": {"operationRef": f"{at}/put", "parameters": _REF_ETAG},
            f"Delete{noun}": {"operationRef": f"{at}/delete", "parameters": _REF_ETAG}}


_FRONTAGE_LINKS, _PLACE_LINKS = _layer_links("frontages", "Frontage"), _layer_links("places", "Place")
# path -> method -> status -> links
LINKS = {
    "/api/v1/grids": {"post": {"201": _GRID_LINKS}},
    "/api/v1/grids/{code}": {"get": {"200": _GRID_LINKS}, "patch": {"200": _GRID_LINKS},
                             "put": {"200": _GRID_LINKS}},
    "/api/v1/people": {"post": {"201": _PERSON_LINKS}},
    "/api/v1/people/{phone}": {"get": {"200": _PERSON_LINKS}, "patch": {"200": _PERSON_LINKS}},
    "/api/v1/frontages": {"post": {"201": _FRONTAGE_LINKS}},
    "/api/v1/frontages/{ref}": {"get": {"200": _FRONTAGE_LINKS}, "put": {"200": _FRONTAGE_LINKS}},
    "/api/v1/places": {"post": {"201": _PLACE_LINKS}},
    "/api/v1/places/{ref}": {"get": {"200": _PLACE_LINKS}, "put": {"200": _PLACE_LINKS}},
}


class LinksPlugin(BasePlugin):
    """Add :data:`LINKS` to the documented responses of each operation."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, by_status in LINKS.get(path, {}).items():
            responses = (operations or {}).get(method, {}).get("responses", {})
            for status, links in by_status.items():
                key = int(status) if int(status) in responses else status  # flask-smorest keys statuses as ints
                if isinstance(responses.get(key), dict):
                    responses[key].setdefault("links", {}).update(links)
