"""Who is responsible at a point besides the grid: the frontage unit (门前三包) and the key place there.

``locate`` asks this for every point, so each layer keeps an in-process
:class:`grids.locate.ResponsibleIndex` (an STRtree in the metric CRS of the data) built once per
layer version; one query of both versions per call tells whether it is still current (a write of
frontages or places bumps its layer's version, on any process). A frontage answers when its zone
holds the point or its front line lies within 5 m; a place when its polygon holds the point.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyproj
import shapely
from sqlalchemy import select

from grids.crs import CRSError, metric_crs_for, to_metric
from grids.frontages import STATUSES, UNIT_KINDS, effective_status
from grids.locate import ResponsibleIndex
from grids.places import PLACE_KINDS

from .cache import VersionCache
from .db import fetch_raw, session_scope
from .schema import Frontage, Place

__all__ = ["responsible_at", "FRONT_REACH_M"]

FRONT_REACH_M = 5.0   # a point this close to a frontage's front line is in its care (the pavement before it)
_VERSIONS_SQL = "SELECT key, value FROM meta WHERE key IN ('frontages_version', 'places_version')"
_FIELDS = {
    "frontages": ("ref", "unit_name", "unit_kind", "contact", "phone", "address", "liable", "item_set", "items",
                  "signed_on", "expires_on", "status", "road"),
    "places": ("ref", "kind", "name", "operator", "contact", "phone", "address", "licence_no", "licence_expires",
               "health_certs", "staff"),
}
_MODELS = {"frontages": Frontage, "places": Place}
_indexes = VersionCache("frontage and place responsibility indexes")


@dataclass(frozen=True)
class _LayerIndex:
    index: ResponsibleIndex
    to_metric: pyproj.Transformer | None
    answers: list


def _build(engine, layer: str) -> _LayerIndex:
    model = _MODELS[layer]
    with session_scope(engine) as session:
        rows = session.execute(select(*(getattr(model, f) for f in _FIELDS[layer]), model.geom)).all()
    if not rows:
        return _LayerIndex(ResponsibleIndex([]), None, [])
    geoms = shapely.from_wkb([r[-1] for r in rows])
    try:
        metric = metric_crs_for(geoms)
    except CRSError:   # outside the CGCS2000 zones (73.5–136.5°E): no frontage can be measured there
        return _LayerIndex(ResponsibleIndex([]), None, [])
    answers = [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in zip(_FIELDS[layer], r[:-1])}
               for r in rows]
    return _LayerIndex(ResponsibleIndex(to_metric(geoms, metric)),
                       pyproj.Transformer.from_crs("EPSG:4326", metric, always_xy=True), answers)


def _versions(engine) -> dict:
    return {key.split("_")[0]: int(value or 0) for key, value in fetch_raw(engine, _VERSIONS_SQL, plan_once=True)}


def _answer(layer: str, entry: dict, distance: float, today) -> dict:
    if layer == "frontages":
        status = effective_status(entry["status"], entry["expires_on"], today)
        return {**entry, "unit_kind_label": UNIT_KINDS.get(entry["unit_kind"]), "effective_status": status,
                "effective_status_label": STATUSES.get(status), "distance_m": round(distance, 2)}
    return {**entry, "kind_label": PLACE_KINDS.get(entry["kind"], entry["kind"])}


def responsible_at(engine, lon: float, lat: float, today=None) -> dict:
    """Return {"frontage": the unit answering for the point or None, "place": the place holding it or None}."""
    versions = _versions(engine)
    out = {}
    for layer, key, reach in (("frontages", "frontage", FRONT_REACH_M), ("places", "place", 0.0)):
        kept = _indexes.get(engine, versions.get(layer, 0), lambda layer=layer: _build(engine, layer), key=(layer,))
        found = None
        if kept.to_metric is not None:
            x, y = kept.to_metric.transform(lon, lat)
            found = kept.index.responsible(float(x), float(y), reach) if np.isfinite([x, y]).all() else None
        out[key] = None if found is None else _answer(layer, kept.answers[found[0]], found[1], today or date.today())
    return out
