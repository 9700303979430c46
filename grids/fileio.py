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

import codecs
import datetime as dt
import math
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import shapely

__all__ = [
    "FORMATS", "TABLE_FORMATS", "TEXT_COLUMNS", "SHP_FIELD_NAMES", "XLSX_CELL_LIMIT",
    "FileFormatError", "format_of", "read_vector", "write_vector", "read_table", "write_table",
    "escape_formula", "unescape_formula",
]

FORMATS = ("geojson", "gpkg", "shp", "csv", "xlsx")
TABLE_FORMATS = ("csv", "xlsx")
TEXT_COLUMNS = ("code", "community", "parent", "grid", "phone", "backup")

#: Long column names and the Shapefile (DBF) field names they are written as; reading a
#: Shapefile maps them back. The core columns of regions and grids (code, name, level,
#: parent, community, type, households, population, sign_lon, sign_lat, start_date,
#: end_date, version, area_m2) fit in 10 bytes and are written unchanged. Any other name
#: longer than 10 bytes in the DBF's encoding (e.g. ``负责人电话`` is 15 bytes in UTF-8) is
#: shortened to a unique prefix (``负责人``, ``负责人_1``, ``responsib_1`` ...) and the
#: pairs are written to ``<stem>.fields.json`` beside the ``.shp`` (inside the zip for a
#: zipped Shapefile), which :func:`read_vector` reads to restore the names.
SHP_FIELD_NAMES = {
    "required_cleaners": "req_clean",
    "cleaner_gap": "clean_gap",
    "households_uncovered": "hh_uncover",
    "backup_name": "backup_nm",
    "register_version": "reg_ver",
}
SHP_FIELDS_SUFFIX = ".fields.json"
DBF_NAME_BYTES = 10
DBF_TEXT_BYTES = 254
DBF_FLOAT_LIMIT = 1e21          # GDAL writes larger reals into a 24-character field badly
XLSX_CELL_LIMIT = 32767
XLSX_MAX_ROWS = 1_048_576
GEOJSON_DECIMALS = 7

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SUFFIXES = {".gpkg": "gpkg", ".shp": "shp", ".zip": "shp", ".csv": "csv", ".txt": "csv",
             ".xlsx": "xlsx", ".geojson": "geojson", ".json": "geojson"}
_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml", SHP_FIELDS_SUFFIX)
_ILLEGAL_XLSX = re.compile(r"[\000-\010\013\014\016-\037]")


class FileFormatError(ValueError):
    """A file that cannot be read or a frame that cannot be written in the format asked for."""


# ---- formula escaping -------------------------------------------------------------------------

def escape_formula(value):
    """Return ``value`` made safe for a spreadsheet cell.

    Text starting with ``= + - @``, tab or carriage return gets a leading ``'``. Text that
    already starts with ``'`` followed by one of those (or another ``'``) gets one too, so
    that :func:`unescape_formula` always gives the original back. Anything that is not a
    ``str`` (numbers, None) is returned unchanged.
    """
    if isinstance(value, str) and value and (value[0] in _FORMULA_START or unescape_formula(value) != value):
        return "'" + value
    return value


def unescape_formula(value):
    """Undo :func:`escape_formula`: drop a leading ``'`` that precedes a formula character or ``'``."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START + ("'",):
        return value[1:]
    return value


# ---- public API -------------------------------------------------------------------------------

def format_of(path) -> str:
    """Return the format name a file's suffix stands for, or raise :class:`FileFormatError`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xls":
        raise FileFormatError(f"{Path(path).name}: old Excel .xls files are not read; save it as .xlsx")
    try:
        return _SUFFIXES[suffix]
    except KeyError:
        raise FileFormatError(f"{Path(path).name}: unknown file type {suffix or '(no suffix)'!r}; "
                              "expected .gpkg, .shp, .zip (holding a Shapefile), .csv or .xlsx") from None


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
        table = _read_table(path, fmt, encoding, layer, text_columns)
        if "geometry" not in table.columns:
            raise FileFormatError(f"{path.name}: no 'geometry' column (WKT) found; "
                                  f"columns are {', '.join(map(str, table.columns))}")
        geoms = _from_wkt(table["geometry"], path.name)
        return gpd.GeoDataFrame(table.drop(columns="geometry"), geometry=geoms), None
    if fmt == "gpkg":
        frame = _read_ogr(path, str(path), layer, None, "GeoPackage")
    else:
        frame = _read_shapefile(path, encoding, layer)
    for column in frame.columns:
        if column != frame.geometry.name and frame[column].dtype == np.int32:
            frame[column] = frame[column].astype(np.int64)
    _text_columns(frame, text_columns)
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
    if encoding is not None and fmt not in ("shp", "csv") and _codec(encoding) != "utf-8":
        raise FileFormatError(f"{fmt} files are always UTF-8; encoding={encoding!r} applies to shp and csv only")
    frame = _with_crs(frame)
    if fmt == "geojson":
        _replace(path, lambda tmp: tmp.write_bytes(_geojson_bytes(frame, layer)))
    elif fmt == "gpkg":
        _replace(path, lambda tmp: _write_ogr(_ogr_ready(frame), tmp, "GPKG", layer=layer or path.stem))
    elif fmt == "shp":
        _write_shapefile(frame, path, encoding)
    else:
        write_table(frame, path, fmt, encoding=encoding, layer=layer)


def read_table(path, *, encoding: str | None = None, text_columns=TEXT_COLUMNS, layer: str | None = None):
    """Read a CSV or xlsx table (people, roles, code lists) into a DataFrame.

    Codes in ``text_columns`` stay text, formula escapes are undone, empty cells are
    missing values (only empty cells: the text ``NA`` stays ``'NA'``).
    """
    path = Path(path)
    fmt = format_of(path)
    if fmt not in TABLE_FORMATS:
        raise FileFormatError(f"{path.name}: tables are read from .csv or .xlsx files")
    if not path.is_file():
        raise FileFormatError(f"{path.name}: file not found")
    return _read_table(path, fmt, encoding, layer, text_columns)


def write_table(df, path, fmt, *, encoding: str | None = None, layer: str | None = None) -> None:
    """Write a DataFrame as CSV (UTF-8 with BOM) or xlsx with formula escaping.

    A geometry column (GeoDataFrame) is written as WKT in full precision.
    """
    path = Path(path)
    if fmt not in TABLE_FORMATS:
        raise FileFormatError(f"unknown table format {fmt!r}; formats: {', '.join(TABLE_FORMATS)}")
    columns, rows = _table_cells(df)
    if fmt == "csv":
        enc = encoding or "utf-8-sig"
        if _codec(enc) == "utf-8":
            enc = "utf-8-sig"
        out = pd.DataFrame(rows, columns=range(len(columns)), dtype=object)
        out.columns = columns
        _check_encodable(out, enc, "csv")
        _replace(path, lambda tmp: out.to_csv(tmp, index=False, encoding=enc, lineterminator="\r\n"))
    else:
        _replace(path, lambda tmp: _write_xlsx(columns, rows, tmp, layer or path.stem))


# ---- reading helpers --------------------------------------------------------------------------

_OGR_ERRORS = (RuntimeError, OSError, ValueError)   # pyogrio's errors are RuntimeErrors


def _short(exc) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 240 else text[:237] + "..."


def _read_ogr(path: Path, source: str, layer, encoding, kind: str):
    import pyogrio

    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(source)]
        if layer is None:
            if len(layers) != 1:
                raise FileFormatError(f"{path.name} holds {len(layers)} layers ({', '.join(layers) or 'none'}); "
                                      "say which one with layer=")
            layer = layers[0]
        elif layer not in layers:
            raise FileFormatError(f"{path.name} has no layer {layer!r}; layers: {', '.join(layers)}")
        return pyogrio.read_dataframe(source, layer=layer, encoding=encoding)
    except UnicodeDecodeError:
        raise FileFormatError(f"{path.name}: the attribute text is not {encoding}; "
                              "give the right encoding (e.g. encoding='gbk' for Chinese Shapefiles)") from None
    except FileFormatError:
        raise
    except _OGR_ERRORS as exc:
        raise FileFormatError(f"{path.name} is not a readable {kind} file ({_short(exc)})") from None


def _read_shapefile(path: Path, encoding, layer):
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX/")]
                if layer is not None:
                    shps = [n for n in shps if Path(n).stem == layer]
                if len(shps) != 1:
                    found = ", ".join(Path(n).stem for n in shps) or "none"
                    raise FileFormatError(f"{path.name} must hold exactly one Shapefile"
                                          f"{'' if layer is None else ' named ' + repr(layer)} (found: {found})")
                shp = shps[0]
                parts = {ext: _sibling_member(names, shp, ext) for ext in (".shx", ".dbf", ".cpg", SHP_FIELDS_SUFFIX)}
                _require_parts(path.name + ":" + shp, parts)
                dbf_head = zf.read(parts[".dbf"])[:32]
                side = {ext: zf.read(parts[ext]) if parts[ext] else None for ext in (".cpg", SHP_FIELDS_SUFFIX)}
        except zipfile.BadZipFile:
            raise FileFormatError(f"{path.name} is not a readable zip file") from None
        except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
            raise FileFormatError(f"{path.name}: cannot read the zip ({_short(exc)})") from None
        source = f"/vsizip/{path.resolve()}/{shp}"
    else:
        parts = {ext: _sibling_file(path, ext) for ext in (".shx", ".dbf", ".cpg", SHP_FIELDS_SUFFIX)}
        _require_parts(path.name, parts)
        with open(parts[".dbf"], "rb") as f:
            dbf_head = f.read(32)
        side = {ext: Path(parts[ext]).read_bytes() if parts[ext] else None for ext in (".cpg", SHP_FIELDS_SUFFIX)}
        source = str(path)
    if len(dbf_head) < 32:
        raise FileFormatError(f"{path.name}: the .dbf attribute table is not a dBASE file")
    if encoding is None and side[".cpg"] is None and dbf_head[29] == 0:
        # No .cpg and no language driver id: GDAL would decode as ISO-8859-1 and turn
        # Chinese into mojibake. Demand UTF-8 instead and say what to do if it is not.
        encoding = "UTF-8"
    elif encoding is not None:
        encoding = _codec_name(encoding)
    try:
        frame = _read_ogr(path, source, layer if path.suffix.lower() != ".zip" else None, encoding, "Shapefile")
    except FileFormatError as exc:
        if side[".cpg"] is None and "attribute text" in str(exc):
            raise FileFormatError(f"{path.name} has no .cpg file naming its text encoding and its text is not "
                                  f"{encoding}; Chinese Shapefiles without .cpg are usually GBK: "
                                  "give encoding='gbk'") from None
        raise
    names = _shp_names_back(side[SHP_FIELDS_SUFFIX], path.name)
    return frame.rename(columns={c: names[c] for c in frame.columns if c in names})


def _sibling_file(path: Path, ext: str):
    """The side file ``<stem><ext>`` (extension in lower or upper case, as GDAL looks for it)."""
    for candidate in (path.with_name(path.stem + ext), path.with_name(path.stem + ext.upper())):
        if candidate.is_file():
            return candidate
    return None


def _sibling_member(names, shp: str, ext: str):
    stem = shp[:-4]
    return next((n for n in (stem + ext, stem + ext.upper()) if n in names), None)


def _require_parts(name: str, parts: dict) -> None:
    missing = [ext for ext in (".shx", ".dbf") if not parts[ext]]
    if missing:
        raise FileFormatError(f"{name}: the Shapefile is incomplete, {' and '.join(missing)} missing "
                              "(a Shapefile needs its .shp, .shx and .dbf together; .prj and .cpg too)")


def _shp_names_back(raw: bytes | None, name: str) -> dict:
    if raw is None:
        return {short: long for long, short in SHP_FIELD_NAMES.items()}
    try:
        mapping = orjson.loads(raw)["fields"]
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise TypeError
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise FileFormatError(f"{name}: the {SHP_FIELDS_SUFFIX} field-name file is damaged; "
                              "delete it to read the Shapefile's short field names") from None
    return mapping


def _crs_string(crs) -> str | None:
    if crs is None:
        return None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _text_columns(frame, text_columns) -> None:
    for column in text_columns:
        if column in frame.columns and column != getattr(frame, "_geometry_column_name", None):
            frame[column] = pd.Series([_as_text(v) for v in frame[column]], index=frame.index)


def _as_text(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return str(value)


def _read_table(path: Path, fmt: str, encoding, layer, text_columns) -> pd.DataFrame:
    if fmt == "csv":
        table = _read_csv(path, encoding, text_columns)
    else:
        table = _read_xlsx(path, layer)
    table.columns = [unescape_formula(c) for c in table.columns]
    if len(set(table.columns)) != len(table.columns):
        raise FileFormatError(f"{path.name}: repeated column names in the header row")
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column].dtype):
            values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else unescape_formula(v)
                      for v in table[column]]
            table[column] = pd.Series(values, index=table.index)
    _text_columns(table, text_columns)
    return table


def _read_csv(path: Path, encoding, text_columns) -> pd.DataFrame:
    enc = encoding or "utf-8-sig"
    if _codec(enc) == "utf-8":
        enc = "utf-8-sig"
    try:
        with open(path, encoding=enc, newline="") as f:
            table = pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
    except LookupError:
        raise FileFormatError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError:
        raise FileFormatError(f"{path.name} is not {enc.replace('-sig', '')} text; give the right encoding "
                              "(e.g. encoding='gbk' for a CSV saved by Chinese Excel)") from None
    except pd.errors.EmptyDataError:
        raise FileFormatError(f"{path.name} is empty: no header row") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise FileFormatError(f"{path.name} is not a readable CSV file ({_short(exc)})") from None
    for column in table.columns:
        if unescape_formula(column) not in text_columns:
            table[column] = _csv_numbers(table[column])
    return table


_LEADING_ZERO = re.compile(r"^\s*[+-]?0\d")


def _csv_numbers(column: pd.Series) -> pd.Series:
    """Numbers and booleans of a CSV text column, if every cell is one; text otherwise.

    Text like '0772' (leading zero) stays text, as does anything not all-numeric.
    """
    present = column.dropna()
    if present.empty:
        return column
    if present.isin(["True", "False"]).all():
        return column.map({"True": True, "False": False})
    if present.str.match(_LEADING_ZERO).any():
        return column
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def _read_xlsx(path: Path, sheet) -> pd.DataFrame:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on damaged zips/XML
        raise FileFormatError(f"{path.name} is not a readable xlsx workbook ({_short(exc) or type(exc).__name__})") \
            from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise FileFormatError(f"{path.name} has no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    except FileFormatError:
        raise
    except Exception as exc:
        raise FileFormatError(f"{path.name} is not a readable xlsx workbook ({_short(exc) or type(exc).__name__})") \
            from None
    finally:
        wb.close()
    rows = [r for r in rows if any(v is not None and v != "" for v in r)]
    if not rows:
        raise FileFormatError(f"{path.name}: the sheet is empty, no header row")
    header = rows[0]
    width = max(i + 1 for r in rows for i, v in enumerate(r) if v is not None and v != "")
    header = header + [None] * (width - len(header))
    if any(h is None or h == "" for h in header[:width]):
        raise FileFormatError(f"{path.name}: the header row has an empty cell above data")
    columns = [str(h) for h in header[:width]]
    body = [[_xlsx_value(v) for v in (r + [None] * width)[:width]] for r in rows[1:]]
    return pd.DataFrame({c: pd.Series([r[i] for r in body], dtype=None if body else object)
                         for i, c in enumerate(columns)} if columns else {})


def _xlsx_value(value):
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return None if value == "" else value


def _from_wkt(column, name: str):
    text = np.array([None if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""
                     else str(v) for v in column], dtype=object)
    geoms = shapely.from_wkt(text, on_invalid="ignore")
    bad = np.flatnonzero(pd.notna(text) & pd.isna(geoms))
    if len(bad):
        rows = ", ".join(str(i + 2) for i in bad[:5])
        raise FileFormatError(f"{name}: the geometry in row {rows}{' ...' if len(bad) > 5 else ''} is not valid WKT")
    return geoms


# ---- writing helpers --------------------------------------------------------------------------

def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise FileFormatError(f"unknown encoding {encoding!r}") from None


def _codec_name(encoding: str) -> str:
    """The name GDAL/iconv and the .cpg get: 'UTF-8', 'GBK', ..."""
    name = _codec(encoding)
    return {"utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030", "gb2312": "GB2312", "big5": "BIG5"}.get(
        name, encoding.upper())


def _with_crs(frame):
    import geopandas as gpd

    if not isinstance(frame, gpd.GeoDataFrame):
        raise FileFormatError("write_vector needs a GeoDataFrame; use write_table for plain tables")
    if frame.crs is None:
        return frame.set_crs("EPSG:4326")
    return frame


def _replace(path: Path, write) -> None:
    """Write through a temporary file beside ``path`` and move it in place only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=".sanigrid-", dir=path.parent))
    try:
        tmp = tmpdir / path.name
        write(tmp)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _plain(value):
    """A Python value JSON, DBF and spreadsheets understand (None for missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def _attribute_columns(frame):
    geom = getattr(frame, "_geometry_column_name", None)
    return [c for c in frame.columns if c != geom]


def _column_values(frame, column) -> list:
    series = frame[column]
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return [None if pd.isna(v) else v.isoformat() for v in series]
    values = [_plain(v) for v in series.astype(object)]
    if column in TEXT_COLUMNS:
        values = [_as_text(v) for v in values]
    return values


def _ogr_ready(frame, *, text_bytes=None):
    """A copy pyogrio writes faithfully: plain dtypes, text for odd objects, codes as text."""
    import geopandas as gpd

    out = {}
    for column in _attribute_columns(frame):
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series.dtype) or series.dtype == object or column in TEXT_COLUMNS:
            values = _column_values(frame, column)
            kinds = {type(v) for v in values if v is not None}
            if kinds and kinds <= {int, float, bool} and column not in TEXT_COLUMNS:
                series = pd.Series(values, index=frame.index, dtype=object).infer_objects()
                if series.dtype == object:      # bools mixed with numbers
                    series = pd.Series([None if v is None else float(v) for v in values], index=frame.index)
            else:
                values = [v if v is None or isinstance(v, str) else
                          orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY).decode() if isinstance(v, (dict, list))
                          else str(v) for v in values]
                series = pd.Series(values, index=frame.index)
        out[str(column)] = series
    return gpd.GeoDataFrame(pd.DataFrame(out, index=frame.index), geometry=frame.geometry.values, crs=frame.crs)


def _write_ogr(frame, path: Path, driver: str, *, layer: str | None = None, encoding: str | None = None) -> None:
    import pyogrio

    try:
        pyogrio.write_dataframe(frame, path, driver=driver, layer=layer, encoding=encoding)
    except _OGR_ERRORS as exc:
        what = "GeoPackage" if driver == "GPKG" else "Shapefile"
        raise FileFormatError(f"cannot write this layer as a {what} ({_short(exc)})") from None


def _write_shapefile(frame, path: Path, encoding) -> None:
    enc = _codec_name(encoding or "UTF-8")
    codec = _codec(enc)
    zipped = path.suffix.lower() == ".zip"
    if not zipped and path.suffix.lower() != ".shp":
        raise FileFormatError(f"{path.name}: a Shapefile is written to a .shp or .zip path")
    kinds = set(shapely.get_type_id(np.asarray(frame.geometry.values, dtype=object))) - {-1}
    families = {{0: "point", 4: "point", 1: "line", 5: "line", 2: "line", 3: "polygon", 6: "polygon"}.get(k, "other")
                for k in kinds}
    if len(families) > 1 or "other" in families:
        raise FileFormatError("a Shapefile holds one kind of geometry (points, lines or polygons); "
                              "this layer mixes them or has collections: use gpkg")
    out = _ogr_ready(frame)
    names = _shp_field_names(_attribute_columns(out), codec)
    _check_dbf_values(out, codec, enc)
    out = out.rename(columns=names)
    stem = path.stem
    tmpdir = Path(tempfile.mkdtemp(prefix=".sanigrid-", dir=_mkdir(path.parent)))
    try:
        _write_ogr(out, tmpdir / f"{stem}.shp", "ESRI Shapefile", encoding=None if enc == "UTF-8" else enc)
        renamed = {short: long for long, short in names.items() if short != long}
        if renamed:
            (tmpdir / f"{stem}{SHP_FIELDS_SUFFIX}").write_bytes(
                orjson.dumps({"note": "Shapefile field name -> column name (written by sanigrid)",
                              "fields": renamed}, option=orjson.OPT_INDENT_2))
        written = sorted(p for p in tmpdir.iterdir() if p.is_file())
        if zipped:
            tmpzip = tmpdir / (path.name + ".part")
            with zipfile.ZipFile(tmpzip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                for p in written:
                    zf.write(p, p.name)
            os.replace(tmpzip, path)
        else:
            for ext in _SHP_PARTS:       # stale side files of an earlier export must not linger
                old = _sibling_file(path, ext)
                if old is not None:
                    old.unlink()
            for p in written:
                os.replace(p, path.parent / p.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _mkdir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shp_field_names(columns, codec: str) -> dict:
    """Map column names to unique DBF field names of at most 10 bytes (see SHP_FIELD_NAMES)."""
    def size(name):
        try:
            return len(name.encode(codec))
        except UnicodeEncodeError:
            raise FileFormatError(f"column name {name!r} cannot be written in {codec}; use UTF-8") from None

    def prefix(name, limit):
        while size(name) > limit:
            name = name[:-1]
        return name

    names, taken = {}, set()
    fixed = [c for c in columns if size(c) <= DBF_NAME_BYTES or c in SHP_FIELD_NAMES]
    for column in fixed:                # names that fit (or have a fixed short form) first
        short = SHP_FIELD_NAMES.get(column, column) if size(column) > DBF_NAME_BYTES else column
        if short.lower() in taken:
            raise FileFormatError(f"columns {column!r} and another both become the Shapefile field {short!r}; "
                                  "rename one or use gpkg")
        names[column] = short
        taken.add(short.lower())
    for column in columns:
        if column in names:
            continue
        short, n = prefix(column, DBF_NAME_BYTES), 0
        while short.lower() in taken or not short:
            n += 1
            tail = f"_{n}"
            short = prefix(column, DBF_NAME_BYTES - len(tail)) + tail
        names[column] = short
        taken.add(short.lower())
    return names


def _check_dbf_values(frame, codec: str, enc: str) -> None:
    for column in _attribute_columns(frame):
        series = frame[column]
        if pd.api.types.is_float_dtype(series.dtype):
            values = series.to_numpy(dtype=float)
            bad = ~np.isnan(values) & ~(np.abs(values) < DBF_FLOAT_LIMIT)
            if bad.any():
                raise FileFormatError(f"column {column!r} holds {values[bad][0]!r}, beyond what a DBF number "
                                      "field holds; use gpkg")
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            for value in series:
                if not isinstance(value, str):
                    continue
                try:
                    size = len(value.encode(codec))
                except UnicodeEncodeError:
                    raise FileFormatError(f"column {column!r}: {value[:40]!r} has characters {enc} cannot hold; "
                                          "write the Shapefile in UTF-8 (the default) or use gpkg") from None
                if size > DBF_TEXT_BYTES:
                    raise FileFormatError(f"column {column!r}: a text of {size} bytes does not fit a Shapefile's "
                                          f"{DBF_TEXT_BYTES}-byte DBF field and would be cut; use gpkg")


def _geojson_bytes(frame, layer) -> bytes:
    crs = frame.crs
    if not (crs.equals("EPSG:4326") or crs.to_epsg() == 4490):     # CGCS2000 is WGS 84 at this scale
        frame = frame.to_crs("EPSG:4326")
    geoms = np.asarray(frame.geometry.values, dtype=object)
    present = pd.notna(geoms)
    geoms = geoms.copy()
    if present.any():
        rounded = shapely.transform(geoms[present], lambda c: np.round(c, GEOJSON_DECIMALS), include_z=None)
        geoms[present] = shapely.orient_polygons(rounded, exterior_cw=False)
    columns = _attribute_columns(frame)
    values = {c: _column_values(frame, c) for c in columns}
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


def _json_default(value):
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _table_cells(df):
    """Header and rows of plain, formula-escaped cells; geometry as full-precision WKT."""
    geom = getattr(df, "_geometry_column_name", None)
    columns, cells = [], []
    for column in df.columns:
        if column == geom or isinstance(df[column].dtype, _geometry_dtype()):
            geoms = np.asarray(df[column].values, dtype=object)
            values = [None if g is None else w for g, w in zip(geoms, shapely.to_wkt(
                geoms, rounding_precision=-1, trim=True))]
        else:
            values = [escape_formula(v if not isinstance(v, (dict, list)) else
                                     orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY).decode())
                      for v in _column_values(df, column)]
        columns.append(escape_formula(str(column)))
        cells.append(values)
    return columns, [list(r) for r in zip(*cells)] if cells else []


def _geometry_dtype():
    from geopandas.array import GeometryDtype

    return GeometryDtype


def _check_encodable(table: pd.DataFrame, enc: str, what: str) -> None:
    if _codec(enc) == "utf-8":
        return
    for column in table.columns:
        for value in [column, *table[column]]:
            if isinstance(value, str):
                try:
                    value.encode(enc)
                except UnicodeEncodeError:
                    raise FileFormatError(f"{value[:40]!r} has characters {enc} cannot hold; write the {what} in "
                                          "UTF-8 (the default)") from None


def _write_xlsx(columns, rows, path: Path, sheet: str) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if len(rows) + 1 > XLSX_MAX_ROWS:
        raise FileFormatError(f"{len(rows):,} rows do not fit an Excel sheet ({XLSX_MAX_ROWS - 1:,} at most); "
                              "use csv or gpkg")
    for r, row in enumerate([columns, *rows]):
        for c, value in enumerate(row):
            if isinstance(value, str):
                if len(value) > XLSX_CELL_LIMIT:
                    what = "geometry" if columns[c] == "geometry" else f"column {columns[c]!r}"
                    raise FileFormatError(f"row {r + 1}: the {what} has {len(value):,} characters, more than an "
                                          f"Excel cell holds ({XLSX_CELL_LIMIT:,}); export as gpkg instead")
                if _ILLEGAL_XLSX.search(value):
                    raise FileFormatError(f"row {r + 1}, column {columns[c]!r}: control characters cannot be "
                                          "stored in an xlsx cell; use csv or gpkg")
            elif isinstance(value, float) and math.isinf(value):
                raise FileFormatError(f"row {r + 1}, column {columns[c]!r}: Excel cannot hold {value}")
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(sheet))
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)


def _sheet_title(name: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'")[:31]
    return title or "Sheet1"
