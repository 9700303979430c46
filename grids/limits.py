"""Input limits checked before any expensive work: JSON depth, features per file, vertices.

GEOS ``set_precision`` grows quadratically on long zigzag rings (100,000 vertices 8 s, 200,000
27 s on 2 cores), so vertices are counted first: ``shapely.get_num_coordinates`` is one C loop
over the coordinate arrays, a few milliseconds for a million vertices. The defaults are far
above any real grid (a city's grids have tens to a few thousand vertices each) and are settings:
``SANIGRID_MAX_IMPORT_FEATURES``, ``SANIGRID_MAX_VERTICES_PER_GEOMETRY`` and
``SANIGRID_MAX_VERTICES_PER_FILE``. JSON, whether an import file or an API body, is parsed by
one parser (orjson: no NaN, no Infinity, at most 1,024 levels) and may nest :data:`MAX_JSON_DEPTH`
levels (GeoJSON needs 6).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson
import shapely

from .validation import Problem

__all__ = ["MAX_JSON_DEPTH", "InputLimits", "LimitExceeded", "JSONInputError", "loads_json", "too_deep",
           "check_count", "vertex_problems"]

MAX_JSON_DEPTH = 64
_SETTINGS = {"features": "SANIGRID_MAX_IMPORT_FEATURES", "vertices_per_geometry": "SANIGRID_MAX_VERTICES_PER_GEOMETRY",
             "vertices_per_file": "SANIGRID_MAX_VERTICES_PER_FILE"}


class LimitExceeded(ValueError):
    """The whole input is refused because it is larger than a configured limit."""


class JSONInputError(ValueError):
    """A JSON text that is not JSON, or nests deeper than :data:`MAX_JSON_DEPTH`."""


@dataclass(frozen=True)
class InputLimits:
    """How much one import (file, frame or API body) may hold."""

    features: int = 50_000
    vertices_per_geometry: int = 50_000
    vertices_per_file: int = 5_000_000

    @classmethod
    def from_settings(cls, settings) -> InputLimits:
        """The limits in a settings mapping (missing keys keep the defaults)."""
        settings = settings or {}
        return cls(**{key: int(settings[name]) for key, name in _SETTINGS.items() if settings.get(name) is not None})


def too_deep(value, room: int) -> bool:
    """True when ``value`` nests more than ``room`` levels; iterative, so no Python recursion limit."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if level > room:
            return True
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return False


def loads_json(data, max_depth: int = MAX_JSON_DEPTH):
    """Parse JSON text with orjson and refuse nesting deeper than ``max_depth`` (JSONInputError)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "recursion" in exc.msg or "depth" in exc.msg:
            raise JSONInputError(f"JSON nested more than {max_depth} levels deep; at most {max_depth} are "
                                 "accepted") from None
        raise JSONInputError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if too_deep(value, max_depth):
        raise JSONInputError(f"JSON nested more than {max_depth} levels deep; at most {max_depth} are accepted")
    return value


def check_count(count: int, limits: InputLimits, what: str = "the file") -> None:
    """Refuse more features (rows) than ``limits.features``, naming the setting."""
    if count > limits.features:
        raise LimitExceeded(f"{what} holds {count:,} features; at most {limits.features:,} are imported at once "
                            f"(setting {_SETTINGS['features']}): split the file, e.g. by district")


def vertex_problems(geoms, codes, limits: InputLimits) -> tuple[np.ndarray, list[Problem]]:
    """Count vertices cheaply; return (per-geometry over the cap?, problems). Too many in all: LimitExceeded."""
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    present = np.fromiter((isinstance(g, shapely.Geometry) for g in arr), dtype=bool, count=len(arr))
    counts = np.zeros(len(arr), dtype=np.int64)
    counts[present] = shapely.get_num_coordinates(arr[present])
    total = int(counts.sum())
    if total > limits.vertices_per_file:
        raise LimitExceeded(f"the input holds {total:,} vertices; at most {limits.vertices_per_file:,} are "
                            f"accepted at once (setting {_SETTINGS['vertices_per_file']}): split the file")
    over = counts > limits.vertices_per_geometry
    problems = [Problem(int(i), _code(codes, i), f"geometry has {int(counts[i]):,} vertices; at most "
                        f"{limits.vertices_per_geometry:,} are accepted (setting "
                        f"{_SETTINGS['vertices_per_geometry']}): simplify it first")
                for i in np.flatnonzero(over)]
    return over, problems


def _code(codes, i):
    code = codes[i] if codes is not None and i < len(codes) else None
    return code if isinstance(code, str) else None
