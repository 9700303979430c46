"""Frames to GeoJSON features: the export's RFC 7946 writer for properties and CRS84 geometry,
the requested CRS (in its axis order) otherwise."""
from __future__ import annotations

import orjson
import shapely

from grids.fileio.geojson_out import geojson_bytes

from .crs import CRS84, output_geometries

__all__ = ["features_of"]


def features_of(frame, id_column: str, crs: str) -> list[dict]:
    """Return the frame's rows as GeoJSON Feature dicts with ``id`` from ``id_column``."""
    ids = [str(v) for v in frame[id_column]]
    written = frame.drop(columns=[id_column]) if id_column == "id" else frame
    features = orjson.loads(geojson_bytes(written, None))["features"]
    if crs != CRS84:
        for feature, geom in zip(features, output_geometries(frame.geometry.values, crs)):
            feature["geometry"] = None if geom is None else shapely.geometry.mapping(geom)
    return [{"type": "Feature", "id": fid, "properties": f["properties"], "geometry": f["geometry"]}
            for fid, f in zip(ids, features)]
