"""Which grids changed since a cached value was built: read from the grid history, by any process.

Every grid write (create, update, retire) adds one ``grid_history`` row per grid, and every write
transaction bumps the register version once. A :class:`ChangeMark` remembers the version and the
last history row a value was built at. Later, the history rows after that one name the grids
written since; they are the whole story only if each version step since was one grid write
(one group of rows sharing ``at`` and ``by``). Anything else (people, roles or regions written,
the history wiped by ``demo --replace``, a restore) answers "unknown", and the caller builds its
value again: the safe rule.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .cache import cleared_with_the_rest, engine_key
from .db import register_version_now, session_scope
from .repository import register_version
from .schema import GridHistory

__all__ = ["ChangeMark", "change_mark", "grid_changes", "MAX_PATCHED"]

MAX_PATCHED = 2000   # more changed grids than this: a bulk import, cheaper built again than patched


@dataclass(frozen=True)
class ChangeMark:
    """The register version and the last grid history row a cached value has seen."""

    version: int
    last_id: int
    last_row: tuple | None   # (code, version, at) of that row: a wiped and refilled history differs


def _last_row(session):
    row = session.execute(select(GridHistory.id, GridHistory.code, GridHistory.version, GridHistory.at)
                          .order_by(GridHistory.id.desc()).limit(1)).first()
    return (0, None) if row is None else (row.id, (row.code, row.version, row.at))


def change_mark(engine) -> ChangeMark:
    """Return the mark of the register as it is now (read the version first: the rows are at least as new)."""
    with session_scope(engine) as session:
        version = register_version(session)
        last_id, last_row = _last_row(session)
    return ChangeMark(version, last_id, last_row)


def grid_changes(engine, mark: ChangeMark) -> tuple[set | None, ChangeMark]:
    """Return (codes of the grids written since ``mark``, the new mark); None for the codes when unknown.

    One version check when nothing moved; else one indexed read of the history rows from the
    mark's own row on (the last answer is kept: the live index and the statuses ask the same).
    """
    version = register_version_now(engine)
    if version == mark.version:
        return set(), mark
    key = (engine_key(engine), mark)
    kept = _answered.get(key)
    if kept is not None and kept[1].version == version:
        return kept
    answer = _changes_since(engine, mark, version)
    _answered.clear()
    _answered[key] = answer
    return answer


_answered: dict = cleared_with_the_rest({})   # (database, mark) -> the last answer: callers after one write ask once


def _changes_since(engine, mark: ChangeMark, version: int) -> tuple[set | None, ChangeMark]:
    with session_scope(engine) as session:
        rows = session.execute(select(GridHistory.id, GridHistory.code, GridHistory.version, GridHistory.at,
                                      GridHistory.by).where(GridHistory.id >= mark.last_id)
                               .order_by(GridHistory.id).limit(MAX_PATCHED + 2)).all()
    if mark.last_id:
        if not rows or rows[0].id != mark.last_id or tuple(rows[0][1:4]) != mark.last_row:
            return None, mark   # the history was wiped or replaced (demo --replace, a restore)
        rows = rows[1:]
    if version < mark.version or len(rows) > MAX_PATCHED:
        return None, mark
    if len({(r.at, r.by) for r in rows}) != version - mark.version:
        return None, mark   # some write since was not a grid write (or two shared a timestamp)
    last = rows[-1]
    return {r.code for r in rows}, ChangeMark(version, last.id, (last.code, last.version, last.at))
