"""The base of the domain's typed errors: what the app answers when one reaches it.

``CRSError``, ``CodeError``, ``GeoJSONError``, ``FileFormatError`` (and any later domain error)
derive from :class:`DomainError`. The domain raises them with a message for the user; the app's
one error handler (``gis_app.errors``) turns any of them into problem+json with the class's
``status`` and ``title``, and the CLI prints the message. They stay ValueErrors for callers that
treat bad input generically.
"""
from __future__ import annotations

__all__ = ["DomainError"]


class DomainError(ValueError):
    """Input the domain refuses; ``problems`` lists per-feature culprits when there are some."""

    status = 422
    title = "Validation failed"
    problems: list = []
