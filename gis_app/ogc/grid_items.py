"""The ``grids`` collection: the register as it stands, or as it stood at a datetime (grid_history).

Without ``datetime`` the items are the active grids, written exactly as the REST export writes
them (``repository.load_grids`` and the RFC 7946 writer). With ``datetime`` every grid version
in grid_history is in effect from its ``at`` until the next version's ``at`` (UTC); a retirement
ends the grid. A grid matches when one of its non-retired versions is in effect at some moment of
the interval, and the item shown is the last such version: the grid as it stood then.

The property filters (``QUERYABLES``: ``?community=…&type=…``) are SQL conditions on the grids
table for the register as it stands; with ``datetime`` they apply to the versions as they stood.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import func, select

from grids.roles import GRID_TYPES

from ..storage import on_postgis, session_scope
from ..storage import repository as repo
from ..storage.geometry import SRID
from ..storage.schema import Grid, GridHistory
from .collections import Collection, Extent, Page, page_of, register
from .facts import register_facts
from .params import ItemQuery
from .queryables import queryable, sql_conditions

__all__ = ["grids_at"]


def _active_codes(session, query: ItemQuery) -> list[str]:
    """The active grids the query matches: the property filters are SQL conditions (values bound); on
    PostGIS the bbox test runs in SQL on the GiST index too."""
    matching = (Grid.end_date.is_(None), *sql_conditions(query.filters))
    active = select(Grid.code).where(*matching).order_by(Grid.code)
    if query.bbox is None:
        return list(session.scalars(active))
    if on_postgis(session.get_bind()):
        return list(session.scalars(active.where(func.ST_Intersects(Grid.geom, func.ST_MakeEnvelope(*query.bbox, SRID)))))
    x0, y0, x1, y1 = query.bbox
    rows = session.execute(select(Grid.code, Grid.geom).where(
        *matching, Grid.maxx >= x0, Grid.minx <= x1, Grid.maxy >= y0, Grid.miny <= y1).order_by(Grid.code)).all()
    if not rows:
        return []
    hits = shapely.intersects(shapely.from_wkb([r.geom for r in rows]), shapely.box(*query.bbox))
    return [r.code for r, hit in zip(rows, hits) if hit]


def _fetch(engine, settings, query: ItemQuery) -> Page:
    if query.timed:
        return page_of(grids_at(engine, query.start, query.end), query)
    with session_scope(engine) as session:
        codes = _active_codes(session, query)
        page = codes[query.offset: query.offset + query.limit]
        frame = repo.load_grids(session, codes=page)
    return Page(frame, len(codes))


def grids_at(engine, start, end) -> gpd.GeoDataFrame:
    """Return the grids active at some moment of [start, end] (naive UTC, None = open), as they stood."""
    stmt = select(GridHistory.code, GridHistory.action, GridHistory.at, GridHistory.record) \
        .order_by(GridHistory.code, GridHistory.version)
    if end is not None:
        stmt = stmt.where(GridHistory.at <= end)  # later versions cannot be in effect inside the interval
    with session_scope(engine) as session:
        rows = session.execute(stmt).all()
    chosen: dict = {}
    for i, row in enumerate(rows):
        following = rows[i + 1] if i + 1 < len(rows) and rows[i + 1].code == row.code else None
        in_effect_until = following.at if following is not None else None
        lasted = in_effect_until is None or in_effect_until > row.at
        overlaps = lasted and (start is None or in_effect_until is None or in_effect_until > start)
        if row.action != "retire" and overlaps:
            chosen[row.code] = row.record  # later versions of the same code replace earlier ones
    records = [chosen[code] for code in sorted(chosen)]
    frame = pd.DataFrame([{**{c: r[c] for c in repo.GRID_COLUMNS}, **(r.get("attrs") or {})} for r in records],
                         columns=None if records else repo.GRID_COLUMNS)
    geoms = shapely.from_wkt([r["geometry"] for r in records]) if records else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def _feature(engine, settings, code: str):
    with session_scope(engine) as session:
        frame = repo.load_grids(session, codes=[code])
    return frame if len(frame) else None


def _extent(engine, settings) -> Extent:
    facts = register_facts(engine)
    first = facts["first_day"]
    return Extent(facts["grids"], (f"{first.isoformat()}T00:00:00Z" if first else None, None))


# The grid's own columns (the free attributes a file brought along are not queryable).
QUERYABLES = (
    queryable("code", "string", ("网格编码", "Grid code"), ("15位网格编码（社区编码 + 3位序号）",
              "15-digit grid code (community code + 3-digit number)"), column=Grid.code, pattern=r"^\d{15}$"),
    queryable("name", "string", ("网格名称", "Name"), ("网格名称，完全相同才匹配", "grid name, matched exactly"),
              column=Grid.name, max_length=200),
    queryable("community", "string", ("所属社区", "Community"), ("所属社区的12位编码", "12-digit code of the community "
              "the grid belongs to"), column=Grid.community, pattern=r"^\d{12}$"),
    queryable("type", "string", ("网格类型", "Grid type"), ("、".join(f"{k} {v}" for k, v in GRID_TYPES.items()),
              "one of " + ", ".join(GRID_TYPES)), column=Grid.type, enum=tuple(GRID_TYPES)),
    queryable("households", "integer", ("户数", "Households"), ("网格内户数", "households in the grid"),
              column=Grid.households),
    queryable("population", "integer", ("人口", "Population"), ("网格内常住人口", "residents of the grid"),
              column=Grid.population),
    queryable("area_m2", "number", ("面积（m²）", "Area (m²)"), ("在米制坐标系中量算的面积，按要素中写出的值完全匹配",
              "area measured in the metric CRS; matched exactly as the feature shows it"), column=Grid.area_m2),
    queryable("sign_lon", "number", ("公示牌经度", "Signboard longitude"), ("公示牌位置（WGS84 经度）",
              "signboard position (WGS84 longitude)"), column=Grid.sign_lon),
    queryable("sign_lat", "number", ("公示牌纬度", "Signboard latitude"), ("公示牌位置（WGS84 纬度）",
              "signboard position (WGS84 latitude)"), column=Grid.sign_lat),
    queryable("version", "integer", ("版本", "Version"), ("网格记录的版本号，每次修改加1", "version of the grid's record, "
              "one more at every change"), column=Grid.version),
    queryable("start_date", "string", ("生效日期", "Start date"), ("网格生效的日期", "the day the grid took effect"),
              column=Grid.start_date, format="date"),
)

register(Collection(
    id="grids",
    title={"zh": "网格", "en": "Grids"},
    description={"zh": "网格登记册中的网格（15位编码、户数、人口、类型）；datetime 可查询历史状态",
                 "en": "The register's grids (15-digit codes, households, population, type); "
                       "datetime reads the register as it stood then"},
    fetch=_fetch, feature=_feature, extent=_extent, temporal=True, queryables=QUERYABLES,
))
