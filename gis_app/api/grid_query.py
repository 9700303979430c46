"""Grid reads for the API: filtered, paged FeatureCollections built without a per-row Python loop.

Geometries go from WKB to GeoJSON text in one vectorised shapely call and are embedded in the
response as orjson fragments, so a 2,000-grid page costs one query and one serialisation.
On PostGIS the whole page is one query: the bbox test (ST_Intersects on the GiST index), the
simplification (ST_SimplifyPreserveTopology) and the features array are built in SQL, and the
array comes back as one JSON text that goes into the response untouched (a row per grid cost
Python 1.5-2x the query's own time on a 40,000-grid district); on SQLite the bbox columns pick
candidates, shapely does the exact test and the simplification, and Python the properties.
"""
from __future__ import annotations

import functools
import hashlib
import math

import orjson
import shapely
from sqlalchemy import JSON, Float, Integer, String, Text, any_, bindparam, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, aggregate_order_by

from ..errors import NotFound, ValidationFailed
from ..register import staffing_report
from ..storage import repository as repo
from ..storage import fetch_raw, on_postgis, session_scope
from ..storage.geometry import SRID
from ..storage.schema import Grid

__all__ = ["grid_page", "grid_feature", "history", "page_etag", "METRES_PER_DEGREE"]

METRES_PER_DEGREE = 111_320.0
_COLUMNS = (Grid.code, Grid.name, Grid.community, Grid.type, Grid.households, Grid.population,
            Grid.sign_lon, Grid.sign_lat, Grid.area_m2, Grid.version, Grid.start_date, Grid.attrs)


def _bbox(text: str) -> tuple[float, ...]:
    """Four finite lon/lat numbers, lower corner first; anything else is a 422 naming the value."""
    try:
        box = tuple(float(v) for v in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        raise ValidationFailed(f"bbox {text!r}: four finite numbers expected (minlon,minlat,maxlon,maxlat)")
    if not (-180 <= box[0] <= 180 and -180 <= box[2] <= 180 and -90 <= box[1] <= 90 and -90 <= box[3] <= 90):
        raise ValidationFailed(f"bbox {text!r}: longitudes must lie within -180..180 and latitudes within -90..90")
    if not (box[0] <= box[2] and box[1] <= box[3]):
        raise ValidationFailed(f"bbox {text!r}: min must not exceed max (minlon,minlat,maxlon,maxlat)")
    return box


def _geojson_properties(c):
    """PostGIS: a grid's properties built in the query, as :func:`_properties` does: the stored
    attributes under the register's own fields (merged as jsonb only where a grid has attributes)."""
    props = (("code", c.code), ("name", c.name), ("community", c.community), ("street", func.substr(c.code, 1, 9)),
             ("district", func.substr(c.code, 1, 6)), ("type", c.type), ("households", c.households),
             ("population", c.population), ("sign_lon", c.sign_lon), ("sign_lat", c.sign_lat),
             ("area_m2", c.area_m2), ("version", c.version), ("start_date", c.start_date))
    flat = [v for pair in props for v in pair]
    merged = cast(cast(c.attrs, JSONB).op("||")(func.jsonb_build_object(*flat)), JSON)
    plain = func.coalesce(func.nullif(cast(c.attrs, Text), "null"), "{}") == "{}"
    return case((plain, func.json_build_object(*flat)), else_=merged)


def _statement(q: dict, under: str | None):
    """SQLite: the filter as a statement; the bbox columns pick candidates (see :func:`_rows`)."""
    stmt = (select(*_COLUMNS, Grid.geom)
            .where(Grid.end_date.is_(None)).order_by(Grid.code))
    if under:
        stmt = stmt.where(Grid.code.like(f"{under}%"))
    if q.get("cursor"):
        stmt = stmt.where(Grid.code > q["cursor"])
    if q.get("type"):
        stmt = stmt.where(Grid.type == q["type"])
    if q.get("bbox"):
        x0, y0, x1, y1 = _bbox(q["bbox"])
        stmt = stmt.where(Grid.maxx >= x0, Grid.minx <= x1, Grid.maxy >= y0, Grid.miny <= y1)
    return stmt


def _under(q: dict) -> str | None:
    given = [q[k] for k in ("community", "street", "district") if q.get(k)]
    return given[0] if given else None


def _status_codes(engine, settings, q, under):
    table, _ = staffing_report(engine, settings, under)
    return table.loc[table["status"] == q["status"], "code"].tolist()


def _rows(engine, settings, q: dict):
    """SQLite: the page's rows (one more than the limit), the bbox tested exactly in shapely."""
    stmt = _statement(q, _under(q))
    with session_scope(engine) as session:
        if q.get("status"):   # a register rule, decided in Python: narrow to those codes
            wanted = [c for c in _status_codes(engine, settings, q, _under(q)) if c > q.get("cursor", "")]
            codes = session.scalars(select(stmt.subquery().c.code)).all()
            keep = sorted(set(codes) & set(wanted))[: q["limit"] + 1]
            stmt = stmt.where(Grid.code.in_(keep or [""]))
        rows = session.connection().execute(stmt.limit(q["limit"] + 1)).all()  # Core rows: no ORM cost
    if q.get("bbox"):
        x0, y0, x1, y1 = _bbox(q["bbox"])
        hits = shapely.intersects(shapely.from_wkb([r.geom for r in rows]), shapely.box(x0, y0, x1, y1)) if rows else []
        rows = [r for r, hit in zip(rows, hits) if hit]
    return rows


def _properties(row) -> dict:
    props = {"code": row.code, "name": row.name, "community": row.community, "street": row.code[:9],
             "district": row.code[:6], "type": row.type, "households": row.households,
             "population": row.population, "sign_lon": row.sign_lon, "sign_lat": row.sign_lat,
             "area_m2": row.area_m2, "version": row.version, "start_date": row.start_date.isoformat()}
    return {**(row.attrs or {}), **props}


def _geometries(rows, simplify: float | None) -> list:
    """GeoJSON fragments of the rows' WKB geometries (SQLite)."""
    geoms = shapely.from_wkb([r.geom for r in rows])
    if simplify:
        geoms = shapely.simplify(geoms, simplify / METRES_PER_DEGREE, preserve_topology=True)
    return [orjson.Fragment(text) for text in shapely.to_geojson(geoms)]


def page_etag(engine, query_string: bytes) -> str:
    """Return a weak ETag for a list query: the register version and the query (writes bump the version)."""
    with session_scope(engine) as session:
        version = repo.register_version(session)
    return f'W/"r{version}-{hashlib.sha1(query_string).hexdigest()[:16]}"'


def grid_page(engine, settings, q: dict) -> dict:
    """Return {'features': [...], 'returned': n, 'next_cursor': code or None} for one page of grids.

    On PostGIS ``features`` is the page's JSON array as one orjson fragment (see the module docstring).
    """
    if on_postgis(engine):
        return _postgis_page(engine, settings, q)
    rows = _rows(engine, settings, q)
    more = len(rows) > q["limit"]
    rows = rows[: q["limit"]]
    geoms = _geometries(rows, q.get("simplify")) if rows else []
    features = [{"type": "Feature", "id": r.code, "properties": _properties(r), "geometry": g}
                for r, g in zip(rows, geoms)]
    return {"features": features, "returned": len(features), "next_cursor": rows[-1].code if more else None}


def _postgis_page(engine, settings, q: dict) -> dict:
    """One query (see :func:`_page_sql`) run on a pooled DB-API connection in autocommit."""
    sql, constants = _page_sql(engine.dialect, *(bool(v) for v in (
        _under(q), q.get("cursor"), q.get("type"), q.get("bbox"), q.get("simplify"), q.get("status"))))
    values = {"limit": q["limit"], "under": f"{_under(q)}%", "cursor": q.get("cursor"), "type": q.get("type"),
              "tolerance": (q.get("simplify") or 0) / METRES_PER_DEGREE}
    if q.get("bbox"):
        values.update(zip(("x0", "y0", "x1", "y1"), _bbox(q["bbox"])))
    if q.get("status"):
        values["codes"] = [c for c in _status_codes(engine, settings, q, _under(q)) if c > q.get("cursor", "")]
    (returned, last, more, features), = fetch_raw(engine, sql, {**constants, **values}, serial=True)
    return {"features": orjson.Fragment(features), "returned": returned, "next_cursor": last if more else None}


@functools.lru_cache(maxsize=64)
def _page_sql(dialect, under: bool, cursor: bool, type_: bool, bbox: bool, simplify: bool, status: bool):
    """Return (SQL text, constant parameters) of the PostGIS page query for one combination of filters.

    The first ``limit`` grids of the filter become one JSON array built in the query, with their count,
    the last code and whether one more grid follows (the next page's cursor). Compiled once per
    combination: building and compiling the SQLAlchemy statement cost more than the query itself
    for a screen of 150 grids.
    """
    stmt = select(*_COLUMNS, Grid.geom.expression.label("geom")).where(Grid.end_date.is_(None))
    if under:
        stmt = stmt.where(Grid.code.like(bindparam("under", type_=String)))
    if cursor:
        stmt = stmt.where(Grid.code > bindparam("cursor", type_=String))
    if type_:
        stmt = stmt.where(Grid.type == bindparam("type", type_=String))
    if bbox:
        box = func.ST_MakeEnvelope(*(bindparam(k, type_=Float) for k in ("x0", "y0", "x1", "y1")), SRID)
        stmt = stmt.where(func.ST_Intersects(Grid.geom, box))
    if status:
        stmt = stmt.where(Grid.code == any_(bindparam("codes", type_=ARRAY(String))))
    limit = bindparam("limit", type_=Integer)
    page = (stmt.add_columns(func.row_number().over(order_by=Grid.code).label("n"))
            .order_by(Grid.code).limit(limit + 1).subquery())
    geom = func.ST_SimplifyPreserveTopology(page.c.geom, bindparam("tolerance", type_=Float)) if simplify else page.c.geom
    shown = page.c.n <= limit
    feature = func.json_build_object("type", "Feature", "id", page.c.code, "properties", _geojson_properties(page.c),
                                     "geometry", cast(func.ST_AsGeoJSON(geom, 9), JSON))
    query = select(func.count().filter(shown), func.max(page.c.code).filter(shown), func.count() > limit,
                   cast(func.coalesce(func.json_agg(aggregate_order_by(feature, page.c.code)).filter(shown),
                                      literal_column("'[]'::json")), Text))
    compiled = query.compile(dialect=dialect)
    constants = {k: v for k, v in compiled.params.items()
                 if k not in {"under", "cursor", "type", "x0", "y0", "x1", "y1", "codes", "limit", "tolerance"}}
    return str(compiled), constants


def grid_feature(engine, code: str) -> dict:
    """Return one active grid as a GeoJSON Feature."""
    with session_scope(engine) as session:
        row = session.execute(select(*_COLUMNS, Grid.geom).where(Grid.code == code, Grid.end_date.is_(None))).first()
    if row is None:
        raise NotFound(f"grid {code} is not an active grid in the register")
    return {"type": "Feature", "id": row.code, "properties": _properties(row),
            "geometry": orjson.loads(shapely.to_geojson(shapely.from_wkb(row.geom)))}


def history(engine, code: str) -> list[dict]:
    """Return every version of a grid, oldest first; 404 for a code never used."""
    with session_scope(engine) as session:
        versions = repo.grid_history(session, code)
    if not versions:
        raise NotFound(f"grid {code} has no history: the code was never used")
    return versions
