"""Strict GeoJSON (RFC 7946) reading: refuse what GDAL would accept silently.

GDAL reads about half of the structurally invalid GeoJSON fixtures without a word,
so files are checked here before anything is trusted: the JSON itself (orjson, which
refuses NaN, Infinity, numbers overflowing to infinity, invalid UTF-8 and truncated
text), the object structure, the nesting of coordinates, and the rings (closed, at
least four positions; an unclosed ring is never closed silently). Winding order is not
checked: RFC 7946 says parsers must not reject on it. Longitude/latitude ranges and
OGC validity are checked later (:mod:`grids.validation`), after any CRS conversion.

Problems that stop the whole document raise :class:`GeoJSONError`; problems of single
features are collected in :attr:`ParsedFeatures.problems` so that one import run can
list them all. Geometries are built in bulk from ragged coordinate arrays, so 20,000
polygons take well under a second once parsed.
"""
from __future__ import annotations

from .document import parse_geojson_bytes, read_geojson_file
from .model import GEOMETRY_TYPES, GeoJSONError, ParsedFeatures

__all__ = ["GeoJSONError", "ParsedFeatures", "parse_geojson_bytes", "read_geojson_file", "GEOMETRY_TYPES"]
