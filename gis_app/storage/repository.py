"""Reads and writes of the register. Every function takes the caller's session."""
from __future__ import annotations

from datetime import date, datetime, timezone

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session, aliased

from .db import IN_CHUNK, fetch_in, fetch_tuples, insert_rows
from .frontage_writes import bump_layer_version
from .schema import (Building, Case, CaseEvent, Frontage, Grid, GridHistory, ImportLog, Inspection, Meta, Person, Place,
                     Region, Road, Role)

__all__ = [
    "now", "load_regions", "load_grids", "load_grid_table", "grid_bounds", "load_people", "load_roles",
    "used_grid_codes", "grid_codes_of", "active_grids_of", "register_version", "bump_register_version",
    "upsert_regions", "write_grid", "write_grids", "retire_grid",
    "grid_history", "upsert_people", "replace_roles", "log_import", "GRID_COLUMNS", "person_ids", "grid_counts",
    "find_active_grids", "wipe_register",
]

CHUNK = 5000  # bound parameters per IN list: far below SQLite's and PostgreSQL's limits

GRID_COLUMNS = ["code", "name", "community", "type", "households", "population", "sign_lon", "sign_lat",
                "area_m2", "version", "start_date", "end_date"]


def _chunks(values) -> list[list]:
    values = list(values)
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)] or [[]]


def now() -> datetime:
    """Return the current UTC time without tzinfo (stored as UTC on every backend)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _under(column, code):
    return column.like(f"{code}%") if code else True


def load_regions(session: Session, *, level: str | None = None, under: str | None = None) -> gpd.GeoDataFrame:
    """Return regions (code, name, level, parent, geometry) ordered by code."""
    stmt = select(Region).where(_under(Region.code, under)).order_by(Region.code)
    if level:
        stmt = stmt.where(Region.level == level)
    rows = session.scalars(stmt).all()
    geoms = shapely.from_wkb([r.geom for r in rows]) if rows else []
    frame = pd.DataFrame({"code": [r.code for r in rows], "name": [r.name for r in rows],
                          "level": [r.level for r in rows], "parent": [r.parent for r in rows]})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def load_grids(session: Session, *, under: str | None = None, retired: bool = False,
               codes=None) -> gpd.GeoDataFrame:
    """Return grids with their attributes spread into columns, active ones unless ``retired``."""
    stmt = select(Grid).where(_under(Grid.code, under)).order_by(Grid.code)
    if not retired:
        stmt = stmt.where(Grid.end_date.is_(None))
    if codes is None:
        rows = session.scalars(stmt).all()
    else:
        rows = sorted((r for chunk in _chunks(codes) for r in session.scalars(stmt.where(Grid.code.in_(chunk)))),
                      key=lambda r: r.code)
    frame = pd.DataFrame([{**{c: getattr(r, c) for c in GRID_COLUMNS}, **(r.attrs or {})} for r in rows],
                         columns=None if rows else GRID_COLUMNS)
    geoms = shapely.from_wkb([r.geom for r in rows]) if rows else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def load_grid_table(session: Session, *, under: str | None = None) -> pd.DataFrame:
    """Return the active grids' code, name, community and households ordered by code: no geometry, no attrs."""
    stmt = (select(Grid.code, Grid.name, Grid.community, Grid.households)
            .where(_under(Grid.code, under), Grid.end_date.is_(None)).order_by(Grid.code))
    return pd.DataFrame(fetch_tuples(session, stmt), columns=["code", "name", "community", "households"], dtype=object)


def grid_bounds(session: Session, *, under: str | None = None) -> tuple | None:
    """Return (minx, miny, maxx, maxy) in lon/lat of the active grids under a region code, None without grids."""
    row = session.execute(select(func.min(Grid.minx), func.min(Grid.miny), func.max(Grid.maxx), func.max(Grid.maxy))
                          .where(_under(Grid.code, under), Grid.end_date.is_(None))).one()
    return None if row[0] is None else tuple(float(v) for v in row)


def load_people(session: Session) -> pd.DataFrame:
    """Return every person (phone, name, photo)."""
    rows = session.execute(select(Person.phone, Person.name, Person.photo).order_by(Person.phone)).all()
    return pd.DataFrame(rows, columns=["phone", "name", "photo"])


def load_roles(session: Session, *, under: str | None = None, people_under: str | None = None,
               names: bool = True, grids=None) -> pd.DataFrame:
    """Return roles of active grids as (grid, person, name, role, backup, backup_name); person and backup are phones.

    ``under``: only the roles of grids under a region code. ``people_under``: every role of the
    people who serve some grid under a region code, so each one's grid count stays whole (the
    staffing rule on grids per person) without reading the roles of the whole register.
    ``names=False`` leaves out the two name columns (the staffing rules need the phones only).
    ``grids``: only the roles of these grid codes (looked up on the roles' grid index).
    """
    backup = aliased(Person)
    columns = (Role.grid, Person.phone, Person.name, Role.role, backup.phone, backup.name)
    labels = ["grid", "person", "name", "role", "backup", "backup_name"]
    if not names:
        columns, labels = columns[:2] + columns[3:5], labels[:2] + labels[3:5]
    stmt = (select(*columns)
            .join(Person, Role.person_id == Person.id).outerjoin(backup, Role.backup_id == backup.id)
            .join(Grid, Grid.code == Role.grid).where(Grid.end_date.is_(None), _under(Role.grid, under))
            .order_by(Role.grid, Role.role, Person.phone))
    if people_under:
        stmt = stmt.where(Role.person_id.in_(select(Role.person_id).where(_under(Role.grid, people_under))))
    if grids is not None:
        rows = [r for chunk in _chunks(sorted(grids)) for r in session.execute(stmt.where(Role.grid.in_(chunk)))]
        return pd.DataFrame([tuple(r) for r in rows], columns=labels, dtype=object)
    return pd.DataFrame(fetch_tuples(session, stmt), columns=labels, dtype=object)


def used_grid_codes(session: Session, community: str) -> list[str]:
    """Return every grid code ever used in a community, retired ones included."""
    return list(session.scalars(select(Grid.code).where(Grid.community == community)))


def grid_codes_of(session: Session, communities) -> pd.DataFrame:
    """Return every grid code ever used in ``communities`` (code, community, retired), in one query per 5,000."""
    rows = [r for chunk in _chunks(communities) for r in session.execute(
        select(Grid.code, Grid.community, Grid.end_date.is_not(None)).where(Grid.community.in_(chunk)))]
    return pd.DataFrame(rows, columns=["code", "community", "retired"], dtype=object)


_STORED = (Grid.code, Grid.community, Grid.name, Grid.type, Grid.households, Grid.population, Grid.sign_lon,
           Grid.sign_lat, Grid.geom, Grid.attrs)


def active_grids_of(session: Session, communities, *, fields: bool = False) -> pd.DataFrame:
    """Return the active grids of ``communities``: code and geometry, and with ``fields`` every written field and attrs.

    The bulk read of an import (its sibling grids, its diff): plain columns, no ORM objects.
    """
    columns = _STORED if fields else (Grid.code, Grid.geom)
    rows = [r for chunk in _chunks(communities) for r in session.execute(
        select(*columns).where(Grid.community.in_(chunk), Grid.end_date.is_(None)).order_by(Grid.code))]
    frame = pd.DataFrame(rows, columns=[c.key for c in columns], dtype=object)
    frame["geometry"] = shapely.from_wkb(frame.pop("geom").to_numpy()) if len(frame) else []
    return frame


def register_version(session: Session) -> int:
    """Return the register's version: it changes with every write."""
    value = session.scalar(select(Meta.value).where(Meta.key == "register_version"))
    return int(value or 0)


def bump_register_version(session: Session) -> int:
    """Increase the register version inside the caller's transaction."""
    row = session.get(Meta, "register_version")
    if row is None:
        row = Meta(key="register_version", value="0")
        session.add(row)
    row.value = str(int(row.value) + 1)
    return int(row.value)


def upsert_regions(session: Session, records: list[dict], at: datetime) -> None:
    """Insert or update regions by code; a record without geometry keeps the stored boundary."""
    for rec in records:
        row = session.get(Region, rec["code"]) or Region(code=rec["code"])
        row.name, row.level, row.parent = rec["name"], rec["level"], rec.get("parent")
        if rec.get("geometry") is not None:
            row.geom = shapely.to_wkb(rec["geometry"])
        row.attrs = {**(row.attrs or {}), **rec.get("attrs", {})}
        row.updated_at = at
        session.add(row)


def _snapshot(row: Grid) -> dict:
    record = {c: getattr(row, c) for c in GRID_COLUMNS}
    for key in ("start_date", "end_date"):
        record[key] = record[key].isoformat() if record[key] else None
    record["attrs"] = row.attrs
    record["geometry"] = shapely.to_wkt(shapely.from_wkb(row.geom), rounding_precision=9)
    return record


def _history(session: Session, row: Grid, action: str, by: str, at: datetime) -> None:
    session.add(GridHistory(code=row.code, version=row.version, action=action, at=at, by=by,
                            record=_snapshot(row)))


_WRITTEN = ("community", "name", "type", "households", "population", "sign_lon", "sign_lat", "area_m2")


def write_grid(session: Session, rec: dict, by: str, at: datetime) -> str:
    """Create or update one grid from a validated record; returns 'created' or 'updated'."""
    return write_grids(session, [rec], by, at)[0]


def write_grids(session: Session, records: list[dict], by: str, at: datetime) -> list[str]:
    """Create or update grids from validated records, each with its history row, in bulk.

    Three statements however many grids (one executemany each for new rows, changed rows and
    history), where a row at a time cost a round of ORM bookkeeping per grid. Returns
    'created' or 'updated' per record.
    """
    if not records:
        return []
    stored = {}
    for chunk in _chunks([r["code"] for r in records]):
        stored.update((code, (version, start)) for code, version, start in session.execute(
            select(Grid.code, Grid.version, Grid.start_date).where(Grid.code.in_(chunk))))
    geoms = np.asarray([r["geometry"] for r in records], dtype=object)
    wkb, wkt, bounds = shapely.to_wkb(geoms), shapely.to_wkt(geoms, rounding_precision=9), shapely.bounds(geoms)
    rows, history = [], []
    for i, rec in enumerate(records):
        version, start = stored.get(rec["code"], (0, at.date()))
        row = {"code": rec["code"], **{k: rec[k] for k in _WRITTEN}, "geom": wkb[i],
               "minx": float(bounds[i, 0]), "miny": float(bounds[i, 1]), "maxx": float(bounds[i, 2]),
               "maxy": float(bounds[i, 3]), "version": version + 1, "start_date": start, "end_date": None,
               "attrs": rec.get("attrs", {}), "updated_at": at, "updated_by": by}
        rows.append(row)
        record = {c: row[c] for c in GRID_COLUMNS}
        record["start_date"] = start.isoformat()
        record.update(attrs=row["attrs"], geometry=wkt[i])
        history.append({"code": rec["code"], "version": version + 1, "action": "update" if version else "create",
                        "at": at, "by": by, "record": record})
    session.flush()  # pending ORM changes (a retired grid) go first
    new = [r for r in rows if r["version"] == 1]
    changed = [{**r, "key": r["code"]} for r in rows if r["version"] > 1]
    if new:
        session.execute(insert(Grid.__table__), new)
    if changed:
        table = Grid.__table__
        session.execute(update(table).where(table.c.code == bindparam("key")), changed)
    session.execute(insert(GridHistory.__table__), history)
    return ["updated" if r["version"] > 1 else "created" for r in rows]


def retire_grid(session: Session, code: str, by: str, at: datetime, end: date | None = None) -> bool:
    """Retire a grid (its code is never reused), keeping its history; False when not active."""
    row = session.get(Grid, code)
    if row is None or row.end_date is not None:
        return False
    row.end_date = end or at.date()
    row.version += 1
    row.updated_at, row.updated_by = at, by
    session.execute(delete(Role).where(Role.grid == code))
    session.flush()
    _history(session, row, "retire", by, at)
    return True


def grid_history(session: Session, code: str) -> list[dict]:
    """Return every version of a grid, oldest first."""
    rows = session.scalars(select(GridHistory).where(GridHistory.code == code).order_by(GridHistory.version))
    return [{"version": r.version, "action": r.action, "at": r.at.isoformat(), "by": r.by, "record": r.record}
            for r in rows]


def upsert_people(session: Session, people: list[tuple], known: dict | None = None) -> dict:
    """Insert or update people, given as (phone, name, photo) tuples, by phone in bulk; returns phone → id.

    ``known``: phone → id of these people already in the register, when the caller has just read it.
    """
    ids = person_ids(session, [p[0] for p in people]) if known is None else known
    fresh = [p for p in people if p[0] not in ids]
    names = [{"id": ids[p[0]], "name": p[1]} for p in people if p[0] in ids]
    photos = [{"id": ids[p[0]], "photo": p[2]} for p in people if p[0] in ids and p[2]]
    session.flush()
    last = session.scalar(select(func.max(Person.id))) or 0
    if fresh:
        insert_rows(session, "people", ("phone", "name", "photo"), fresh)
    for rows in (names, photos):
        if rows:
            session.execute(update(Person), rows)  # ORM bulk UPDATE by primary key
    # The new rows' ids are above every id before the insert: one range scan of the key, where
    # looking the fresh phones up again took a dozen 5,000-value IN lists on 60,000 people.
    added = dict(fetch_tuples(session, select(Person.phone, Person.id).where(Person.id > last))) if fresh else {}
    return {**ids, **added}


def person_ids(session: Session, phones) -> dict:
    """Return phone → id for the people already in the register.

    Asked about more phones than a quarter of the register holds (a people file, a first import),
    one scan of the table answers; else IN lists of the phones.
    """
    phones = set(phones)
    if len(phones) > IN_CHUNK and 4 * len(phones) > (session.scalar(select(func.count()).select_from(Person)) or 0):
        return {phone: id_ for phone, id_ in fetch_tuples(session, select(Person.phone, Person.id)) if phone in phones}
    return dict(fetch_in(session, "SELECT phone, id FROM people WHERE phone {values}", phones))


def replace_roles(session: Session, grids, rows: list[tuple]) -> None:
    """Replace every role of ``grids`` by ``rows`` ((grid, person id, role, backup's person id) tuples), in bulk."""
    for chunk in _chunks(grids):
        session.execute(delete(Role).where(Role.grid.in_(chunk)))
    if rows:
        insert_rows(session, "roles", ("grid", "person_id", "role", "backup_id"), rows)


def grid_counts(session: Session) -> dict:
    """Return the number of active grids per community."""
    stmt = select(Grid.community, func.count()).where(Grid.end_date.is_(None)).group_by(Grid.community)
    return dict(session.execute(stmt).all())


def log_import(session: Session, *, by: str, layer: str, source: str, landed: bool, summary: str) -> None:
    """Record an import attempt (landed or refused)."""
    session.add(ImportLog(at=now(), by=by, layer=layer, source=source[:500], landed=landed, summary=summary))


def find_active_grids(session: Session, codes) -> set:
    """Return which of ``codes`` are active grids."""
    return {r[0] for r in fetch_in(session, "SELECT code FROM grids WHERE end_date IS NULL AND code {values}", codes)}


def wipe_register(session: Session) -> None:
    """Delete every region, grid, history row, person, role, frontage, place, road, building, inspection and case.

    What ``demo --replace`` starts from: cases and inspections name grids, so they go with them.
    """
    for table in (CaseEvent, Case, Inspection, Role, GridHistory, Grid, Person, Region, Frontage, Place, Road,
                  Building):
        session.execute(delete(table))
    bump_register_version(session)
    for layer in ("frontages", "places", "roads", "buildings", "inspections", "cases"):
        bump_layer_version(session, layer)
