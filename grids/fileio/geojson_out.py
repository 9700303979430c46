"""Write RFC 7946 GeoJSON: EPSG:4326, counter-clockwise exteriors, 7 decimals, readable UTF-8."""
from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import shapely

from .cells import attribute_columns, column_values

GEOJSON_DECIMALS = 7


def geojson_bytes(frame, layer) -> bytes:
    """The frame as RFC 7946 GeoJSON bytes (EPSG:4326, CCW exteriors, 7 decimals)."""
    crs = frame.crs
    if not (crs.equals("EPSG:4326") or crs.to_epsg() == 4490):     # CGCS2000 is WGS 84 at this scale
        frame = frame.to_crs("EPSG:4326")
    geoms = rfc7946_geometries(frame.geometry.values)
    columns = attribute_columns(frame)
    values = {c: column_values(frame, c) for c in columns}
    features = []
    for i, geom in enumerate(geoms):
        features.append({
            "type": "Feature",
            "properties": {str(c): values[c][i] for c in columns},
            "geometry": None if geom is None else shapely.geometry.mapping(geom),
        })
    collection = {"type": "FeatureCollection"}
    if layer:
        collection["name"] = layer
    collection["features"] = features
    return orjson.dumps(collection, default=_json_default,
                        option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE)


def rfc7946_geometries(geoms) -> np.ndarray:
    """Lon/lat geometries rounded to 7 decimals with counter-clockwise exteriors (None kept)."""
    geoms = np.array(geoms, dtype=object)
    present = pd.notna(geoms)
    if present.any():
        rounded = shapely.transform(geoms[present], lambda c: np.round(c, GEOJSON_DECIMALS), include_z=None)
        geoms[present] = shapely.orient_polygons(rounded, exterior_cw=False)
    return geoms


def _json_default(value):
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
