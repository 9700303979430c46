"""Text fields: the characters no name, phone, photo or attribute may hold.

Refused: the C0 controls except tab and line feed (NUL among them: PostgreSQL cannot store it,
and SQLite stores it but xlsx and XML exports cannot write it), carriage return (write line
breaks as a line feed), DEL and the C1 controls, U+2028/U+2029 (line and paragraph separators:
invisible, and line breaks inside JavaScript strings), the bidirectional embedding, override and
isolate controls U+202A–U+202E, U+2066–U+2069 (they make a name display as something else), the
byte-order mark U+FEFF inside text, the noncharacters U+FFFE/U+FFFF and lone surrogates (not UTF-8).
Everything else, Chinese and emoji included, is text. One check for every text field: the import
records (:mod:`grids.records`), the API schemas and the attribute keys and values.
"""
from __future__ import annotations

import re

from .limits import MAX_JSON_DEPTH as _MAX_DEPTH  # attribute values are JSON: as deep as any JSON input

__all__ = ["FORBIDDEN", "control_character_reason", "check_text", "text_reasons"]

FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff"
                       "\ud800-\udfff]")
_NAMES = {"\x00": "NUL", "\r": "carriage return", "\x1b": "ESC", "\x7f": "DEL", "\u2028": "line separator",
          "\u2029": "paragraph separator", "\ufeff": "byte-order mark"}


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X}" + (f" ({_NAMES[ch]})" if ch in _NAMES else "")


def control_character_reason(value, field: str) -> str | None:
    """Why ``value`` may not be stored in ``field`` (None when it may): names the character and where."""
    if not isinstance(value, str):
        return None
    found = FORBIDDEN.search(value)
    if found is None:
        return None
    return (f"{field} contains the control character {_name(found.group())} at position {found.start() + 1}; "
            "only printable text, tab and line feed are accepted")


def check_text(value, field: str):
    """Return ``value`` unchanged, or raise ValueError naming the field and the character."""
    reason = control_character_reason(value, field)
    if reason:
        raise ValueError(reason)
    return value


def text_reasons(value, field: str) -> list[str]:
    """Reasons for every string (and dict key) inside a JSON-like value; iterative, depth-bounded."""
    reasons = []
    stack = [(value, field, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            reason = control_character_reason(item, where)
            reasons += [reason] if reason else []
        elif depth < _MAX_DEPTH and isinstance(item, dict):
            for key, inner in item.items():
                reason = control_character_reason(key, f"a key of {where}")
                reasons += [reason] if reason else []
                stack.append((inner, f"{where}.{key}", depth + 1))
        elif depth < _MAX_DEPTH and isinstance(item, (list, tuple)):
            stack.extend((inner, f"{where}[{k}]", depth + 1) for k, inner in enumerate(item))
    return reasons
