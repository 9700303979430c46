"""One check per kind of imported field: text, count, coordinate, phone, photo, date, choice, attributes.

Every register's records (grids and people in :mod:`grids.records`, frontages in
:mod:`grids.frontage_records`, places in :mod:`grids.places`) read their fields through these,
so a phone, a name or a count is held to one rule whatever layer it arrives in. Each check
appends its reasons, the field's name first, to the caller's ``errors`` list and returns the
clean value (None when missing or refused).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import re

import shapely

from .photos import check_photo
from .text import control_character_reason, text_reasons

__all__ = ["MAX_TEXT", "PHONE", "is_blank", "text_field", "count_field", "coordinate_field", "phone_field",
           "photo_field", "date_field", "choice_field", "attributes", "REF", "ref_field", "stable_ref"]

MAX_TEXT = 200
PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,30}$")


def is_blank(value) -> bool:
    """True for a missing cell: None, NaN, or text of spaces only."""
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def text_field(props, key, errors, required=True, max_len=MAX_TEXT):
    """Printable text of at most ``max_len`` characters, stripped."""
    value = props.get(key)
    if is_blank(value):
        if required:
            errors.append(f"{key} is missing")
        return None
    text = str(value).strip()
    if len(text) > max_len:
        errors.append(f"{key} is longer than {max_len} characters")
    reason = control_character_reason(text, key)
    if reason:
        errors.append(reason)
    return text


def count_field(props, key, errors) -> int:
    """A whole number from 0 to 10,000,000; missing is 0."""
    value = props.get(key)
    if is_blank(value):
        return 0
    if isinstance(value, bool):
        errors.append(f"{key} must be a whole number >= 0, got {value!r}")
        return 0
    try:
        number = float(str(value).strip())
    except ValueError:
        errors.append(f"{key} must be a whole number >= 0, got {value!r}")
        return 0
    if not math.isfinite(number) or number < 0 or number != int(number) or number > 10_000_000:
        errors.append(f"{key} must be a whole number between 0 and 10,000,000, got {value!r}")
        return 0
    return int(number)


def coordinate_field(props, key, limit, errors):
    """A finite number within ±``limit`` (longitude 180, latitude 90), None when missing."""
    value = props.get(key)
    if is_blank(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.append(f"{key} must be a number, got {value!r}")
        return None
    if not math.isfinite(number) or abs(number) > limit:
        errors.append(f"{key} must be within ±{limit}, got {value!r}")
        return None
    return number


def metres_field(props, key, errors, low: float, high: float, *, what: str, low_included: bool = True):
    """A length in metres from ``low`` (or above it) to ``high``, None when missing; ``what`` names it in the message."""
    value = props.get(key)
    if is_blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    above_low = number >= low if low_included else number > low
    if not math.isfinite(number) or not above_low or number > high:
        lower = f"from {low:g} to" if low_included else f"above {low:g} and at most"
        errors.append(f"{key} must be {what} in metres {lower} {high:g}, got {value!r}")
        return None
    return number


def phone_field(props, key, errors, required=False):
    """A phone number (digits, spaces and hyphens, an optional leading +), None when missing."""
    text = text_field(props, key, errors, required=required, max_len=32)
    if text is not None and PHONE.match(text) is None:
        errors.append(f"{key} {text!r} is not a phone number")
        return None
    return text


def photo_field(props, key, errors, *, files=True):
    """A photo the app stored, or (``files``) an image file name beside the imported file."""
    if is_blank(props.get(key)):
        return None
    try:
        return check_photo(props.get(key), files=files)
    except ValueError as exc:
        errors.append(str(exc))
        return None


def date_field(props, key, errors):
    """An ISO date (``2024-05-01``; a spreadsheet's date cell too), None when missing."""
    value = props.get(key)
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ][\d:.]+", text) else text)
    except ValueError:
        errors.append(f"{key} must be an ISO date (YYYY-MM-DD), got {text[:40]!r}")
        return None


def choice_field(props, key, choices: dict, errors, default=None):
    """One of ``choices`` (key → label), given as the key or its label; missing is ``default``."""
    value = props.get(key)
    if is_blank(value):
        if default is None:
            errors.append(f"{key} is missing; one of {_listed(choices)}")
        return default
    text = str(value).strip()
    if text.lower() in choices:
        return text.lower()
    if text in choices:
        return text
    by_label = {label: k for k, label in choices.items()}
    if text in by_label:
        return by_label[text]
    errors.append(f"{key} {text[:40]!r} is not one of {_listed(choices)}")
    return None


def _listed(choices: dict) -> str:
    return ", ".join(f"{k} ({v})" if v and v != k else k for k, v in choices.items())


def attributes(props, known, errors) -> dict:
    """The properties outside ``known``, kept as attributes (their text checked like any field)."""
    out = {}
    for key, value in props.items():
        if key in known or is_blank(value):
            continue
        out[str(key)] = value.item() if hasattr(value, "item") else value
    errors += text_reasons(out, "attributes")
    return out


REF = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.:\-]{0,63}")


def ref_field(props, key, errors):
    """A record's stable id in files: 1-64 letters, digits, ``_ . : -`` (it appears in URLs), None when missing."""
    value = props.get(key)
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if REF.fullmatch(text) is None:
        errors.append(f"{key} {text[:40]!r} must be 1-64 letters, digits, '_', '.', ':' or '-' "
                      "(starting with a letter or digit)")
        return None
    return text


def stable_ref(prefix: str, texts, geometry) -> str:
    """The ref of a record a file gave none: ``prefix`` + 12 hex digits of sha1(texts joined by | and the WKB).

    The same unit at the same place gets the same ref at every import, so re-importing a file
    without refs updates its rows instead of adding them again.
    """
    wkb = shapely.to_wkb(geometry, byte_order=1, output_dimension=2) if geometry is not None else b""
    digest = hashlib.sha1("|".join("" if t is None else str(t) for t in texts).encode("utf-8") + b"|" + wkb)
    return prefix + digest.hexdigest()[:12]
