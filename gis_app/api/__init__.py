"""The REST API under /api/v1: flask-smorest blueprints, one per resource, thin over gis_app.

flask-smorest builds the OpenAPI document from the views' marshmallow schemas; its own error
handler is switched off so every error goes through the app's one problem+json handler.
"""
from __future__ import annotations

import http

from flask import Flask, current_app, g, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from ..auth import require
from ..casework.record import MAX_PHOTOS
from ..storage.photos import MAX_PHOTO_BYTES
from ..storage.routing import read_engine
from .schemas import ProblemSchema

__all__ = ["init_api", "PREFIX", "engine", "principal"]

PREFIX = "/api/v1"
PROBLEM_JSON = "application/problem+json"
SWAGGER_UI = "swagger-ui-dist-5.35.0"


class SanigridApi(Api):
    """flask-smorest's Api with RFC 9457 problems documented and rendered by the app's handler."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Keep the app-level problem+json handler (gis_app.errors) for every error."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def engine():
    """Return the register's engine for this request: the replica for GET/HEAD when one is set."""
    return read_engine()


def principal(role: str | None = None):
    """Return the caller (None when anonymous); with ``role``, refuse callers below it."""
    found = g.get("principal")
    return require(found, role) if role else found


def _before_request():
    """Bound an API request's body (the caller was identified and checked by gis_app.access)."""
    if not request.path.startswith(f"{PREFIX}/"):
        return
    multipart = request.mimetype == "multipart/form-data"
    if request.path.endswith("/photo") or (multipart and request.path.endswith("/actions")):
        # a photo upload (a person's, a case's evidence): the photo limit, plus the multipart envelope
        request.max_content_length = MAX_PHOTO_BYTES + 64 * 1024
    elif multipart and request.path == f"{PREFIX}/inspections":   # an inspection and up to MAX_PHOTOS photos
        request.max_content_length = MAX_PHOTOS * MAX_PHOTO_BYTES + 64 * 1024
    elif not request.path.startswith(f"{PREFIX}/import/"):
        request.max_content_length = current_app.config["SANIGRID_API_MAX_BODY_BYTES"]


def _config(app: Flask) -> None:
    app.config.update({
        "API_TITLE": "sanigrid register API", "API_VERSION": "v1", "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": PREFIX, "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs", "OPENAPI_SWAGGER_UI_URL": f"/static/vendor/{SWAGGER_UI}/",
        # Swagger UI would otherwise ask validator.swagger.io about the document: no outside calls.
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
        "API_SPEC_OPTIONS": {"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}},
    })


def init_api(app: Flask) -> Api:
    """Register the API blueprints and the OpenAPI document on ``app``."""
    from . import (admin, cases, evaluations, frontages, gaps, grids, inspections, kpis, people, places, regions,
                   search, transfer, where)
    _config(app)
    from .links import LinksPlugin
    api = SanigridApi(app, spec_kwargs={"extra_plugins": [LinksPlugin()]})
    app.before_request(_before_request)
    for module in (regions, grids, people, where, gaps, transfer, admin, search, frontages, places, inspections,
                   cases, kpis, evaluations):
        api.register_blueprint(module.blp, url_prefix=f"{PREFIX}{module.PREFIX}")
    return api
