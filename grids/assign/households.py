"""Households of buildings: a count when the data has one, otherwise an estimate, stated.

The estimate is gross floor area / 100 m² per household, gross floor area = footprint area
× floors (OSM ``building:levels`` when tagged, else 6 floors for a residential or untyped
building, the common multi-storey 多层住宅, and 2 for a house). Buildings OSM types as
something else (school, office, shop, station ...) count no households.
"""
from __future__ import annotations

import math
import re

import numpy as np

__all__ = ["FLOOR_AREA_PER_HOUSEHOLD_M2", "DEFAULT_LEVELS", "RESIDENTIAL_TYPES", "estimate_households",
           "osm_levels", "building_levels", "estimate_from_properties", "ESTIMATE_NOTE"]

FLOOR_AREA_PER_HOUSEHOLD_M2 = 100.0
DEFAULT_LEVELS = 6
HOUSE_LEVELS = 2
RESIDENTIAL_TYPES = {"yes", "residential", "apartments", "dormitory", "house", "detached", "semidetached_house",
                     "terrace", "bungalow", "village_house"}
_LOW_RISE = {"house", "detached", "semidetached_house", "terrace", "bungalow", "village_house"}
_LEVELS_TAG = re.compile(r'"building:levels"=>"([0-9]+(?:\.[0-9]+)?)"')
ESTIMATE_NOTE = (f"households estimated as footprint area × floors / {FLOOR_AREA_PER_HOUSEHOLD_M2:g} m² "
                 f"(floors from building:levels, else {DEFAULT_LEVELS}, {HOUSE_LEVELS} for houses; "
                 "non-residential building types count 0)")


def osm_levels(other_tags) -> float | None:
    """Return ``building:levels`` from GDAL's OSM ``other_tags`` hstore text (None when absent)."""
    if not isinstance(other_tags, str):
        return None
    found = _LEVELS_TAG.search(other_tags)
    return float(found.group(1)) if found else None


def estimate_households(area_m2, levels=None, types=None) -> np.ndarray:
    """Estimate households per building from footprint area (m²), floors and building type."""
    area = np.asarray(area_m2, dtype=float)
    n = len(area)
    types = [None] * n if types is None else list(types)
    levels = [None] * n if levels is None else list(levels)
    out = np.zeros(n, dtype=np.int64)
    for i, (a, floors, kind) in enumerate(zip(area, levels, types)):
        kind = str(kind).strip().lower() if kind is not None and kind == kind else "yes"
        if kind not in RESIDENTIAL_TYPES:
            continue
        if floors is None or not (isinstance(floors, (int, float)) and math.isfinite(floors) and floors > 0):
            floors = HOUSE_LEVELS if kind in _LOW_RISE else DEFAULT_LEVELS
        out[i] = int(round(a * floors / FLOOR_AREA_PER_HOUSEHOLD_M2))
    return out


def building_levels(props: dict) -> float | None:
    """Floors of one building as a file gives them: GDAL's OSM ``other_tags``, else a ``building:levels`` field."""
    levels = osm_levels(props.get("other_tags"))
    if levels is not None:
        return levels
    try:
        value = float(props.get("building:levels"))
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def estimate_from_properties(area_m2, props) -> np.ndarray:
    """The estimate for buildings read from a file (OSM or not): floors and type from their properties."""
    return estimate_households(area_m2, [building_levels(p) for p in props], [p.get("building") for p in props])
