"""Collections over a register layer table (frontages, places, roads): matched in SQL, loaded by page.

A layer collection reads its rows through the storage's loader (``gis_app.storage.frontages``),
which computes what depends on the grids (a frontage's ``grids``, a place's ``grid``) on read.
Like the grids collection, the query runs in SQL first: the property filters on stored columns
(values bound), the bbox (PostGIS: ``ST_Intersects`` on the GiST index; SQLite: the bounding-box
columns, then shapely exactly) and the datetime interval give the matching refs in ref order,
and only the page's refs are loaded. A filter on a computed property (``grid``) cannot be said in
SQL: then the loader narrows to that grid and the remaining filters apply to the loaded frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import func, select

from ..storage import on_postgis, session_scope
from ..storage.geometry import SRID
from .collections import Collection, Extent, Page
from .params import ItemQuery
from .queryables import column_condition, frame_mask, queryable

__all__ = ["LayerSource", "layer_collection", "layer_extent", "edit_queryables", "GRID_FILTER", "GRID_CODE"]

GRID_FILTER = "grid"   # the computed property a loader filters on itself (the grid a row lies in)
GRID_CODE = r"^\d{15}$"


def edit_queryables(model) -> tuple:
    """The queryables of the edit-trail columns every edited register layer has (storage.schema.Edited)."""
    return (
        queryable("version", "integer", ("版本", "Version"), ("记录的版本号，每次修改加1", "version of the record, one more "
                  "at every change"), column=model.version),
        queryable("updated_by", "string", ("修改人", "Updated by"), ("最后修改的用户或令牌", "who changed it last"),
                  column=model.updated_by, max_length=100),
    )


@dataclass(frozen=True)
class LayerSource:
    """Where a layer collection reads from.

    ``load(session, *, bbox=None, grid=None, refs=None)`` returns the frame as served (EPSG:4326,
    ordered by ref). ``conditions`` maps a queryable whose stored column does not say it to a
    function ``(value, today) -> SQL clause`` (a frontage's status on today). ``period``: the
    (start, end) date columns a datetime interval is matched against; None: no datetime.
    """

    model: type
    load: Callable[..., gpd.GeoDataFrame]
    conditions: dict = field(default_factory=dict)
    period: tuple | None = None


def _sql_conditions(source: LayerSource, filters, today: date) -> list:
    out = []
    for f in filters:
        custom = source.conditions.get(f.queryable.name)
        out.append(custom(f.value, today) if custom is not None else column_condition(f.queryable, f.value))
    return out


def _period_conditions(source: LayerSource, query: ItemQuery) -> list:
    """In effect at some day of the interval: started by its end, not ended before its start."""
    if not query.timed or source.period is None:
        return []
    first, last = source.period
    out = [first.is_not(None)]
    if query.end is not None:
        out.append(first <= query.end.date())
    if query.start is not None:
        out.append((last.is_(None)) | (last >= query.start.date()))
    return out


def _in_period(frame, source: LayerSource, query: ItemQuery) -> np.ndarray:
    """The frame's rows in effect during the query's interval (the SQL conditions, on loaded dates)."""
    keep = np.ones(len(frame), dtype=bool)
    if not query.timed or source.period is None or not len(frame):
        return keep
    first, last = (frame[c.key].tolist() for c in source.period)
    for i, (a, b) in enumerate(zip(first, last)):
        keep[i] = (isinstance(a, date) and (query.end is None or a <= query.end.date())
                   and (query.start is None or not isinstance(b, date) or b >= query.start.date()))
    return keep


def _matching_refs(session, source: LayerSource, query: ItemQuery, today: date) -> list[str]:
    model = source.model
    matching = (*_sql_conditions(source, query.filters, today), *_period_conditions(source, query))
    stmt = select(model.ref).where(*matching).order_by(model.ref)
    if query.bbox is None:
        return list(session.scalars(stmt))
    if on_postgis(session.get_bind()):
        return list(session.scalars(stmt.where(func.ST_Intersects(model.geom, func.ST_MakeEnvelope(*query.bbox, SRID)))))
    x0, y0, x1, y1 = query.bbox
    rows = session.execute(select(model.ref, model.geom).where(
        *matching, model.maxx >= x0, model.minx <= x1, model.maxy >= y0, model.miny <= y1).order_by(model.ref)).all()
    if not rows:
        return []
    hits = shapely.intersects(shapely.from_wkb([r.geom for r in rows]), shapely.box(*query.bbox))
    return [r.ref for r, hit in zip(rows, hits) if hit]


def layer_collection(*, source: LayerSource, **fields) -> Collection:
    """Return the Collection of a layer table: ``fields`` are the Collection's (id, titles, queryables, extent …)."""
    def fetch(engine, settings, query: ItemQuery) -> Page:
        today = date.today()
        grid = next((f.value for f in query.filters if f.queryable.name == GRID_FILTER), None)
        with session_scope(engine) as session:
            if grid is not None:
                frame = source.load(session, bbox=query.bbox, grid=grid)
                rest = tuple(f for f in query.filters if f.queryable.name != GRID_FILTER)
                frame = frame[frame_mask(frame, rest) & _in_period(frame, source, query)]
                return Page(frame.iloc[query.offset: query.offset + query.limit], len(frame))
            refs = _matching_refs(session, source, query, today)
            frame = source.load(session, refs=refs[query.offset: query.offset + query.limit])
        return Page(frame, len(refs))

    def feature(engine, settings, ref: str):
        with session_scope(engine) as session:
            frame = source.load(session, refs=[ref])
        return frame if len(frame) else None

    return Collection(fetch=fetch, feature=feature, id_column="ref", temporal=source.period is not None, **fields)


def layer_extent(source: LayerSource, engine) -> Extent:
    """The layer's bounding box (CRS84, from the stored box columns) and, when dated, its period."""
    model = source.model
    columns = [func.min(model.minx), func.min(model.miny), func.max(model.maxx), func.max(model.maxy)]
    if source.period is not None:
        columns += [func.min(source.period[0]), func.max(source.period[1])]
    with session_scope(engine) as session:
        row = session.execute(select(*columns)).one()
    bbox = None if row[0] is None else tuple(float(v) for v in row[:4])
    if source.period is None:
        return Extent(bbox)
    first, last = _iso_day(row[4], "T00:00:00Z"), _iso_day(row[5], "T23:59:59Z")
    return Extent(bbox, (first, last) if first or last else None)


def _iso_day(value, time: str) -> str | None:
    """A day from an aggregate (SQLite answers text) as an RFC 3339 instant of that UTC day."""
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"{text[:10]}{time}"
