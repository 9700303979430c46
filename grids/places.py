"""The register of key places (重点场所): where inspections find most problems, and their licences.

A place is a farmers' market, a construction site, a public toilet, a refuse point … (the kinds
are configurable: ``SANIGRID_PLACE_KINDS``), a point or a polygon, with its operator and contact
and, where the kind has them, the hygiene licence (卫生许可证: number and expiry) and the count of
staff health certificates (健康证). :func:`place_records` checks the fields of imported features
the way :mod:`grids.records` checks grids: every bad field named with its row.
"""
from __future__ import annotations

import pandas as pd

from .fields import (attributes, choice_field, count_field, date_field, is_blank, phone_field, ref_field,
                     stable_ref, text_field)

__all__ = ["PLACE_KINDS", "PLACE_FIELDS", "PLACE_GEOMETRIES", "place_kinds", "place_records", "place_ref"]

PLACE_KINDS = {
    "farmers_market": "农贸市场",
    "construction_site": "建筑工地",
    "public_toilet": "公共厕所",
    "refuse_point": "垃圾收集点",
    "transfer_station": "垃圾转运站",
    "small_shop": "六小门店",
    "school": "学校",
    "urban_village": "城中村",
    "old_compound": "老旧小区",
    "public_place": "公共场所",
}
PLACE_FIELDS = ("ref", "kind", "name", "operator", "contact", "phone", "address", "licence_no", "licence_expires",
                "health_certs", "staff")
PLACE_GEOMETRIES = ("Point", "Polygon", "MultiPolygon")
# Columns the register derives (or exports beside the fields): never kept as attributes.
_DERIVED = {"grid", "kind_label", "version", "updated_at", "updated_by", "geometry", "id", "district"}


def place_kinds(keys=None) -> dict:
    """Return the configured kinds (key → Chinese label); a key outside :data:`PLACE_KINDS` is its own label."""
    if keys is None:
        return dict(PLACE_KINDS)
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",")]
    kinds = {k: PLACE_KINDS.get(k, k) for k in keys if k}
    if not kinds:
        raise ValueError("no place kinds configured: give comma-separated keys, e.g. public_toilet,school")
    return kinds


def place_ref(kind, name, geometry) -> str:
    """The ref of a place a file gave none: "P" + 12 hex of sha1(kind|name|geometry WKB)."""
    return stable_ref("P", (kind, name), geometry)


def _optional_count(props, key, errors):
    return None if is_blank(props.get(key)) else count_field(props, key, errors)


def place_record(props: dict, kinds: dict, geometry=None) -> tuple[dict, list[str]]:
    """Return (record, errors) for one place's properties; a missing ref is made from kind, name and geometry."""
    errors: list[str] = []
    record = {
        "ref": ref_field(props, "ref", errors),
        "kind": choice_field(props, "kind", kinds, errors),
        "name": text_field(props, "name", errors),
        "operator": text_field(props, "operator", errors, required=False),
        "contact": text_field(props, "contact", errors, required=False, max_len=100),
        "phone": phone_field(props, "phone", errors),
        "address": text_field(props, "address", errors, required=False),
        "licence_no": text_field(props, "licence_no", errors, required=False, max_len=64),
        "licence_expires": date_field(props, "licence_expires", errors),
        "health_certs": _optional_count(props, "health_certs", errors),
        "staff": _optional_count(props, "staff", errors),
        "attrs": attributes(props, set(PLACE_FIELDS) | _DERIVED, errors),
    }
    if record["licence_expires"] is not None and record["licence_no"] is None:
        errors.append("licence_expires is given without licence_no (the 卫生许可证 number)")
    if record["ref"] is None and geometry is not None and not errors:
        record["ref"] = place_ref(record["kind"], record["name"], geometry)
    return record, errors


def place_records(table, kinds: dict | None = None, geometries=None) -> tuple[list[dict], dict[int, list[str]]]:
    """Check the rows of a places table; return (records, row → reasons naming each bad field).

    ``table``: a DataFrame or a list of property dicts (one per feature). ``kinds``: the
    configured kinds (default :data:`PLACE_KINDS`). ``geometries``: the rows' EPSG:4326
    geometries, used to make the ref of a row that has none.
    """
    rows = table.to_dict("records") if isinstance(table, pd.DataFrame) else list(table)
    kinds = PLACE_KINDS if kinds is None else kinds
    records, problems = [], {}
    for i, props in enumerate(rows):
        record, errors = place_record(props, kinds, None if geometries is None else geometries[i])
        records.append(record)
        if errors:
            problems[i] = errors
    return records, problems
