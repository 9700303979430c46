"""Exports of inspections and cases: GeoJSON points, CSV or xlsx, in the columns their imports read.

A cases export imports back unchanged (upserted by id). An inspections export lists in ``cases``
the ids of the cases each opened, so importing it elsewhere does not open them a second time:
they come with the cases export. Times are ISO 8601 with the China offset (+08:00).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import orjson
import pandas as pd
import shapely

from grids.case_records import CASE_COLUMNS, INSPECTION_COLUMNS
from grids.codes import check_region_code
from grids.fileio import write_table, write_vector

from ..errors import ValidationFailed
from ..storage import cases as store
from ..storage import session_scope
from .clock import iso

__all__ = ["export_records", "RECORD_LAYERS", "RECORD_FORMATS"]

RECORD_LAYERS = ("inspections", "cases")
RECORD_FORMATS = ("geojson", "csv", "xlsx")


def _case_rows(session, under) -> list[dict]:
    rows = []
    for case in store.all_cases(session, under):
        row = {c: getattr(case, c, None) for c in CASE_COLUMNS if c not in ("deferred",)}
        row.update(registered_at=iso(case.registered_at), deadline=iso(case.deadline), closed_at=iso(case.closed_at),
                   deferred="true" if case.deferrals else "false")
        rows.append({c: row.get(c) for c in CASE_COLUMNS})
    return rows


def _inspection_rows(session, under) -> list[dict]:
    opened: dict = {}
    for case in store.all_cases(session, under):
        if case.inspection_id:
            opened.setdefault(case.inspection_id, []).append(case)
    rows = []
    for row in store.all_inspections(session, under):
        cases = opened.get(row.id, [])
        rows.append({
            "id": row.id, "kind": row.kind, "level": row.level, "inspector": row.inspector, "at": iso(row.at),
            "lon": row.lon, "lat": row.lat, "frontage": row.frontage, "place": row.place,
            "results": orjson.dumps(row.results).decode(),
            "emergency": ";".join(c.item for c in cases if c.severity == "emergency" and c.item),
            "notes": row.notes, "cases": ";".join(c.id for c in cases),
            "checklist_items": orjson.dumps(row.checklist_items).decode(), "grid": row.grid,
            "community": row.community, "score": row.score, "checklist_kind": row.checklist_kind,
            "checklist_version": row.checklist_version, "photos": ";".join(row.photos or []),
            "created_at": iso(row.created_at), "created_by": row.created_by})
    return rows


def export_records(engine, layer: str, fmt: str, path, *, district: str | None = None) -> int:
    """Write inspections or cases (of one region, with ``district``) to ``path``; return the rows written."""
    if layer not in RECORD_LAYERS:
        raise ValidationFailed(f"unknown layer {layer!r}; give {' or '.join(RECORD_LAYERS)}")
    if fmt not in RECORD_FORMATS:
        raise ValidationFailed(f"{layer} export as {', '.join(RECORD_FORMATS)}, not {fmt}")
    if district is not None:
        district = check_region_code(district)
    with session_scope(engine) as session:
        rows = _case_rows(session, district) if layer == "cases" else _inspection_rows(session, district)
    columns = list(CASE_COLUMNS if layer == "cases" else INSPECTION_COLUMNS)
    frame = pd.DataFrame(rows, columns=columns + [c for c in (rows[0] if rows else {}) if c not in columns],
                         dtype=object)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        points = [shapely.Point(x, y) if x is not None and y is not None else None
                  for x, y in zip(frame["lon"], frame["lat"])]
        write_vector(gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326"), path, fmt)
    else:
        write_table(frame, path, fmt)
    return len(frame)
