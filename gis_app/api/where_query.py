"""Region and staffing reads for the API, in plain JSON-ready shapes."""
from __future__ import annotations

import math

import orjson
import shapely
from sqlalchemy import select

from grids.codes import check_region_code, one_region

from ..errors import NotFound
from ..register import locate, person_entry, staffing_report
from ..storage import repository as repo
from ..storage import on_postgis, register_version_now, session_scope
from ..storage.cache import PatchedCache
from ..storage.frontage_index import responsible_at
from ..storage.live_index import live_index
from ..storage.schema import Grid, Region

__all__ = ["region_list", "region_feature", "staffing", "locate_cached", "locate_answer"]

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
    check_region_code(code)
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
    table, rollup = staffing_report(engine, settings, one_region(**under))
    return {"grids": _clean(table.to_dict("records")), "rollup": _clean(rollup.to_dict("records"))}


def _answers_of(engine, codes=None) -> dict:
    """Build the locate answer (minus the point) of every active grid, or of those among ``codes``."""
    def among(column, values=codes):
        return column.in_(sorted(values)) if values is not None else True
    with session_scope(engine) as session:
        grids = session.execute(select(Grid.code, Grid.name, Grid.type, Grid.households)
                                .where(Grid.end_date.is_(None), among(Grid.code))).all()
        regions = {c[:n] for c in codes for n in (6, 9, 12)} if codes is not None else None
        names = dict(session.execute(select(Region.code, Region.name).where(among(Region.code, regions))).all())
        roles = repo.load_roles(session, grids=codes)
    people: dict = {}
    for r in roles.itertuples():
        people.setdefault(r.grid, []).append(person_entry(r.role, r.name, r.person, r.backup_name, r.backup))
    region = lambda c: {"code": c, "name": names.get(c)}  # noqa: E731
    return {g.code: {"grid": {"code": g.code, "name": g.name, "type": g.type, "households": g.households},
                     "community": region(g.code[:12]), "street": region(g.code[:9]),
                     "district": region(g.code[:6]), "people": people.get(g.code, [])} for g in grids}


def _patch_answers(answers: dict, engine, codes: set) -> dict:
    """A grid write changes the answer of that grid only (its roles go with it when it is retired)."""
    fresh = _answers_of(engine, codes)
    for code in codes - set(fresh):   # retired
        answers.pop(code, None)
    answers.update(fresh)             # one dict operation per grid: a reader sees the old or the new answer
    return answers


# Answers of locate per grid (SQLite), patched in place for the grids written since.
_answers = PatchedCache("locate answers", _answers_of, _patch_answers)


def locate_cached(engine, lon: float, lat: float, crs: str | None = None) -> dict:
    """Answer ``locate`` like :func:`gis_app.register.locate` from answers kept across writes.

    Points in another CRS and points outside every grid take the full path, which also gives
    their error; everything else costs one version check, one look-up in the live rtree index
    and a dictionary look-up. On PostGIS the full path is one indexed SQL query already:
    nothing is cached in the process.
    """
    if crs or not (-180 <= lon <= 180 and -90 <= lat <= 90) or on_postgis(engine):
        return locate(engine, lon, lat, crs)
    version = register_version_now(engine)
    answer = _answers.get(engine, version).get(live_index(engine, version).locate(lon, lat))
    if answer is None:
        return locate(engine, lon, lat)
    return {"lon": lon, "lat": lat, **answer}


def locate_answer(engine, lon: float, lat: float, crs: str | None = None) -> dict:
    """The answer of ``/locate``: the grid's (:func:`locate_cached`), the frontage unit and the key place there."""
    answer = locate_cached(engine, lon, lat, crs)
    return {**answer, **responsible_at(engine, answer["lon"], answer["lat"])}
