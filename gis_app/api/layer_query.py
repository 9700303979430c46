"""Reads of /api/v1/frontages and /api/v1/places: filtered, paged FeatureCollections and single features.

The rows come from :mod:`gis_app.storage.frontages` (bbox, district and grid filters; the grids and
the effective status computed on read); the simple property filters, the cursor by ref and the
GeoJSON shape are applied here. A district-scoped caller whose reads are private sees only the
frontages and places in its district's grids.
"""
from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import orjson
import shapely

from grids.frontages import STATUSES, UNIT_KINDS

from ..config import place_kinds
from ..errors import Forbidden, NotFound
from ..storage import repository as repo
from ..storage import session_scope
from ..storage.frontages import layer_version, load_frontages, load_places
from .grid_query import _bbox

__all__ = ["layer_page", "layer_feature", "layer_page_etag", "etag_of", "FILTERS", "properties_of"]

# The simple property filters of each list: query argument -> column.
FILTERS = {"frontages": ("status", "effective_status", "unit_kind", "road", "item_set"),
           "places": ("kind",)}
_LOADERS = {"frontages": load_frontages, "places": load_places}
_GRID_COLUMN = {"frontages": "grids", "places": "grid"}


def etag_of(ref: str, version: int) -> str:
    """Return the strong ETag of one version of a frontage or place."""
    return f'"{ref}-v{version}"'


def _under(q: dict, scope: str | None) -> tuple[str | None, str | None]:
    """(district, grid) to load: the caller's scope narrows the filter, and refuses a region outside it."""
    district, grid = q.get("district"), q.get("grid")
    if scope is not None:
        for code in (district, grid):
            if code is not None and not code.startswith(scope):
                raise Forbidden(f"this sign-in sees only district {scope}; {code} lies outside it")
        district = district or scope
    return district, grid


def _load(engine, layer: str, q: dict, scope: str | None, refs=None):
    district, grid = _under(q, scope)
    box = _bbox(q["bbox"]) if q.get("bbox") else None
    with session_scope(engine) as session:
        return _LOADERS[layer](session, bbox=box, district=district, grid=grid, refs=refs)


def _labels(layer: str, settings) -> dict:
    if layer == "frontages":
        return {"unit_kind": UNIT_KINDS, "status": STATUSES, "effective_status": STATUSES}
    return {"kind": place_kinds(settings)}


def properties_of(record: dict, layer: str, settings) -> dict:
    """A row's GeoJSON properties: attributes, then the register's fields (dates as ISO text) and labels."""
    out = {}
    for key, value in record.items():
        if key == "geometry" or (value is not None and not isinstance(value, (list, str)) and value != value):
            continue   # an attribute another row has and this one lacks
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    for key, labels in _labels(layer, settings).items():
        out[f"{key}_label"] = labels.get(out.get(key), out.get(key))
    return out


def _features(frame, layer: str, settings) -> list[dict]:
    geoms = shapely.to_geojson(frame.geometry.to_numpy()) if len(frame) else []
    return [{"type": "Feature", "id": rec["ref"], "properties": properties_of(rec, layer, settings),
             "geometry": orjson.Fragment(g)} for rec, g in zip(frame.to_dict("records"), geoms)]


def layer_page(engine, settings, layer: str, q: dict, scope: str | None = None) -> dict:
    """Return {'features', 'returned', 'next_cursor'} for one page of frontages or places."""
    frame = _load(engine, layer, q, scope)
    keep = np.ones(len(frame), dtype=bool)
    for key in FILTERS[layer]:
        if q.get(key) is not None:
            keep &= (frame[key] == q[key]).to_numpy(dtype=bool)
    if q.get("cursor"):
        keep &= (frame["ref"] > q["cursor"]).to_numpy(dtype=bool)
    frame = frame[keep]
    page = frame.iloc[: q["limit"]]
    more = len(frame) > q["limit"]
    return {"features": _features(page, layer, settings), "returned": len(page),
            "next_cursor": page["ref"].iloc[-1] if more else None}


def layer_feature(engine, settings, layer: str, ref: str, scope: str | None = None) -> dict:
    """Return one frontage or place as a GeoJSON Feature (404 when unknown, or outside the caller's scope)."""
    frame = _load(engine, layer, {}, scope, refs=[ref])
    if not len(frame):
        raise NotFound(f"{layer[:-1]} {ref} is not in the register"
                       + (f" (or lies outside district {scope})" if scope else ""))
    return _features(frame, layer, settings)[0]


def layer_page_etag(engine, layer: str, query_string: bytes) -> str:
    """A weak ETag of a list: the layer's version, the grids' (which derive its grids) and today's date."""
    with session_scope(engine) as session:
        version, grids = layer_version(session, layer), repo.register_version(session)
    digest = hashlib.sha1(query_string).hexdigest()[:16]
    return f'W/"{layer[0]}{version}-r{grids}-{date.today().isoformat()}-{digest}"'
