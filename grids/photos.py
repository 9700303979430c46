"""Which photo references the register keeps: only photos the app stored itself.

A person's ``photo`` is shown on the signboard as ``<img src>``; an outside address
(``http://…``, ``//host/…``, ``/\\host/…``, ``javascript:``, ``data:``) would let anyone make
every visitor's browser fetch from elsewhere. The app stores an uploaded photo under a random
name and serves it at ``/photos/<32 hex digits>.jpg`` (or ``.png``); that is the only form kept.
A people file may instead name an image file beside it, which the import stores the same way.
"""
from __future__ import annotations

import re

__all__ = ["PHOTO_URL", "PHOTO_NAME", "photo_url", "check_photo", "photo_file_name", "is_app_photo"]

PHOTO_URL = "/photos/{name}"
PHOTO_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png)")
_APP_PHOTO = re.compile(r"/photos/([0-9a-f]{32}\.(?:jpg|png))")
_FILE_NAME = re.compile(r"[^/\\:\x00-\x1f]+\.(?:jpe?g|png|webp)", re.IGNORECASE)
REFUSED = ("photo {value!r} is not a photo stored by the app: upload the image with "
           "POST /api/v1/people/{{phone}}/photo (the answer's photo is /photos/<32 hex digits>.jpg), "
           "or, in a people file, name an image file that lies beside the file")


def photo_url(name: str) -> str:
    """Return the app's URL of a stored photo file name."""
    return PHOTO_URL.format(name=name)


def is_app_photo(value) -> bool:
    """True for ``/photos/<32 hex>.jpg|png``, the URL of a photo the app stored."""
    return isinstance(value, str) and _APP_PHOTO.fullmatch(value) is not None


def photo_file_name(value) -> str | None:
    """Return ``value`` when it is a bare image file name (``zhang_wei.jpg``), else None."""
    if not isinstance(value, str) or value.startswith(".") or not _FILE_NAME.fullmatch(value):
        return None
    return value


def check_photo(value, *, files: bool = False) -> str | None:
    """Return a photo reference the register may keep (None for blank); raise ValueError otherwise.

    ``files=True`` (people files) also lets through a bare image file name, for the import to store.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if is_app_photo(text) or (files and photo_file_name(text)):
        return text
    raise ValueError(REFUSED.format(value=text[:80]))
