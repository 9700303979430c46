"""File I/O edge of the domain: GeoPackage, Shapefile, CSV and xlsx in; those and GeoJSON out.

Layer frames are GeoDataFrames whose codes (``code``, ``community``, ``parent`` ...) are
text in every format: a 15-digit grid code never becomes a number. GeoJSON *reading*
lives in :mod:`grids.geojson_` (strict parser); this module writes GeoJSON.

Formats
-------
``geojson``  RFC 7946: FeatureCollection in EPSG:4326, exterior rings counter-clockwise and
             holes clockwise, coordinates rounded to 7 decimals (about 1 cm), no ``crs``
             member, UTF-8 with Chinese left readable (orjson).
``gpkg``     GeoPackage via pyogrio; one layer (``layer``, default the file's stem). Mixed
             Polygon/MultiPolygon layers are written as MultiPolygon.
``shp``      Shapefile via pyogrio; DBF text in UTF-8 (``.cpg`` says ``UTF-8``) or, with
             ``encoding='gbk'``, GBK (``.cpg`` says ``GBK``). A ``.zip`` path writes the
             files into one zip. DBF field names hold at most 10 bytes: see
             :data:`SHP_FIELD_NAMES` and the ``<stem>.fields.json`` side file.
             DBF limits: text at most 254 bytes (longer refuses: use gpkg), floats keep
             about 15 significant digits.
``csv``      UTF-8 with BOM (Excel opens Chinese correctly), geometry as WKT in ``geometry``.
``xlsx``     one sheet, frozen bold header row, geometry as WKT; a cell longer than Excel's
             32,767 characters is refused (use gpkg), never truncated.

Spreadsheet safety: in csv and xlsx, text cells starting with ``= + - @``, tab or carriage
return get a leading ``'`` so a spreadsheet never runs them as formulas
(:func:`escape_formula`); reading csv/xlsx removes exactly that quote
(:func:`unescape_formula`), so import -> export -> import is lossless. Numbers are never
escaped.
"""
from __future__ import annotations

from .formats import FORMATS, TABLE_FORMATS, TEXT_COLUMNS, FileFormatError, format_of
from .geojson_out import GEOJSON_DECIMALS  # noqa: F401  (module-level constants stay importable)
from .shapefile import (DBF_FLOAT_LIMIT, DBF_NAME_BYTES, DBF_TEXT_BYTES, SHP_FIELD_NAMES,  # noqa: F401
                        SHP_FIELDS_SUFFIX)
from .tables import (XLSX_CELL_LIMIT, XLSX_MAX_ROWS, escape_formula, read_table, unescape_formula,  # noqa: F401
                     write_table)
from .vector import geometries_from_wkt, read_vector, write_vector

__all__ = [
    "FORMATS", "TABLE_FORMATS", "TEXT_COLUMNS", "SHP_FIELD_NAMES", "XLSX_CELL_LIMIT",
    "FileFormatError", "format_of", "geometries_from_wkt", "read_vector", "write_vector", "read_table", "write_table",
    "escape_formula", "unescape_formula",
]
