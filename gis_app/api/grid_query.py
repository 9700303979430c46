"""Grid reads for the API: filtered, paged FeatureCollections built without a per-row Python loop.

Geometries go from WKB to GeoJSON text in one vectorised shapely call and are embedded in the
response as orjson fragments, so a 2,000-grid page costs one query and one serialisation.
On PostGIS the bbox test (ST_Intersects on the GiST index), the simplification
(ST_SimplifyPreserveTopology) and the GeoJSON text of geometry and properties come from the
query; on SQLite the bbox columns pick candidates, shapely does the exact test and the
simplification, and Python the properties.
"""
from __future__ import annotations

import hashlib

import orjson
import shapely
from sqlalchemy import Text, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB

from ..errors import NotFound, ValidationFailed
from ..register import staffing_report
from ..storage import repository as repo
from ..storage import on_postgis, session_scope
from ..storage.geometry import SRID
from ..storage.schema import Grid

__all__ = ["grid_page", "grid_feature", "history", "page_etag", "METRES_PER_DEGREE"]

METRES_PER_DEGREE = 111_320.0
_COLUMNS = (Grid.code, Grid.name, Grid.community, Grid.type, Grid.households, Grid.population,
            Grid.sign_lon, Grid.sign_lat, Grid.area_m2, Grid.version, Grid.start_date, Grid.attrs)


def _bbox(text: str) -> tuple[float, ...]:
    box = tuple(float(v) for v in text.split(","))
    if not (box[0] <= box[2] and box[1] <= box[3]):
        raise ValidationFailed(f"bbox {text!r}: min must not exceed max (minlon,minlat,maxlon,maxlat)")
    return box


def _geometry_column(q: dict, postgis: bool):
    """The geometry to select: on PostGIS already simplified (same tolerance as shapely's path) and
    as GeoJSON text (9 decimals: the register keeps 1e-7°), so no geometry passes through Python."""
    if not postgis:
        return Grid.geom
    geom = Grid.geom.expression
    if q.get("simplify"):
        geom = func.ST_SimplifyPreserveTopology(geom, q["simplify"] / METRES_PER_DEGREE)
    return func.ST_AsGeoJSON(geom, 9).label("geom")


def _properties_column():
    """PostGIS: a grid's properties as JSON text built in the query, as :func:`_properties` does."""
    props = func.jsonb_build_object(
        "code", Grid.code, "name", Grid.name, "community", Grid.community, "street", func.substr(Grid.code, 1, 9),
        "district", func.substr(Grid.code, 1, 6), "type", Grid.type, "households", Grid.households,
        "population", Grid.population, "sign_lon", Grid.sign_lon, "sign_lat", Grid.sign_lat,
        "area_m2", Grid.area_m2, "version", Grid.version, "start_date", Grid.start_date)
    attrs = func.coalesce(cast(Grid.attrs, JSONB), cast("{}", JSONB))
    return cast(attrs.op("||")(props), Text).label("props")


def _statement(q: dict, under: str | None, postgis: bool = False):
    extra = (_properties_column(),) if postgis else ()
    stmt = (select(*_COLUMNS, _geometry_column(q, postgis), *extra)
            .where(Grid.end_date.is_(None)).order_by(Grid.code))
    if under:
        stmt = stmt.where(Grid.code.like(f"{under}%"))
    if q.get("cursor"):
        stmt = stmt.where(Grid.code > q["cursor"])
    if q.get("type"):
        stmt = stmt.where(Grid.type == q["type"])
    if q.get("bbox"):
        x0, y0, x1, y1 = _bbox(q["bbox"])
        if postgis:
            stmt = stmt.where(func.ST_Intersects(Grid.geom, func.ST_MakeEnvelope(x0, y0, x1, y1, SRID)))
        else:
            stmt = stmt.where(Grid.maxx >= x0, Grid.minx <= x1, Grid.maxy >= y0, Grid.miny <= y1)
    return stmt


def _under(q: dict) -> str | None:
    given = [q[k] for k in ("community", "street", "district") if q.get(k)]
    return given[0] if given else None


def _status_codes(engine, settings, q, under):
    table, _ = staffing_report(engine, settings, under)
    return table.loc[table["status"] == q["status"], "code"].tolist()


def _rows(engine, settings, q: dict):
    under = _under(q)
    postgis = on_postgis(engine)
    stmt = _statement(q, under, postgis)
    with session_scope(engine) as session:
        if q.get("status"):
            wanted = [c for c in _status_codes(engine, settings, q, under) if c > q.get("cursor", "")]
            codes = session.scalars(select(stmt.subquery().c.code)).all()
            keep = sorted(set(codes) & set(wanted))[: q["limit"] + 1]
            stmt = stmt.where(Grid.code.in_(keep or [""]))
        rows = session.connection().execute(stmt.limit(q["limit"] + 1)).all()  # Core rows: no ORM cost
    if q.get("bbox") and not postgis:
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


def _geometries(rows, simplify: float | None, postgis: bool = False) -> list:
    """GeoJSON fragments of the rows' geometries (WKB on SQLite, GeoJSON text from PostGIS)."""
    if postgis:
        return [orjson.Fragment(r.geom) for r in rows]
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
    """Return {'features': [...], 'next_cursor': code or None} for one page of grids."""
    rows = _rows(engine, settings, q)
    more = len(rows) > q["limit"]
    rows = rows[: q["limit"]]
    postgis = on_postgis(engine)
    geoms = _geometries(rows, q.get("simplify"), postgis) if rows else []
    props = [orjson.Fragment(r.props) for r in rows] if postgis else [_properties(r) for r in rows]
    features = [{"type": "Feature", "id": r.code, "properties": p, "geometry": g}
                for r, p, g in zip(rows, props, geoms)]
    return {"features": features, "next_cursor": rows[-1].code if more else None}


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
