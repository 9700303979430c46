"""Questions asked of the register: which grid holds a point, how is it staffed.

Each function opens its own read session on the engine it is given; the CLI, the pages
and the API call these, never the tables directly.
"""
from __future__ import annotations

import threading

import shapely
from sqlalchemy import select

from grids.crs import CRSError, parse_crs, to_wgs84_geometries
from grids.locate import GridIndex
from grids.roles import ROLE_LABELS
from grids.staffing import staffing_rollup, staffing_table

from .errors import NotFound, ValidationFailed, checked_region_code
from .storage import repository as repo
from .storage import session_scope
from .storage.schema import Grid, Region

__all__ = ["grid_index", "locate", "locate_many", "staffing_report", "region_tree"]

_lock = threading.Lock()
_indexes: dict = {}


def grid_index(engine) -> GridIndex:
    """Return the spatial index of active grids, rebuilt only when the register version moved."""
    with session_scope(engine) as session:
        version = repo.register_version(session)
        key = str(engine.url)
        cached = _indexes.get(key)
        if cached and cached[0] == version:
            return cached[1]
        rows = session.execute(select(Grid.code, Grid.geom).where(Grid.end_date.is_(None))).all()
    index = GridIndex([r[0] for r in rows], shapely.from_wkb([r[1] for r in rows]) if rows else [])
    with _lock:
        _indexes[key] = (version, index)
    return index


def locate_many(engine, lon, lat):
    """Return the grid code holding each point (arrays of lon/lat in EPSG:4326)."""
    return grid_index(engine).locate_xy(lon, lat)


def _point(lon, lat, crs):
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ValidationFailed(f"lon and lat must be numbers, got {lon!r}, {lat!r}") from None
    if crs:
        try:
            point = to_wgs84_geometries([shapely.Point(lon, lat)], parse_crs(crs))[0]
        except CRSError as exc:
            raise ValidationFailed(str(exc)) from None
        lon, lat = point.x, point.y
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed(f"({lon}, {lat}) is not longitude/latitude; give crs= for projected coordinates")
    return lon, lat


def locate(engine, lon, lat, crs=None) -> dict:
    """Return the grid, community, street and district holding a point, and the grid's people."""
    lon, lat = _point(lon, lat, crs)
    code = grid_index(engine).locate(lon, lat)
    if code is None:
        raise NotFound(f"no grid holds the point ({lon:.6f}, {lat:.6f})")
    with session_scope(engine) as session:
        grid = session.get(Grid, code)
        names = dict(session.execute(select(Region.code, Region.name).where(
            Region.code.in_([code[:6], code[:9], code[:12]]))).all())
        roles = repo.load_roles(session, under=code)
    people = [{"role": r.role, "role_label": ROLE_LABELS[r.role], "name": r.name, "phone": r.person,
               "backup": {"name": r.backup_name, "phone": r.backup} if r.backup else None}
              for r in roles.itertuples()]
    region = lambda c: {"code": c, "name": names.get(c)}  # noqa: E731
    return {"lon": lon, "lat": lat,
            "grid": {"code": grid.code, "name": grid.name, "type": grid.type, "households": grid.households},
            "community": region(code[:12]), "street": region(code[:9]), "district": region(code[:6]),
            "people": people}


def staffing_report(engine, settings: dict, under: str | None = None):
    """Return (per-grid staffing table, roll-up per region) for the register or one region."""
    if under is not None:
        checked_region_code(under)
    with session_scope(engine) as session:
        grids = repo.load_grids(session, under=under)
        roles = repo.load_roles(session)  # all roles: spread over grids counts outside ``under`` too
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
