"""Turn imported frontage (门前三包) features into register records, naming every bad field with its row.

Fields (docs/places.md): ``ref`` (made from unit_name, address and geometry when missing),
``unit_name``, ``unit_kind``, ``credit_code`` (GB 32100-2015 check character verified),
``contact``, ``phone``, ``address``, ``liable``, ``item_set``, ``items``, ``signed_on``,
``expires_on``, ``status``, ``photo``, ``road``; a shop point's ``front_m`` (the width of its
front, turned into a segment along the nearest road by the import). ``length_m``, ``grids`` and
``effective_status`` are derived, never read; any other property is kept as an attribute.
"""
from __future__ import annotations

import re

import pandas as pd

from .fields import (attributes, choice_field, count_field, date_field, is_blank, metres_field, phone_field,
                     photo_field, ref_field, stable_ref, text_field)
from .frontages import ITEM_SETS, LIABLE, ROAD_KINDS, STATUSES, UNIT_KINDS, check_credit_code, road_kind

__all__ = ["FRONTAGE_FIELDS", "FRONTAGE_GEOMETRIES", "MAX_FRONT_M", "frontage_record", "frontage_records",
           "frontage_ref", "ROAD_GEOMETRIES", "BUILDING_GEOMETRIES", "road_records", "building_records"]

FRONTAGE_FIELDS = ("ref", "unit_name", "unit_kind", "credit_code", "contact", "phone", "address", "liable",
                   "item_set", "items", "signed_on", "expires_on", "status", "photo", "road", "front_m")
FRONTAGE_GEOMETRIES = ("LineString", "Polygon", "Point")   # a Point is a shop point with front_m
ROAD_GEOMETRIES = ("LineString", "MultiLineString")
BUILDING_GEOMETRIES = ("Polygon", "MultiPolygon")
MAX_ROAD_WIDTH_M = 200.0
MIN_FRONT_M, MAX_FRONT_M = 1.0, 500.0   # a shop point's front width: a door at least, a street block at most
# Derived or written by the register (and exported beside the fields): never kept as attributes.
_DERIVED = {"length_m", "grids", "effective_status", "version", "updated_at", "updated_by", "geometry", "id",
            "district", "unit_kind_label", "status_label", "lon", "lat"}
_SEPARATORS = re.compile(r"[;,，；、|]+")


def frontage_ref(unit_name, address, geometry) -> str:
    """The ref of a frontage a file gave none: "F" + 12 hex of sha1(unit_name|address|geometry WKB)."""
    return stable_ref("F", (unit_name, address), geometry)


def _items(props, item_set, item_sets: dict, errors) -> list:
    """The items signed for: a list, or text split at ``; , 、 |``; default the set's own items."""
    value = props.get("items")
    if isinstance(value, (list, tuple)):
        given = [str(v).strip() for v in value if not is_blank(v)]
    else:
        given = [] if is_blank(value) else [p.strip() for p in _SEPARATORS.split(str(value)) if p.strip()]
    if not given:
        return list(item_sets.get(item_set, []))
    known = [i for items in item_sets.values() for i in items]
    unknown = [i for i in given if i not in known]
    if unknown:
        errors.append(f"items {', '.join(repr(i[:40]) for i in unknown)} are not items of any set "
                      f"({', '.join(dict.fromkeys(known))})")
    return list(dict.fromkeys(i for i in given if i in known))


def _credit_code(props, errors):
    text = text_field(props, "credit_code", errors, required=False, max_len=40)
    if text is None:
        return None
    reason = check_credit_code(text.upper())
    if reason:
        errors.append(f"credit_code {text!r}: {reason}")
        return None
    return text.upper()


def frontage_record(props: dict, item_sets: dict | None = None, geometry=None) -> tuple[dict, list[str]]:
    """Return (record, errors) for one frontage's properties; a missing ref is made from name, address, geometry."""
    item_sets = ITEM_SETS if item_sets is None else item_sets
    errors: list[str] = []
    item_set = choice_field(props, "item_set", {k: k for k in item_sets}, errors, default=next(iter(item_sets)))
    record = {
        "ref": ref_field(props, "ref", errors),
        "unit_name": text_field(props, "unit_name", errors),
        "unit_kind": choice_field(props, "unit_kind", UNIT_KINDS, errors),
        "credit_code": _credit_code(props, errors),
        "contact": text_field(props, "contact", errors, required=False, max_len=100),
        "phone": phone_field(props, "phone", errors),
        "address": text_field(props, "address", errors, required=False),
        "liable": choice_field(props, "liable", LIABLE, errors, default="tenant"),
        "item_set": item_set,
        "items": _items(props, item_set, item_sets, errors),
        "signed_on": date_field(props, "signed_on", errors),
        "expires_on": date_field(props, "expires_on", errors),
        "status": choice_field(props, "status", STATUSES, errors, default="not_visited"),
        "photo": photo_field(props, "photo", errors),
        "road": text_field(props, "road", errors, required=False),
        "front_m": metres_field(props, "front_m", errors, MIN_FRONT_M, MAX_FRONT_M, what="a width"),
        "attrs": attributes(props, set(FRONTAGE_FIELDS) | _DERIVED, errors),
    }
    if record["signed_on"] and record["expires_on"] and record["expires_on"] < record["signed_on"]:
        errors.append(f"expires_on {record['expires_on']} is before signed_on {record['signed_on']}")
    if record["ref"] is None and geometry is not None and not errors:
        record["ref"] = frontage_ref(record["unit_name"], record["address"], geometry)
    return record, errors


def frontage_records(table, item_sets: dict | None = None, geometries=None) -> tuple[list[dict], dict[int, list]]:
    """Check the rows of a frontages table; return (records, row → reasons naming each bad field).

    ``table``: a DataFrame or a list of property dicts (one per feature). ``item_sets``: the
    configured item sets (``SANIGRID_FRONTAGE_ITEMS``; default :data:`grids.frontages.ITEM_SETS`).
    ``geometries``: the rows' EPSG:4326 geometries, used to make the ref of a row that has none
    (a shop point's ref is made from its point, so it stays the same at every import).
    """
    rows = table.to_dict("records") if isinstance(table, pd.DataFrame) else list(table)
    records, problems = [], {}
    for i, props in enumerate(rows):
        record, errors = frontage_record(props, item_sets, None if geometries is None else geometries[i])
        records.append(record)
        if errors:
            problems[i] = errors
    return records, problems


def _osm_ref(props, prefix_of: dict):
    """An OSM feature's ref: W123 for a way, R123 for a relation (GDAL's osm_id / osm_way_id)."""
    for key, prefix in prefix_of.items():
        value = props.get(key)
        if not is_blank(value):
            text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
            if text.isdigit():
                return prefix + text
    return None


def road_record(props: dict, geometry=None) -> tuple[dict | None, list[str]]:
    """Return (record, errors) for one road line; (None, []) for an OSM line that is no road (a river, a path).

    ``kind`` is ``main`` or ``lane``, else read from OSM's ``highway`` (:func:`grids.frontages.road_kind`).
    """
    errors: list[str] = []
    highway = props.get("highway")
    if is_blank(props.get("kind")) and "highway" in props:
        if road_kind(highway) is None:
            return None, []
        kind = road_kind(highway)
    else:
        kind = choice_field(props, "kind", {k: k for k in ROAD_KINDS}, errors)
    record = {"ref": ref_field(props, "ref", errors) or _osm_ref(props, {"osm_id": "W", "osm_way_id": "W"}),
              "name": text_field(props, "name", errors, required=False), "kind": kind,
              "width_m": metres_field(props, "width_m", errors, 0, MAX_ROAD_WIDTH_M, what="a road width",
                                         low_included=False)}
    if record["ref"] is None and geometry is not None and not errors:
        record["ref"] = stable_ref("R", (record["name"],), geometry)
    return record, errors


def building_record(props: dict, geometry=None) -> tuple[dict | None, list[str]]:
    """Return (record, errors) for one footprint; (None, []) for an OSM area that is no building."""
    if "building" in props and is_blank(props.get("building")):
        return None, []
    errors: list[str] = []
    record = {"ref": ref_field(props, "ref", errors) or _osm_ref(props, {"osm_way_id": "W", "osm_id": "R"}),
              "households": None if is_blank(props.get("households")) else count_field(props, "households", errors)}
    if record["ref"] is None and geometry is not None and not errors:
        record["ref"] = stable_ref("B", (), geometry)
    return record, errors


def _each(rows, geometries, make) -> tuple[list, dict, list]:
    rows = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    records, problems, skipped = [], {}, []
    for i, props in enumerate(rows):
        record, errors = make(props, None if geometries is None else geometries[i])
        if record is None:
            skipped.append(i)
            continue
        record["index"] = i
        records.append(record)
        if errors:
            problems[i] = errors
    return records, problems, skipped


def road_records(table, geometries=None) -> tuple[list[dict], dict[int, list], list[int]]:
    """Check the rows of a roads table; return (records with their row ``index``, row → reasons, rows skipped)."""
    return _each(table, geometries, road_record)


def building_records(table, geometries=None) -> tuple[list[dict], dict[int, list], list[int]]:
    """Check the rows of a buildings table; return (records with their row ``index``, row → reasons, rows skipped)."""
    return _each(table, geometries, building_record)
