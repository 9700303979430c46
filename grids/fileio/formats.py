"""Format names and suffixes, the one error type, text encodings and atomic file replacement."""
from __future__ import annotations

import codecs
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import DomainError

FORMATS = ("geojson", "gpkg", "shp", "csv", "xlsx")
TABLE_FORMATS = ("csv", "xlsx")
TEXT_COLUMNS = ("code", "community", "parent", "grid", "phone", "backup", "ref", "credit_code", "licence_no")

_SUFFIXES = {".gpkg": "gpkg", ".shp": "shp", ".zip": "shp", ".csv": "csv", ".txt": "csv",
             ".xlsx": "xlsx", ".geojson": "geojson", ".json": "geojson"}


class FileFormatError(DomainError):
    """A file that cannot be read or a frame that cannot be written in the format asked for."""


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


def lookup_codec(encoding: str) -> str:
    """The codec's canonical Python name ('utf-8', 'gbk', ...), or FileFormatError."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise FileFormatError(f"unknown encoding {encoding!r}") from None


def codec_name(encoding: str) -> str:
    """The name GDAL/iconv and the .cpg get: 'UTF-8', 'GBK', ..."""
    name = lookup_codec(encoding)
    return {"utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030", "gb2312": "GB2312", "big5": "BIG5"}.get(
        name, encoding.upper())


def short_error(exc) -> str:
    """One line of an exception's text, at most 240 characters, for messages."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 240 else text[:237] + "..."


def replace_file(path: Path, write) -> None:
    """Write through a temporary file beside ``path`` and move it in place only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmpdir = Path(tempfile.mkdtemp(prefix=".sanigrid-", dir=path.parent))
    try:
        tmp = tmpdir / path.name
        write(tmp)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
