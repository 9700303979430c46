"""What the running app keeps of the register between requests, patched grid by grid after a write.

- :func:`live_index`: on SQLite, the active grids in an ``rtree`` index (:class:`grids.locate.LiveGridIndex`)
  for map tiles and ``locate``. PostGIS answers both from its GiST index and keeps none.
- :func:`grid_statuses`: every active grid's staffing status (the map's colours), on both backends.

Both are :class:`.cache.PatchedCache` values: after a write of a few grids (by this process or
another, read from the grid history) only those grids are read again; anything else (people,
roles, regions, a bulk import) builds the value again. The STRtree of
:func:`gis_app.register.grid_index` stays for bulk look-ups.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select

from grids.locate import LiveGridIndex
from grids.staffing import staffing_table

from .cache import PatchedCache
from .db import fetch_raw, register_version_now, session_scope
from .schema import Grid, Role

__all__ = ["live_index", "grid_statuses", "StatusMap"]

# The status map's inputs: plain tuples on a DB-API connection (SQLAlchemy rows and a DataFrame
# built from them were 2 of the 7 s of a 200,000-grid map).
_GRIDS_SQL = "SELECT code, community, households FROM grids WHERE end_date IS NULL"
_ROLES_SQL = ("SELECT r.grid, r.person_id, r.role, r.backup_id FROM roles r "
              "JOIN grids g ON g.code = r.grid AND g.end_date IS NULL")
_ROLE_COLUMNS = ["grid", "person", "role", "backup"]


def _active_outlines(session, codes=None) -> tuple[list, list]:
    stmt = select(Grid.code, Grid.geom).where(Grid.end_date.is_(None))
    if codes is not None:
        stmt = stmt.where(Grid.code.in_(sorted(codes)))
    rows = session.execute(stmt).all()
    return [r.code for r in rows], list(shapely.from_wkb([r.geom for r in rows])) if rows else []


def _build_index(engine) -> LiveGridIndex:
    with session_scope(engine) as session:
        return LiveGridIndex(*_active_outlines(session))


def _patch_index(index: LiveGridIndex, engine, codes: set) -> LiveGridIndex:
    with session_scope(engine) as session:
        active = dict(zip(*_active_outlines(session, codes)))
    for code in codes:
        if code in active:
            index.upsert(code, active[code])
        else:
            index.remove(code)
    return index


_indexes = PatchedCache("live grid index", _build_index, _patch_index)


def live_index(engine, version: int | None = None) -> LiveGridIndex:
    """Return this process's rtree index of the register's active grids at ``version`` (read when not given)."""
    return _indexes.get(engine, register_version_now(engine) if version is None else version)


class StatusMap:
    """Each active grid's staffing status, with who serves which grid (what a patch needs to know)."""

    def __init__(self, statuses: dict, roles: pd.DataFrame):
        self.statuses = statuses
        self.people_of: dict = {}
        self.grids_of: dict = {}
        self._learn(roles, set(statuses))

    def _learn(self, roles: pd.DataFrame, grids: set) -> None:
        """Replace what is known of who serves ``grids`` (and every grid of those people) by ``roles``."""
        for code in grids:
            for person in self.people_of.pop(code, ()):
                self.grids_of.get(person, set()).discard(code)
        for grid, person, backup in zip(roles["grid"].tolist(), roles["person"].tolist(), roles["backup"].tolist()):
            for p in (person, backup):
                if p is not None and p == p:
                    self.people_of.setdefault(grid, set()).add(p)
                    self.grids_of.setdefault(p, set()).add(grid)

    def get(self, code, default=None):
        return self.statuses.get(code, default)


def _frame(rows: list, columns: list[str]) -> pd.DataFrame:
    """Rows of plain tuples as a frame of Python objects (None stays None: person ids never become floats)."""
    return pd.DataFrame(np.array(rows, dtype=object).reshape(len(rows), len(columns)), columns=columns)


def _statuses_of(grids: pd.DataFrame, roles: pd.DataFrame, most: int) -> dict:
    if grids.empty:
        return {}
    table = staffing_table(grids, roles, most)
    return dict(zip(table["code"].tolist(), table["status"].tolist()))


def _build_statuses(engine, most: int) -> StatusMap:
    """Every active grid's status by the register's own rules, from non-spatial columns only.

    Roles are keyed by person id: names and phones (two joins on people) do not change a status.
    """
    grids = _frame(fetch_raw(engine, _GRIDS_SQL), ["code", "community", "households"])
    roles = _frame(fetch_raw(engine, _ROLES_SQL), _ROLE_COLUMNS) if not grids.empty else _frame([], _ROLE_COLUMNS)
    return StatusMap(_statuses_of(grids, roles, most), roles)


def _served_by_the_same_people(state: StatusMap, codes) -> set:
    """The grids sharing a person (or a backup) with any of ``codes``, ``codes`` included."""
    out = set(codes)
    for code in codes:
        for person in state.people_of.get(code, ()):
            out |= state.grids_of.get(person, set())
    return out


def _patch_statuses(state: StatusMap, engine, codes: set, most: int) -> StatusMap:
    """Statuses again for the written grids and every grid sharing a person with them (grid counts per person).

    A grid write changes no roles (a retire drops the retired grid's own), so who serves what is
    known from the state: the grids to decide again are ``affected``, and the roles they need are
    those of every grid of every person serving them (``around``), read by grid code on its index.
    """
    affected = _served_by_the_same_people(state, codes)
    around = sorted(_served_by_the_same_people(state, affected))
    with session_scope(engine) as session:
        grids = session.execute(select(Grid.code, Grid.community, Grid.households)
                                .where(Grid.end_date.is_(None), Grid.code.in_(sorted(affected)))).all()
        roles = session.execute(select(Role.grid, Role.person_id, Role.role, Role.backup_id)
                                .join(Grid, (Grid.code == Role.grid) & Grid.end_date.is_(None))
                                .where(Role.grid.in_(around))).all()
    grids = _frame([tuple(r) for r in grids], ["code", "community", "households"])
    roles = _frame([tuple(r) for r in roles], _ROLE_COLUMNS)
    for code in affected:
        state.statuses.pop(code, None)
    state.statuses.update(_statuses_of(grids, roles, most))
    state._learn(roles, set(around))
    return state


_statuses = PatchedCache("grid statuses", _build_statuses, _patch_statuses)


def grid_statuses(engine, settings, version: int | None = None) -> StatusMap:
    """Return every active grid's staffing status at ``version`` (read when not given)."""
    return _statuses.get(engine, register_version_now(engine) if version is None else version,
                         key=(int(settings["SANIGRID_MAX_GRIDS_PER_PERSON"]),))
