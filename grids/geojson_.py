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

import codecs
import contextlib
import gc
import os
import re
from itertools import chain
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import shapely

from .validation import Problem, summarise_notes

__all__ = ["GeoJSONError", "ParsedFeatures", "parse_geojson_bytes", "read_geojson_file", "GEOMETRY_TYPES"]

# Nesting depth of "coordinates" for each geometry type (1 = a single position).
_DEPTH = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3, "MultiPolygon": 4}
GEOMETRY_TYPES = (*_DEPTH, "GeometryCollection")
_ALL_TYPES = {t.lower(): t for t in (*GEOMETRY_TYPES, "Feature", "FeatureCollection")}
_RAGGED = {"Point": shapely.GeometryType.POINT, "LineString": shapely.GeometryType.LINESTRING,
           "Polygon": shapely.GeometryType.POLYGON, "MultiPoint": shapely.GeometryType.MULTIPOINT,
           "MultiLineString": shapely.GeometryType.MULTILINESTRING,
           "MultiPolygon": shapely.GeometryType.MULTIPOLYGON}
# RFC 7946 section 7.1: members that define one kind of object must not appear on another.
_FORBIDDEN = {"FeatureCollection": ("coordinates", "geometries", "geometry", "properties"),
              "Feature": ("coordinates", "geometries", "features"),
              "geometry": ("geometry", "properties", "features")}
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SNIFF_BYTES = 4096
_UTF8_CHUNK = 1 << 20
_ORJSON_DEPTH_LIMIT = 1024
_LIST_ONLY = {list}
_SIZES = {2, 3}
_NUMBERS = {int, float}
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_EPSG_NAME = re.compile(r"^(?:urn:ogc:def:crs:EPSG:[\d.]*:|EPSG:+|https?://www\.opengis\.net/def/crs/EPSG/[\d.]+/)"
                        r"(\d+)$", re.IGNORECASE)
_CRS84_NAME = re.compile(r"^(?:urn:ogc:def:crs:OGC:[\d.]*:|https?://www\.opengis\.net/def/crs/OGC/[\d.]+/|OGC:)?"
                         r"CRS:?84$", re.IGNORECASE)
# What a wrong file usually is, by its first bytes.
_MAGIC = ((b"SQLite format 3\x00", "an SQLite database (a GeoPackage?)"),
          (b"PK\x03\x04", "a ZIP archive (a zipped Shapefile?)"), (b"\x00\x00\x27\x0a", "a Shapefile (.shp)"),
          (b"%PDF", "a PDF document"), (b"<", "XML or HTML (KML? GML?)"))
_NOT_UTF8_HINT = "try converting the file to UTF-8, or use a GeoPackage/Shapefile with --encoding"


class GeoJSONError(ValueError):
    """The whole document is refused: not JSON, not UTF-8, too big, or wrong at the top level."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems if problems else [Problem(None, None, message)]


@dataclass
class ParsedFeatures:
    """The features of one GeoJSON document; the caller refuses the import if ``problems`` is non-empty."""

    records: list[dict] = field(default_factory=list)
    crs: str | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# ---- whole document ---------------------------------------------------------------------------

def read_geojson_file(path, *, max_bytes: int = 100 * 1024 * 1024, max_depth: int = 64) -> ParsedFeatures:
    """Read a GeoJSON file, refusing an oversized or non-JSON file before reading it whole."""
    path = Path(path)
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


def parse_geojson_bytes(data: bytes, *, max_depth: int = 64) -> ParsedFeatures:
    """Parse and check a GeoJSON document: a FeatureCollection, a single Feature or a bare geometry."""
    _sniff(bytes(data[:_SNIFF_BYTES]))
    skip = len(_BOM) if data[:3] == _BOM else 0
    view = memoryview(data)[skip:]
    with _gc_paused():
        try:
            doc = orjson.loads(view)
        except orjson.JSONDecodeError as exc:
            raise _json_error(exc, data, skip, max_depth) from None
        return _Reader(max_depth).document(doc)


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic GC: a parsed document is ~10^6 acyclic lists, and GC passes over them triple the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


# ---- structure --------------------------------------------------------------------------------

def _kind(value) -> str:
    """Name a JSON value's kind for a message ("an array", "null", "the string 'x'")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return "an array" if isinstance(value, list) else "an object"


def _type_reason(obj: dict, expected: str) -> str:
    """Explain a wrong "type" member, pointing out a wrongly cased GeoJSON type."""
    if "type" not in obj:
        return 'has no "type" member'
    value = obj["type"]
    if not isinstance(value, str):
        return f'has a "type" that is {_kind(value)}, not a string'
    proper = _ALL_TYPES.get(value.lower())
    if proper and proper != value:
        return f"has type {value!r}, which must be written {proper!r} (GeoJSON types are case-sensitive)"
    return f"has type {value!r}, which is not {expected}"


def _too_deep(value, room: int) -> bool:
    """True when ``value`` nests more than ``room`` levels; iterative, so no Python recursion limit."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if level > room:
            return True
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _bbox_reason(value) -> str | None:
    """A bbox is an array of 4 or 6 numbers."""
    if not isinstance(value, list):
        return f'"bbox" must be an array of 4 or 6 numbers, not {_kind(value)}'
    if len(value) not in (4, 6):
        return f'"bbox" has {len(value)} values; it needs 4 or 6 numbers'
    bad = [v for v in value if type(v) not in (int, float)]
    return f'"bbox" must hold numbers only, not {_kind(bad[0])}' if bad else None


def _crs_name(value) -> tuple[str | None, str | None]:
    """Return (normalised name, reason) for a legacy (GeoJSON 2008) "crs" member."""
    if value is None:
        return None, None
    if isinstance(value, dict):
        props = value.get("properties")
        props = props if isinstance(props, dict) else {}
        if value.get("type") == "name" and isinstance(props.get("name"), str):
            name = props["name"].strip()
            if _CRS84_NAME.match(name):
                return "EPSG:4326", None
            match = _EPSG_NAME.match(name)
            return (f"EPSG:{int(match.group(1))}" if match else name), None
        code = props.get("code")
        numeric = type(code) is int or (isinstance(code, str) and code.isdigit())
        if str(value.get("type")).upper() == "EPSG" and numeric:
            return f"EPSG:{int(code)}", None
    try:
        shown = orjson.dumps(value).decode()[:120]
    except orjson.JSONEncodeError:  # nested too deeply to show
        shown = _kind(value)
    return None, f'the legacy "crs" member {shown} is not understood; remove it and give the CRS with --crs'


class _Reader:
    """Walks one parsed document, collecting records, problems and geometry-building jobs."""

    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        self.records: list[dict] = []
        self.problems: list[Problem] = []
        self.notes: dict[str, list[int]] = defaultdict(list)
        self.jobs: list[tuple] = []          # (slot, geometry type, coordinates, has Z)
        self.collections: dict[int, int] = {}  # record index -> number of GeometryCollection members

    def document(self, doc) -> ParsedFeatures:
        """Check the top level, then every feature; build the geometries in bulk."""
        if not isinstance(doc, dict):
            raise GeoJSONError(f"the document is {_kind(doc)}, not a GeoJSON object "
                               "(a FeatureCollection, a Feature or a geometry)")
        kind = doc.get("type")
        crs, reason = _crs_name(doc.get("crs"))
        if reason:
            raise GeoJSONError(reason)
        if kind == "FeatureCollection":
            self._collection(doc)
        elif kind == "Feature":
            self._feature(0, doc, level=1)
        elif kind in GEOMETRY_TYPES:
            self._bare_geometry(doc)
        else:
            raise GeoJSONError(f"the top-level object {_type_reason(doc, 'a GeoJSON type')}")
        geoms = self._build()
        for rec in self.records:
            rec["geometry"] = geoms.get(rec["index"])
        return ParsedFeatures(self.records, crs, summarise_notes(self.notes), self.problems)

    def _note(self, text: str, i: int) -> None:
        """Remember a remark about feature ``i`` once, however many of its parts cause it."""
        indexes = self.notes[text]
        if not indexes or indexes[-1] != i:
            indexes.append(i)

    def _collection(self, doc) -> None:
        """A FeatureCollection: its own members are whole-document matters, its features are not."""
        if "features" not in doc:
            raise GeoJSONError('the FeatureCollection has no "features" member')
        features = doc["features"]
        if not isinstance(features, list):
            raise GeoJSONError(f'the FeatureCollection\'s "features" must be an array, not {_kind(features)}')
        reasons = self._members(doc, "FeatureCollection", skip=("features",), room=self.max_depth - 1)
        if reasons:
            raise GeoJSONError(f"the FeatureCollection {reasons[0]}", [Problem(None, None, r) for r in reasons])
        for i, feature in enumerate(features):
            self._feature(i, feature, level=3)

    def _members(self, obj: dict, kind: str, *, skip=(), room: int) -> list[str]:
        """Check the members every object shares: forbidden members, bbox, and nesting of the rest."""
        reasons = [f'must not have a "{name}" member (it belongs to another kind of GeoJSON object)'
                   for name in _FORBIDDEN[kind] if name in obj]
        if "bbox" in obj:
            reason = _bbox_reason(obj["bbox"])
            reasons += [reason] if reason else []
        for key, value in obj.items():
            if key not in skip and isinstance(value, (dict, list)) and _too_deep(value, room):
                reasons.append(f'"{key}" is nested more than {self.max_depth} levels deep')
        return reasons

    def _feature(self, i: int, feature, *, level: int) -> None:
        """Check one feature and record it; its geometry is built later with all the others."""
        props = feature.get("properties") if isinstance(feature, dict) else None
        record = {"index": i, "properties": props if isinstance(props, dict) else None, "geometry": None,
                  "id": None}
        self.records.append(record)
        code = _code(record["properties"])
        reasons = self._feature_reasons(i, feature, record, level)
        self.problems += [Problem(i, code, r) for r in reasons]

    def _feature_reasons(self, i: int, feature, record: dict, level: int) -> list[str]:
        if not isinstance(feature, dict):
            return [f"is {_kind(feature)}, not a GeoJSON Feature object"]
        if feature.get("type") != "Feature":
            return [_type_reason(feature, "Feature")]
        reasons = []
        if "properties" not in feature:
            reasons.append('has no "properties" member (write "properties": {} or null)')
        elif feature["properties"] is not None and not isinstance(feature["properties"], dict):
            reasons.append(f'"properties" must be an object or null, not {_kind(feature["properties"])}')
        if "id" in feature:
            ident = feature["id"]
            if type(ident) in (str, int, float):
                record["id"] = ident
            else:
                reasons.append(f'"id" must be a string or a number, not {_kind(ident)}')
        if "crs" in feature and level > 1:
            self._note('a feature\'s own "crs" member is ignored; only the document\'s counts', i)
        reasons += self._members(feature, "Feature", skip=("geometry",), room=self.max_depth - level)
        if "geometry" not in feature:
            reasons.append('has no "geometry" member (write "geometry": null for a feature without one)')
        elif feature["geometry"] is not None:
            reasons += self._geometry(i, feature["geometry"], level + 1)
        return reasons

    def _bare_geometry(self, doc) -> None:
        """A document that is just a geometry becomes one record with empty properties."""
        self.records.append({"index": 0, "properties": {}, "geometry": None, "id": None})
        if isinstance(doc.get("properties"), dict):  # a common quirk (e.g. Amap/DataV exports): tolerate, say so
            self._note('the bare geometry\'s "properties" member is ignored (RFC 7946 allows none on a geometry)', 0)
            doc = {key: value for key, value in doc.items() if key != "properties"}
        self.problems += [Problem(0, None, r) for r in self._geometry(0, doc, 1)]

    def _geometry(self, i: int, geom, level: int, *, member: int | None = None) -> list[str]:
        """Check a geometry object; queue it for building when it is sound."""
        if not isinstance(geom, dict):
            return [f'"geometry" must be an object or null, not {_kind(geom)}']
        kind = geom.get("type")
        reasons = self._members(geom, "geometry", skip=("coordinates", "geometries"), room=self.max_depth - level)
        if kind == "GeometryCollection":
            return reasons + self._geometry_collection(i, geom, level, member)
        if kind not in _DEPTH:
            return [f"geometry {_type_reason(geom, 'a GeoJSON geometry type')}"] + reasons
        if "coordinates" not in geom:
            return reasons + [f'the {kind} has no "coordinates" member']
        coords = geom["coordinates"]
        reason, has_z = _coordinates(kind, coords)
        if reason:
            return reasons + [f"{kind}: {reason}"]
        if not reasons:
            self.jobs.append(((i, member), kind, coords, has_z))
            if has_z:
                self._note("Z coordinates dropped", i)
        return reasons

    def _geometry_collection(self, i: int, geom, level: int, member: int | None) -> list[str]:
        """A GeometryCollection holds geometries, never another GeometryCollection."""
        if member is not None:
            return ["a GeometryCollection nested inside a GeometryCollection is not accepted"]
        parts = geom.get("geometries")
        if not isinstance(parts, list):
            return [f'the GeometryCollection\'s "geometries" must be an array, not {_kind(parts)}']
        reasons = []
        for k, part in enumerate(parts):
            if not isinstance(part, dict):
                reasons.append(f"GeometryCollection member {k} is {_kind(part)}, not a geometry object")
                continue
            reasons += [f"GeometryCollection member {k}: {r}" for r in self._geometry(i, part, level + 1, member=k)]
        if not reasons:
            self.collections[i] = len(parts)
        return reasons

    def _build(self) -> dict:
        """Build every queued geometry, type by type, from ragged coordinate arrays."""
        built = {}
        by_kind = defaultdict(list)
        for slot, kind, coords, has_z in self.jobs:
            by_kind[kind].append((slot, coords, has_z))
        for kind, jobs in by_kind.items():
            empty = [slot for slot, coords, _ in jobs if not coords]
            built.update((slot, shapely.from_wkt(f"{kind.upper()} EMPTY")) for slot in empty)
            jobs = [job for job in jobs if job[1]]
            if jobs:
                built.update(zip((slot for slot, _, _ in jobs), _ragged(kind, jobs)))
        geoms = {}
        for (i, member), geom in built.items():
            if member is None:
                geoms[i] = geom
        for i, count in self.collections.items():
            geoms[i] = shapely.GeometryCollection([built[(i, k)] for k in range(count)])
        return geoms


def _code(props) -> str | None:
    """The feature's code as text, for messages."""
    code = props.get("code") if isinstance(props, dict) else None
    return code if isinstance(code, str) else str(code) if type(code) is int else None


# ---- coordinates ------------------------------------------------------------------------------

def _position_reason(p, kind: str) -> str | None:
    """Why ``p`` is not a position of 2 or 3 numbers (None when it is a valid 3-D position)."""
    if type(p) in (int, float):
        return f"found a number where a position was expected (coordinates nested too shallowly for a {kind})"
    if not isinstance(p, list):
        return f"a position must be an array of 2 or 3 numbers, not {_kind(p)}"
    if not p:
        return "empty position []"
    for v in p:
        if isinstance(v, list):
            return f"found an array where a number was expected (coordinates nested too deeply for a {kind})"
        if type(v) not in (int, float):
            return f"{_kind(v)} is not a number"
    if len(p) < 2:
        return f"position {p} has {len(p)} number; longitude and latitude are needed"
    if len(p) > 3:
        return f"position {p} has {len(p)} numbers; only 2 (longitude, latitude) or 3 (with height) are accepted"
    return None


def _positions(seq, kind: str, minimum: int, what: str) -> tuple[str | None, bool]:
    """Check an array of positions; return (reason, has Z)."""
    if not isinstance(seq, list):
        if type(seq) in (int, float):
            return f"{what}: found a number where an array of positions was expected " \
                   f"(coordinates nested too shallowly for a {kind})", False
        return f"{what} must be an array of positions, not {_kind(seq)}", False
    if len(seq) < minimum:
        return f"{what} has {len(seq)} position(s); at least {minimum} are needed", False
    if set(map(type, seq)) <= _LIST_ONLY:  # fast path: C-level loops over the positions
        sizes = set(map(len, seq))
        if sizes <= _SIZES and set(map(type, chain.from_iterable(seq))) <= _NUMBERS:
            return None, 3 in sizes
    for k, p in enumerate(seq):
        reason = _position_reason(p, kind)
        if reason:
            return f"{what}, position {k}: {reason}", False
    return None, any(len(p) == 3 for p in seq)  # not reached: the fast path accepts every sound array


def _ring(ring, kind: str, what: str) -> tuple[str | None, bool]:
    """A linear ring: at least 4 positions, first and last identical (never closed for the user)."""
    reason, has_z = _positions(ring, kind, 0, what)
    if reason:
        return reason, False
    if len(ring) >= 2 and ring[0] != ring[-1]:
        return f"{what}: ring not closed (first position {ring[0]} differs from last {ring[-1]}); " \
               "close it in the source file", False
    if len(ring) < 4:
        return f"{what}: a ring needs at least 4 positions (3 corners and the closing one), it has {len(ring)}", False
    return None, has_z


def _many(seq, kind: str, what: str, check) -> tuple[str | None, bool]:
    """Apply ``check`` to each element of an array; return the first reason and whether any had Z."""
    if not isinstance(seq, list):
        return f"{what} must be an array, not {_kind(seq)}", False
    has_z = False
    for k, item in enumerate(seq):
        if type(item) in (int, float):
            return f"{what}: found a number where an array was expected " \
                   f"(coordinates nested too shallowly for a {kind})", False
        reason, z = check(item, k)
        if reason:
            return reason, False
        has_z |= z
    return None, has_z


def _polygon_rings(rings, kind: str, prefix: str) -> tuple[str | None, bool]:
    if isinstance(rings, list) and not rings:
        return f"{prefix.rstrip(', ') or 'polygon'} has no rings", False
    return _many(rings, kind, prefix.rstrip(", ") or "coordinates",
                 lambda ring, k: _ring(ring, kind, f"{prefix}ring {k}"))


def _coordinates(kind: str, coords) -> tuple[str | None, bool]:
    """Check ``coords`` against the nesting and counts ``kind`` requires; return (reason, has Z)."""
    if isinstance(coords, list) and not coords:
        return None, False  # RFC 7946 3.1: an empty "coordinates" array is an empty geometry
    if kind == "Point":
        reason = _position_reason(coords, kind)
        return (f"coordinates: {reason}", False) if reason else (None, len(coords) == 3)
    if kind == "MultiPoint":
        return _positions(coords, kind, 1, "coordinates")
    if kind == "LineString":
        return _positions(coords, kind, 2, "coordinates")
    if kind == "MultiLineString":
        return _many(coords, kind, "coordinates", lambda line, k: _positions(line, kind, 2, f"line {k}"))
    if kind == "Polygon":
        return _polygon_rings(coords, kind, "")
    return _many(coords, kind, "coordinates", lambda rings, k: _polygon_rings(rings, kind, f"polygon {k}, "))


def _flat_2d(coords, depth: int):
    """Drop Z from every position of a nested coordinates array (depth 1 = one position)."""
    if depth == 1:
        return coords[:2]
    return [_flat_2d(c, depth - 1) for c in coords]


def _ragged(kind: str, jobs) -> np.ndarray:
    """Build geometries of one type from their nested coordinates with shapely.from_ragged_array."""
    depth = _DEPTH[kind]
    positions: list = []
    offsets: list[list[int]] = [[0] for _ in range(depth - 1)]
    for _, coords, has_z in jobs:
        if has_z:
            coords = _flat_2d(coords, depth)
        if depth == 1:
            positions.append(coords)
        elif depth == 2:
            positions.extend(coords)
            offsets[0].append(len(positions))
        elif depth == 3:
            for part in coords:
                positions.extend(part)
                offsets[0].append(len(positions))
            offsets[1].append(len(offsets[0]) - 1)
        else:
            for poly in coords:
                for ring in poly:
                    positions.extend(ring)
                    offsets[0].append(len(positions))
                offsets[1].append(len(offsets[0]) - 1)
            offsets[2].append(len(offsets[1]) - 1)
    xy = np.array(positions, dtype=np.float64)
    if not np.isfinite(xy).all():  # orjson refuses NaN and overflow, so this is only a safeguard
        raise GeoJSONError("a coordinate is not a finite number")
    return shapely.from_ragged_array(_RAGGED[kind], xy, tuple(np.asarray(o, dtype=np.int64) for o in offsets) or None)
