"""What the strict reader knows of GeoJSON objects: geometry types, its result and error, value names."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DomainError
from ..validation import Problem

# Nesting depth of "coordinates" for each geometry type (1 = a single position).
GEOMETRY_DEPTH = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4}
GEOMETRY_TYPES = (*GEOMETRY_DEPTH, "GeometryCollection")


class GeoJSONError(DomainError):
    """The whole document is refused: not JSON, not UTF-8, too big, or wrong at the top level."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems if problems else [Problem(None, None, message)]


@dataclass
class ParsedFeatures:
    """The features of one GeoJSON document; the caller refuses the import if ``problems`` is non-empty."""

    records: list[dict] = field(default_factory=list)
    crs: str | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def kind_of(value) -> str:
    """Name a JSON value's kind for a message ("an array", "null", "the string 'x'")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return "an array" if isinstance(value, list) else "an object"
