"""The OGC API's one error of its own: a bad query parameter is a 400 (OGC API – Features, Part 1)."""
from __future__ import annotations

from ..errors import SanigridError

__all__ = ["InvalidParameter"]


class InvalidParameter(SanigridError):
    status = 400
    title = "Invalid parameter"
