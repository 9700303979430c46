"""CSV and xlsx tables: formula escaping, codes kept as text, WKT geometry, Excel's limits."""
from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import shapely

from .cells import codes_as_text, column_values
from .formats import (TABLE_FORMATS, TEXT_COLUMNS, FileFormatError, format_of, lookup_codec, replace_file,
                      short_error)

XLSX_CELL_LIMIT = 32767
XLSX_MAX_ROWS = 1_048_576

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XLSX = re.compile(r"[\000-\010\013\014\016-\037]")


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
    return read_table_file(path, fmt, encoding, layer, text_columns)


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
        if lookup_codec(enc) == "utf-8":
            enc = "utf-8-sig"
        out = pd.DataFrame(rows, columns=range(len(columns)), dtype=object)
        out.columns = columns
        _check_encodable(out, enc, "csv")
        replace_file(path, lambda tmp: out.to_csv(tmp, index=False, encoding=enc, lineterminator="\r\n"))
    else:
        replace_file(path, lambda tmp: _write_xlsx(columns, rows, tmp, layer or path.stem))


def read_table_file(path: Path, fmt: str, encoding, layer, text_columns) -> pd.DataFrame:
    """Read a CSV or xlsx table: unescape formulas, keep codes as text, empty cells missing."""
    if fmt == "csv":
        table = _read_csv(path, encoding, text_columns)
    else:
        table = _read_xlsx(path, layer)
    table.columns = [unescape_formula(c) for c in table.columns]
    if len(set(table.columns)) != len(table.columns):
        raise FileFormatError(f"{path.name}: repeated column names in the header row")
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column].dtype):
            table[column] = _unescaped(table[column])
    codes_as_text(table, text_columns)
    return table


def _unescaped(column: pd.Series) -> pd.Series:
    """A text column with formula escapes undone; only cells starting with ' are touched.

    A column of Arrow strings stays one (missing cells NaN): going through Python objects and back
    cost 0.2 s on 180,000 rows. Other columns come back as objects with missing cells None.
    """
    if pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
        quoted = np.flatnonzero(column.str.startswith("'").fillna(False).to_numpy(dtype=bool))
        if len(quoted):
            column = column.copy()
            column.iloc[quoted] = [unescape_formula(v) for v in column.iloc[quoted].tolist()]
        return column
    values = column.to_numpy(dtype=object, na_value=None, copy=True)
    quoted = np.flatnonzero([isinstance(v, str) and v[:1] == "'" for v in values])
    values[[i for i, v in enumerate(values) if isinstance(v, float) and math.isnan(v)]] = None
    values[quoted] = [unescape_formula(v) for v in values[quoted]]
    return pd.Series(values, index=column.index)


def _read_csv(path: Path, encoding, text_columns) -> pd.DataFrame:
    enc = encoding or "utf-8-sig"
    if lookup_codec(enc) == "utf-8":
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
        raise FileFormatError(f"{path.name} is not a readable CSV file ({short_error(exc)})") from None
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
    if present.iloc[0] not in ("True", "False") and not _is_number(present.iloc[:1]):
        return column  # one cell of text makes the column text: names and roles skip the whole-column passes
    if present.isin(["True", "False"]).all():
        return column.map({"True": True, "False": False})
    if present.str.match(_LEADING_ZERO).any():
        return column
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def _is_number(cells: pd.Series) -> bool:
    """Whether ``pd.to_numeric`` reads the cells (the parser the whole column goes through)."""
    try:
        pd.to_numeric(cells)
    except (ValueError, TypeError):
        return False
    return True


def _read_xlsx(path: Path, sheet) -> pd.DataFrame:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on damaged zips/XML
        raise _unreadable_xlsx(path, exc) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise FileFormatError(f"{path.name} has no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    except FileFormatError:
        raise
    except Exception as exc:
        raise _unreadable_xlsx(path, exc) from None
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


def _unreadable_xlsx(path: Path, exc: Exception) -> FileFormatError:
    return FileFormatError(f"{path.name} is not a readable xlsx workbook ({short_error(exc) or type(exc).__name__})")


def _xlsx_value(value):
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return None if value == "" else value


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
                      for v in column_values(df, column)]
        columns.append(escape_formula(str(column)))
        cells.append(values)
    return columns, [list(r) for r in zip(*cells)] if cells else []


def _geometry_dtype():
    from geopandas.array import GeometryDtype

    return GeometryDtype


def _check_encodable(table: pd.DataFrame, enc: str, what: str) -> None:
    if lookup_codec(enc) == "utf-8":
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
