"""The document as bytes: size and first-byte checks, UTF-8, and orjson failures in plain words."""
from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

import orjson

from ..gc_pause import gc_paused
from ..limits import MAX_JSON_DEPTH
from .model import GeoJSONError, ParsedFeatures
from .structure import Reader

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SNIFF_BYTES = 4096
_UTF8_CHUNK = 1 << 20
_ORJSON_DEPTH_LIMIT = 1024
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
# What a wrong file usually is, by its first bytes.
_MAGIC = ((b"SQLite format 3\x00", "an SQLite database (a GeoPackage?)"),
          (b"PK\x03\x04", "a ZIP archive (a zipped Shapefile?)"), (b"\x00\x00\x27\x0a", "a Shapefile (.shp)"),
          (b"%PDF", "a PDF document"), (b"<", "XML or HTML (KML? GML?)"))
_NOT_UTF8_HINT = "try converting the file to UTF-8, or use a GeoPackage/Shapefile with --encoding"


def read_geojson_file(path, *, max_bytes: int = 100 * 1024 * 1024, max_depth: int = MAX_JSON_DEPTH) -> ParsedFeatures:
    """Read a GeoJSON file, refusing an oversized or non-JSON file before reading it whole.

    A refusal's message starts with the file's name (an import of a folder says which file).
    """
    path = Path(path)
    try:
        return _read_file(path, max_bytes, max_depth)
    except GeoJSONError as exc:
        whole = [str(p) for p in exc.problems] == [str(exc)]   # no per-feature problems: the message is the problem
        raise GeoJSONError(f"{path.name}: {exc}", None if whole else exc.problems) from None


def _read_file(path: Path, max_bytes: int, max_depth: int) -> ParsedFeatures:
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            raise GeoJSONError(f"file is {size:,} bytes, larger than the limit of {max_bytes:,} bytes")
        with open(path, "rb") as f:
            _sniff_stream(f)
            f.seek(0)
            data = f.read()
    except OSError as exc:
        raise GeoJSONError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    return parse_geojson_bytes(data, max_depth=max_depth)


def _sniff_stream(f) -> None:
    """Refuse a file whose first non-blank byte cannot start a GeoJSON document, reading only its head."""
    head = f.read(_SNIFF_BYTES)
    _sniff(head)
    while head and len(head) == _SNIFF_BYTES and not _start(head):
        head = f.read(_SNIFF_BYTES)  # a long run of blanks: keep looking, a chunk at a time
        _sniff(head, continued=True)


def _start(head: bytes) -> bytes:
    """Return the first non-blank byte of ``head`` (after a UTF-8 BOM), or b''."""
    pos = len(_BOM) if head.startswith(_BOM) else 0
    pos = _WHITESPACE.match(head, pos).end()
    return head[pos:pos + 1]


def _sniff(head: bytes, *, continued: bool = False) -> None:
    """Raise GeoJSONError unless ``head`` could begin a JSON object or array."""
    if not continued and head.startswith(_UTF16_BOMS):
        raise GeoJSONError(f"text is not UTF-8 but UTF-16; {_NOT_UTF8_HINT}")
    first = _start(head)
    if first in (b"{", b"[") or (not first and len(head) == _SNIFF_BYTES):
        return
    if not first:
        raise GeoJSONError("the file is empty: not a GeoJSON document")
    what = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    start = head[:16]
    looks = f", which looks like {what}" if what else ""
    raise GeoJSONError(f"not a GeoJSON document: it starts with {start!r}{looks}; a GeoJSON document starts with '{{'")


def parse_geojson_bytes(data: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> ParsedFeatures:
    """Parse and check a GeoJSON document: a FeatureCollection, a single Feature or a bare geometry."""
    _sniff(bytes(data[:_SNIFF_BYTES]))
    skip = len(_BOM) if data[:3] == _BOM else 0
    view = memoryview(data)[skip:]
    with gc_paused():
        try:
            doc = orjson.loads(view)
        except orjson.JSONDecodeError as exc:
            raise _json_error(exc, data, skip, max_depth) from None
        return Reader(max_depth).document(doc)


def _json_error(exc, data, skip: int, max_depth: int) -> GeoJSONError:
    """Explain an orjson failure in plain words: not UTF-8, too deep, or where the JSON breaks."""
    bad = _first_bad_utf8(data, skip)
    if bad is not None:
        line = data.count(b"\n", 0, bad) + 1
        return GeoJSONError(f"text is not UTF-8 (byte {bad:,}, line {line}: {bytes(data[bad:bad + 8])!r}"
                            f"{_gbk_hint(data, bad)}); {_NOT_UTF8_HINT}")
    if "depth" in exc.msg or "recursion" in exc.msg:
        return GeoJSONError(f"JSON nested more than {_ORJSON_DEPTH_LIMIT} levels deep (line {exc.lineno}, "
                            f"column {exc.colno}); GeoJSON needs at most {max_depth}: not a GeoJSON document")
    return GeoJSONError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
                        f"{_non_finite_hint(exc, data, skip)}")


def _non_finite_hint(exc, data, skip: int) -> str:
    """Name NaN/Infinity when they are what broke the JSON (other parsers let them through)."""
    doc = exc.doc if isinstance(exc.doc, str) else ""
    text = doc[exc.pos:exc.pos + 10]
    for word in ("NaN", "Infinity", "-Infinity"):
        if text.startswith(word):
            return f" ({word} is not a JSON number; write null or a finite value)"
    return ""


def _first_bad_utf8(data, skip: int) -> int | None:
    """Return the byte offset of the first invalid UTF-8 sequence, without decoding the whole text at once."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(skip, len(view), _UTF8_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(view[start:start + _UTF8_CHUNK])
        except UnicodeDecodeError as exc:
            return start - pending + exc.start
    return None


def _gbk_hint(data, bad: int) -> str:
    """Say so when the offending bytes read as GBK/GB18030 Chinese, the usual culprit."""
    for end in range(bad + 16, bad + 12, -1):
        try:
            text = bytes(data[bad:end]).decode("gb18030")
        except UnicodeDecodeError:
            continue
        if any("\u4e00" <= ch <= "\u9fff" for ch in text):
            return f"; it reads as GBK/GB18030 Chinese: {text.split(chr(34))[0]!r}"
    return ""
