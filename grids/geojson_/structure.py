"""The object structure: document, FeatureCollection, Feature and geometry members (RFC 7946 sections 3 and 7)."""
from __future__ import annotations

import re
from collections import defaultdict

import orjson
import shapely

from ..limits import too_deep as _too_deep
from ..validation import Problem, summarise_notes
from .coordinates import build_ragged, check_coordinates
from .model import GEOMETRY_DEPTH, GEOMETRY_TYPES, GeoJSONError, ParsedFeatures, kind_of

_ALL_TYPES = {t.lower(): t for t in (*GEOMETRY_TYPES, "Feature", "FeatureCollection")}
# RFC 7946 section 7.1: members that define one kind of object must not appear on another.
_FORBIDDEN = {"FeatureCollection": ("coordinates", "geometries", "geometry", "properties"),
              "Feature": ("coordinates", "geometries", "features"),
              "geometry": ("geometry", "properties", "features")}
_EPSG_NAME = re.compile(r"^(?:urn:ogc:def:crs:EPSG:[\d.]*:|EPSG:+|https?://www\.opengis\.net/def/crs/EPSG/[\d.]+/)"
                        r"(\d+)$", re.IGNORECASE)
_CRS84_NAME = re.compile(r"^(?:urn:ogc:def:crs:OGC:[\d.]*:|https?://www\.opengis\.net/def/crs/OGC/[\d.]+/|OGC:)?"
                         r"CRS:?84$", re.IGNORECASE)


def _type_reason(obj: dict, expected: str) -> str:
    """Explain a wrong "type" member, pointing out a wrongly cased GeoJSON type."""
    if "type" not in obj:
        return 'has no "type" member'
    value = obj["type"]
    if not isinstance(value, str):
        return f'has a "type" that is {kind_of(value)}, not a string'
    proper = _ALL_TYPES.get(value.lower())
    if proper and proper != value:
        return f"has type {value!r}, which must be written {proper!r} (GeoJSON types are case-sensitive)"
    return f"has type {value!r}, which is not {expected}"


def _bbox_reason(value) -> str | None:
    """A bbox is an array of 4 or 6 numbers."""
    if not isinstance(value, list):
        return f'"bbox" must be an array of 4 or 6 numbers, not {kind_of(value)}'
    if len(value) not in (4, 6):
        return f'"bbox" has {len(value)} values; it needs 4 or 6 numbers'
    bad = [v for v in value if type(v) not in (int, float)]
    return f'"bbox" must hold numbers only, not {kind_of(bad[0])}' if bad else None


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
        shown = kind_of(value)
    return None, f'the legacy "crs" member {shown} is not understood; remove it and give the CRS with --crs'


class Reader:
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
            raise GeoJSONError(f"the document is {kind_of(doc)}, not a GeoJSON object "
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
            raise GeoJSONError(f'the FeatureCollection\'s "features" must be an array, not {kind_of(features)}')
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
            return [f"is {kind_of(feature)}, not a GeoJSON Feature object"]
        if feature.get("type") != "Feature":
            return [_type_reason(feature, "Feature")]
        reasons = []
        if "properties" not in feature:
            reasons.append('has no "properties" member (write "properties": {} or null)')
        elif feature["properties"] is not None and not isinstance(feature["properties"], dict):
            reasons.append(f'"properties" must be an object or null, not {kind_of(feature["properties"])}')
        if "id" in feature:
            ident = feature["id"]
            if type(ident) in (str, int, float):
                record["id"] = ident
            else:
                reasons.append(f'"id" must be a string or a number, not {kind_of(ident)}')
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
            return [f'"geometry" must be an object or null, not {kind_of(geom)}']
        kind = geom.get("type")
        reasons = self._members(geom, "geometry", skip=("coordinates", "geometries"), room=self.max_depth - level)
        if kind == "GeometryCollection":
            return reasons + self._geometry_collection(i, geom, level, member)
        if kind not in GEOMETRY_DEPTH:
            return [f"geometry {_type_reason(geom, 'a GeoJSON geometry type')}"] + reasons
        if "coordinates" not in geom:
            return reasons + [f'the {kind} has no "coordinates" member']
        coords = geom["coordinates"]
        reason, has_z = check_coordinates(kind, coords)
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
            return [f'the GeometryCollection\'s "geometries" must be an array, not {kind_of(parts)}']
        reasons = []
        for k, part in enumerate(parts):
            if not isinstance(part, dict):
                reasons.append(f"GeometryCollection member {k} is {kind_of(part)}, not a geometry object")
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
                built.update(zip((slot for slot, _, _ in jobs), build_ragged(kind, jobs)))
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
