"""Questions asked of the register: which grid holds a point, how is it staffed.

Each function opens its own read session on the engine it is given; the CLI, the pages
and the API call these, never the tables directly.
"""
from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import select

from grids.codes import check_region_code
from grids.crs import parse_crs, to_wgs84_geometries
from grids.locate import GridIndex
from grids.roles import ROLE_LABELS
from grids.staffing import staffing_rollup, staffing_table

from .errors import NotFound, ValidationFailed
from .storage import repository as repo
from .storage import fetch_raw, on_postgis, register_version_now, session_scope
from .storage.cache import VersionCache
from .storage.live_index import live_index
from .storage.schema import Grid, Region

__all__ = ["grid_index", "locate", "locate_many", "person_entry", "staffing_report", "region_tree",
           "LOCATE_SQL"]

_bulk_indexes = VersionCache("bulk grid index (STRtree)")

# PostGIS: the whole answer of ``locate`` in one query, the grid found through the GiST index on
# grids.geom. ST_Contains like the index path's contains_xy: a point on a boundary is in no grid.
LOCATE_SQL = """
SELECT g.code, g.name, g.type, g.households,
       (SELECT name FROM regions WHERE code = substr(g.code, 1, 12)),
       (SELECT name FROM regions WHERE code = substr(g.code, 1, 9)),
       (SELECT name FROM regions WHERE code = substr(g.code, 1, 6)),
       (SELECT json_agg(json_build_array(r.role, p.name, p.phone, b.name, b.phone) ORDER BY r.role, p.phone)
          FROM roles r JOIN people p ON p.id = r.person_id LEFT JOIN people b ON b.id = r.backup_id
         WHERE r.grid = g.code)
  FROM grids g
 WHERE g.end_date IS NULL AND ST_Contains(g.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))
 ORDER BY g.code LIMIT 1"""
_LOCATE_MANY_SQL = ("SELECT p.i, g.code FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i) "
                    "CROSS JOIN LATERAL (SELECT code FROM grids WHERE end_date IS NULL AND "
                    "ST_Contains(geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)) ORDER BY code LIMIT 1) g")


def grid_index(engine) -> GridIndex:
    """Return the STRtree of active grids for bulk look-ups (a million points), built once per register version.

    SQLite's bulk index; on PostGIS the queries below use the GiST index instead. A single point's
    ``locate`` and the map tiles use the live rtree index (:func:`gis_app.storage.live_index.live_index`),
    which a write patches instead of building again.
    """
    def build():
        with session_scope(engine) as session:
            rows = session.execute(select(Grid.code, Grid.geom).where(Grid.end_date.is_(None))).all()
        return GridIndex([r[0] for r in rows], shapely.from_wkb([r[1] for r in rows]) if rows else [])
    return _bulk_indexes.get(engine, register_version_now(engine), build)


def locate_many(engine, lon, lat):
    """Return the grid code holding each point (arrays of lon/lat in EPSG:4326)."""
    if on_postgis(engine):
        lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
        result = np.full(len(lon), None, dtype=object)
        for i, code in fetch_raw(engine, _LOCATE_MANY_SQL, (lon.tolist(), lat.tolist())):
            result[i - 1] = code
        return result
    return grid_index(engine).locate_xy(lon, lat)


def _point(lon, lat, crs):
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ValidationFailed(f"lon and lat must be numbers, got {lon!r}, {lat!r}") from None
    if crs:
        point = to_wgs84_geometries([shapely.Point(lon, lat)], parse_crs(crs))[0]
        lon, lat = point.x, point.y
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed(f"({lon}, {lat}) is not longitude/latitude; give crs= for projected coordinates")
    return lon, lat


def person_entry(role, name, phone, backup_name, backup_phone) -> dict:
    """Return one person of a grid as ``locate`` answers it."""
    return {"role": role, "role_label": ROLE_LABELS[role], "name": name, "phone": phone,
            "backup": {"name": backup_name, "phone": backup_phone} if backup_phone else None}


def _answer(code, name, kind, households, names: dict, people: list) -> dict:
    region = lambda c: {"code": c, "name": names.get(c)}  # noqa: E731
    return {"grid": {"code": code, "name": name, "type": kind, "households": households},
            "community": region(code[:12]), "street": region(code[:9]), "district": region(code[:6]),
            "people": people}


def _locate_sql(engine, lon, lat) -> dict | None:
    rows = fetch_raw(engine, LOCATE_SQL, (lon, lat), plan_once=True)
    if not rows:
        return None
    code, name, kind, households, community, street, district, people = rows[0]
    names = {code[:12]: community, code[:9]: street, code[:6]: district}
    return _answer(code, name, kind, households, names, [person_entry(*p) for p in people or []])


def _locate_index(engine, lon, lat) -> dict | None:
    code = live_index(engine).locate(lon, lat)
    if code is None:
        return None
    with session_scope(engine) as session:
        grid = session.get(Grid, code)
        names = dict(session.execute(select(Region.code, Region.name).where(
            Region.code.in_([code[:6], code[:9], code[:12]]))).all())
        roles = repo.load_roles(session, under=code)
    people = [person_entry(r.role, r.name, r.person, r.backup_name, r.backup) for r in roles.itertuples()]
    return _answer(grid.code, grid.name, grid.type, grid.households, names, people)


def locate(engine, lon, lat, crs=None) -> dict:
    """Return the grid, community, street and district holding a point, and the grid's people.

    One SQL query on PostGIS (GiST index); the live rtree index and three reads on SQLite.
    """
    lon, lat = _point(lon, lat, crs)
    found = _locate_sql(engine, lon, lat) if on_postgis(engine) else _locate_index(engine, lon, lat)
    if found is None:
        raise NotFound(f"no grid holds the point ({lon:.6f}, {lat:.6f})")
    return {"lon": lon, "lat": lat, **found}


def staffing_report(engine, settings: dict, under: str | None = None):
    """Return (per-grid staffing table, roll-up per region) for the register or one region."""
    if under is not None:
        check_region_code(under)
    with session_scope(engine) as session:
        grids = repo.load_grids(session, under=under)
        roles = repo.load_roles(session, people_under=under)  # their grids outside ``under`` count too
        regions = repo.load_regions(session)
    if under is not None and grids.empty and under not in set(regions["code"]):
        raise NotFound(f"region {under} is not in the register")
    table = staffing_table(grids, roles,
                           settings["SANIGRID_MAX_GRIDS_PER_PERSON"])
    table.insert(1, "name", list(grids["name"]))
    return table, staffing_rollup(table, regions)


def region_tree(engine, settings: dict) -> list[dict]:
    """Return districts → streets → communities → grids with staffing status, for the index page."""
    table, rollup = staffing_report(engine, settings)
    by_parent: dict = {}
    for row in rollup.itertuples():
        by_parent.setdefault(row.code[: {"district": 0, "street": 6, "community": 9}[row.level]], []).append(row)
    grids: dict = {}
    for row in table.itertuples():
        grids.setdefault(row.community, []).append(row)

    def node(row):
        children = grids.get(row.code, []) if row.level == "community" else [node(c) for c in by_parent.get(row.code, [])]
        return {"region": row, "children": children}

    return [node(r) for r in by_parent.get("", [])]
