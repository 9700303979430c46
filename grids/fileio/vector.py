"""Read and write whole layers: pick the format from the suffix or argument and hand over."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from .cells import codes_as_text
from .formats import FORMATS, TABLE_FORMATS, TEXT_COLUMNS, FileFormatError, format_of, lookup_codec, replace_file
from .geojson_out import geojson_bytes
from .ogr import ogr_ready, read_ogr, write_ogr
from .shapefile import read_shapefile, write_shapefile
from .tables import read_table_file, write_table


def read_vector(path, *, encoding: str | None = None, layer: str | None = None, text_columns=TEXT_COLUMNS):
    """Read a GeoPackage, Shapefile (``.shp`` or a ``.zip`` holding one), CSV or xlsx layer.

    CSV and xlsx carry the geometry as WKT in a ``geometry`` column. Returns ``(frame, crs)``
    where ``crs`` is the file's CRS as a string (``'EPSG:4490'``, or WKT when it has no EPSG
    code) or None when the file has none (always None for CSV and xlsx). Coordinates are
    not transformed. Columns named in ``text_columns`` are read as text. ``encoding`` is
    the DBF text encoding of a Shapefile (otherwise its ``.cpg`` decides; a Shapefile with
    neither must be UTF-8) or the encoding of a CSV (default UTF-8, BOM or not).
    Unreadable or corrupt files raise :class:`FileFormatError`.
    """
    import geopandas as gpd

    path = Path(path)
    fmt = format_of(path)
    if fmt == "geojson":
        raise FileFormatError(f"{path.name}: read GeoJSON with grids.geojson_.read_geojson_file")
    if not path.is_file():
        raise FileFormatError(f"{path.name}: file not found")
    if fmt in TABLE_FORMATS:
        table = read_table_file(path, fmt, encoding, layer, text_columns)
        if "geometry" not in table.columns:
            raise FileFormatError(f"{path.name}: no 'geometry' column (WKT) found; "
                                  f"columns are {', '.join(map(str, table.columns))}")
        geoms = geometries_from_wkt(table["geometry"], path.name)
        return gpd.GeoDataFrame(table.drop(columns="geometry"), geometry=geoms), None
    if fmt == "gpkg":
        frame = read_ogr(path, str(path), layer, None, "GeoPackage")
    else:
        frame = read_shapefile(path, encoding, layer)
    for column in frame.columns:
        if column != frame.geometry.name and frame[column].dtype == np.int32:
            frame[column] = frame[column].astype(np.int64)
    codes_as_text(frame, text_columns)
    return frame, _crs_string(frame.crs)


def write_vector(frame, path, fmt, *, encoding: str | None = None, layer: str | None = None) -> None:
    """Write a layer frame to ``path`` as ``fmt`` (one of :data:`FORMATS`), replacing the file.

    ``encoding`` is the Shapefile DBF encoding (UTF-8 by default, e.g. ``'gbk'`` for old GIS
    software) or the CSV encoding (UTF-8 with BOM by default); other formats are UTF-8 only.
    ``layer`` names the GeoPackage layer or xlsx sheet (default: the file's stem). A frame
    without a CRS is taken to be EPSG:4326. Anything the format cannot hold faithfully
    raises :class:`FileFormatError` and leaves no file behind.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise FileFormatError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    if encoding is not None and fmt not in ("shp", "csv") and lookup_codec(encoding) != "utf-8":
        raise FileFormatError(f"{fmt} files are always UTF-8; encoding={encoding!r} applies to shp and csv only")
    frame = _with_crs(frame)
    if fmt == "geojson":
        replace_file(path, lambda tmp: tmp.write_bytes(geojson_bytes(frame, layer)))
    elif fmt == "gpkg":
        replace_file(path, lambda tmp: write_ogr(ogr_ready(frame), tmp, "GPKG", layer=layer or path.stem))
    elif fmt == "shp":
        write_shapefile(frame, path, encoding)
    else:
        write_table(frame, path, fmt, encoding=encoding, layer=layer)


def _with_crs(frame):
    import geopandas as gpd

    if not isinstance(frame, gpd.GeoDataFrame):
        raise FileFormatError("write_vector needs a GeoDataFrame; use write_table for plain tables")
    if frame.crs is None:
        return frame.set_crs("EPSG:4326")
    return frame


def _crs_string(crs) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def geometries_from_wkt(column, name: str):
    """Geometries of a table's WKT ``geometry`` column (blank cells None); bad WKT refuses the file, naming rows."""
    text = np.array([None if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""
                     else str(v) for v in column], dtype=object)
    geoms = shapely.from_wkt(text, on_invalid="ignore")
    bad = np.flatnonzero(pd.notna(text) & pd.isna(geoms))
    if len(bad):
        rows = ", ".join(str(i + 2) for i in bad[:5])
        raise FileFormatError(f"{name}: the geometry in row {rows}{' ...' if len(bad) > 5 else ''} is not valid WKT")
    return geoms
