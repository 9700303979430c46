"""Frames to GeoJSON features: the export's cells (``column_values``) and RFC 7946 geometry step,
then the requested CRS in its axis order. Geometries stay JSON text (orjson fragments): a
2,000-grid page is never turned into nested Python lists."""
from __future__ import annotations

import orjson
import shapely

from grids.fileio.cells import attribute_columns, column_values

from .crs import output_geometries

__all__ = ["features_of", "plain"]


def features_of(frame, id_column: str, crs: str) -> list[dict]:
    """Return the frame's rows as GeoJSON Feature dicts with ``id`` from ``id_column``."""
    ids = [str(v) for v in frame[id_column]]
    written = frame.drop(columns=[id_column]) if id_column == "id" else frame
    columns = attribute_columns(written)
    values = {c: column_values(written, c) for c in columns}
    texts = shapely.to_geojson(output_geometries(frame.geometry.values, crs)) if len(frame) else []
    return [{"type": "Feature", "id": fid, "properties": {str(c): values[c][i] for c in columns},
             "geometry": None if text is None else orjson.Fragment(text)}
            for i, (fid, text) in enumerate(zip(ids, texts))]


def plain(doc: dict) -> dict:
    """Return ``doc`` with its JSON fragments parsed (for templates, which read geometries)."""
    return orjson.loads(orjson.dumps(doc))
