"""Bodies of the inspection and case writes: JSON, or multipart/form-data when photos travel with them.

A phone sends its inspection and photos in one request, so that a refused photo refuses the
inspection and nothing is stored. Either way the fields go through the same marshmallow schema
and the app's depth-bounded JSON parser; the photos are read up to the photo limit plus one byte
(the limit's check is the re-encoder's).
"""
from __future__ import annotations

from marshmallow import ValidationError

from grids.limits import JSONInputError, loads_json
from grids.validation import Problem

from ..errors import SanigridError, ValidationFailed, flat_messages
from ..storage.photos import MAX_PHOTO_BYTES

__all__ = ["UnsupportedMediaType", "read_body", "problems_of"]

MULTIPART, JSON = "multipart/form-data", "application/json"


class UnsupportedMediaType(SanigridError):
    status = 415
    title = "Unsupported media type"


def problems_of(error: ValidationError, prefix: str = "") -> list[Problem]:
    """marshmallow's {field: [messages]} as the problems of a 422, one per message."""
    return [Problem(None, path or None, reason) for path, reason in flat_messages(error.messages, prefix)]


def _parsed(data, what: str):
    try:
        value = loads_json(data)
    except JSONInputError as exc:
        raise ValidationFailed(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValidationFailed(f"{what} must be a JSON object")
    return value


def _files(request, field: str) -> list[bytes]:
    """The files of ``field``; a form's empty file input (no name, no bytes) is no file."""
    files = [(upload.filename, upload.read(MAX_PHOTO_BYTES + 1)) for upload in request.files.getlist(field)]
    return [data for name, data in files if name or data]


def read_body(request, schema, *, json_field: str | None, file_field: str) -> tuple[dict, list[bytes]]:
    """(the checked fields, the uploaded files' bytes) of a JSON or multipart request.

    ``json_field``: the multipart field holding the JSON object (None: the form's fields are
    the object's, as a plain HTML form sends them).
    """
    if request.mimetype == MULTIPART:
        if json_field is not None:
            text = request.form.get(json_field)
            if text is None:
                raise ValidationFailed(f"send the fields as JSON in the multipart field {json_field!r}")
            data = _parsed(text.encode("utf-8"), f"the field {json_field!r}")
        else:
            data = {k: v for k, v in request.form.to_dict().items() if v != ""}
        files = _files(request, file_field)
    elif request.mimetype == JSON or request.mimetype.endswith("+json"):
        data, files = _parsed(request.get_data(cache=True), "the body"), []
    else:
        raise UnsupportedMediaType(f"send {JSON}, or {MULTIPART} with photos; got {request.mimetype or 'no body'}")
    try:
        return schema.load(data), files
    except ValidationError as exc:
        raise ValidationFailed("the request's fields are invalid", problems_of(exc)) from None
