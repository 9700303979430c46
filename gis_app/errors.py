"""Typed errors that carry their HTTP status, and one app-level RFC 9457 problem handler.

The app's own errors derive from :class:`SanigridError`; the domain's (``CRSError``,
``CodeError``, ``GeoJSONError``, ``FileFormatError`` …) from :class:`grids.errors.DomainError`,
which carries its status and title too. Both reach the one handler below as they were raised:
no view or import step converts them; an import as a whole refuses with :class:`ValidationFailed`
(:meth:`ValidationFailed.of`, at its one entry, where the refusal is logged). ``REFUSED`` is both
kinds, for the CLI and scripts.
"""
from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from grids.errors import DomainError

__all__ = ["SanigridError", "NotFound", "ValidationFailed", "Conflict", "Unauthorized", "Forbidden",
           "PreconditionFailed", "PreconditionRequired", "PayloadTooLarge", "Unsupported", "register_error_handlers",
           "REFUSED", "problem_body", "flat_messages"]

log = logging.getLogger(__name__)


class SanigridError(Exception):
    """Base error: ``detail`` is for the user; the log gets ``log_message`` if given."""

    status = 400
    title = "Bad request"
    headers: dict = {}

    def __init__(self, detail: str, *, log_message: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.log_message = log_message

    def body(self) -> dict:
        return {"type": "about:blank", "title": self.title, "status": self.status, "detail": self.detail}


class NotFound(SanigridError):
    status = 404
    title = "Not found"


class Conflict(SanigridError):
    status = 409
    title = "Conflict"


class Unauthorized(SanigridError):
    status = 401
    title = "Unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="sanigrid"'}


class Forbidden(SanigridError):
    status = 403
    title = "Forbidden"


class PreconditionFailed(SanigridError):
    status = 412
    title = "Precondition failed"


class PreconditionRequired(SanigridError):
    status = 428
    title = "Precondition required"


class PayloadTooLarge(SanigridError):
    status = 413
    title = "Payload too large"


class Unsupported(SanigridError):
    """A feature this deployment's backend does not offer (e.g. vector tiles need PostGIS)."""

    status = 501
    title = "Not implemented"


class ValidationFailed(SanigridError):
    """Input refused: ``problems`` lists every culprit (feature index, code, reason)."""

    status = 422
    title = "Validation failed"

    def __init__(self, detail: str, problems=(), *, notes=()):
        super().__init__(detail)
        self.problems = list(problems)
        self.notes = list(notes)

    def body(self) -> dict:
        body = super().body()
        body["problems"] = [{"index": p.index, "code": p.code, "reason": p.reason} for p in self.problems]
        return body

    @classmethod
    def of(cls, exc: DomainError) -> ValidationFailed:
        """The domain's refusal as an import's (status, title, message and problems kept)."""
        refusal = cls(str(exc), getattr(exc, "problems", None) or [])
        refusal.status, refusal.title = exc.status, exc.title
        return refusal

    def __str__(self) -> str:
        lines = [self.detail] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


REFUSED = (SanigridError, DomainError)   # every refusal of bad input, for ``except REFUSED``


def problem_body(exc: SanigridError | DomainError) -> dict:
    """Return the problem+json body of a typed error (the app's or the domain's)."""
    if isinstance(exc, SanigridError):
        return exc.body()
    problems = getattr(exc, "problems", None) or []
    return {"type": "about:blank", "title": exc.title, "status": exc.status, "detail": str(exc),
            "problems": [{"index": p.index, "code": p.code, "reason": p.reason} for p in problems]}


def _problem(body: dict, headers=None) -> Response:
    if request.accept_mimetypes.accept_html and not request.path.startswith(("/api/", "/ogc", "/open311")):
        return Response(render_template("error.html", problem=body), status=body["status"],
                        mimetype="text/html", headers=headers)
    from flask import json
    return Response(json.dumps(body, ensure_ascii=False), status=body["status"],
                    mimetype="application/problem+json", headers=headers)


def flat_messages(messages, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's or webargs' nested {field: [messages]} as (dotted path, message) pairs."""
    out = []

    def walk(path, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{path}.{key}" if path else str(key), inner)
        else:
            for reason in value if isinstance(value, list) else [value]:
                out.append((path, str(reason)))

    walk(prefix, messages)
    return out


def _request_problems(exc: HTTPException) -> list:
    """Flatten webargs' {location: {field: [messages]}} into per-field problems."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    return [{"index": None, "code": path, "reason": reason} for path, reason in flat_messages(messages)]


def register_error_handlers(app: Flask) -> None:
    """Render every error, routing 404/405 included, as problem+json (HTML for pages)."""

    @app.errorhandler(SanigridError)
    def _typed(exc: SanigridError):
        if exc.log_message:
            log.warning(exc.log_message)
        return _problem(exc.body(), exc.headers)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return _problem(problem_body(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        body = {"type": "about:blank", "title": exc.name, "status": exc.code, "detail": exc.description}
        problems = _request_problems(exc)
        if problems:
            body["detail"] = "the request's parameters or body are invalid"
            body["problems"] = problems
        allowed = getattr(exc, "valid_methods", None)
        return _problem(body, {"Allow": ", ".join(allowed)} if allowed else None)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _problem({"type": "about:blank", "title": "Internal Server Error", "status": 500,
                         "detail": "The server failed to answer; the error is logged."})

