"""Region and staffing reads for the API, in plain JSON-ready shapes."""
from __future__ import annotations

import math

import orjson
import shapely
from sqlalchemy import select

from grids.codes import CodeError, check_region_code

from ..errors import NotFound, ValidationFailed
from ..register import staffing_report
from ..storage import session_scope
from ..storage.schema import Region

__all__ = ["region_list", "region_feature", "staffing"]


def region_list(engine, *, level=None, parent=None) -> list[dict]:
    """Return regions (code, name, level, parent) ordered by code."""
    stmt = select(Region.code, Region.name, Region.level, Region.parent).order_by(Region.code)
    if level:
        stmt = stmt.where(Region.level == level)
    if parent:
        stmt = stmt.where(Region.parent == parent)
    with session_scope(engine) as session:
        return [dict(r._mapping) for r in session.execute(stmt)]


def region_feature(engine, code: str) -> dict:
    """Return one region as a GeoJSON Feature (geometry null for a code-list region)."""
    try:
        check_region_code(code)
    except CodeError as exc:
        raise ValidationFailed(str(exc)) from None
    with session_scope(engine) as session:
        row = session.get(Region, code)
    if row is None:
        raise NotFound(f"region {code} is not in the register")
    geometry = orjson.loads(shapely.to_geojson(shapely.from_wkb(row.geom))) if row.geom else None
    return {"type": "Feature", "id": row.code, "geometry": geometry,
            "properties": {"code": row.code, "name": row.name, "level": row.level, "parent": row.parent,
                           **(row.attrs or {})}}


def _clean(records: list[dict]) -> list[dict]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in records]


def staffing(engine, settings, under: dict) -> dict:
    """Return per-grid staffing and the roll-up for at most one of district, street, community."""
    given = [v for v in under.values() if v]
    if len(given) > 1:
        raise ValidationFailed("give at most one of district, street, community")
    table, rollup = staffing_report(engine, settings, given[0] if given else None)
    return {"grids": _clean(table.to_dict("records")), "rollup": _clean(rollup.to_dict("records"))}
