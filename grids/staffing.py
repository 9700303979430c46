"""Staffing rules for grids: the leader, the five kinds, the cleaner ratio, A/B posts.

Plain functions on pandas frames so the CLI, the API and the gap report share one truth.
"""
from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from .roles import CLEANER, FIVE_KINDS, LEADER, ROLE_LABELS

__all__ = [
    "HOUSEHOLDS_PER_CLEANER", "DEFAULT_MAX_GRIDS_PER_PERSON", "Shortfall", "required_cleaners",
    "grid_shortfalls", "staffing_table", "staffing_rollup", "STATUS_LABELS",
]

HOUSEHOLDS_PER_CLEANER = 100
DEFAULT_MAX_GRIDS_PER_PERSON = 3
STATUS_LABELS = {"complete": "齐全", "short": "缺员", "unstaffed": "无人"}
ROLE_COLUMNS = ["grid", "person", "role", "backup"]


@dataclass(frozen=True)
class Shortfall:
    """One thing a grid lacks; ``kind`` is stable for programs, ``message`` is for people."""

    kind: str
    message: str


def required_cleaners(households) -> int:
    """Return ceil(households / 100): at least one cleaner per 100 households (每100户至少1名保洁员)."""
    if households is None or isinstance(households, bool):
        raise ValueError(f"households must be a whole number >= 0, got {households!r}")
    value = float(households)
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise ValueError(f"households must be a whole number >= 0, got {households!r}")
    return -(-int(value) // HOUSEHOLDS_PER_CLEANER)


def grid_shortfalls(households, roles: pd.DataFrame, grids_per_person: dict | None = None,
                    max_grids_per_person: int = DEFAULT_MAX_GRIDS_PER_PERSON) -> list[Shortfall]:
    """List every shortfall of one grid given its role rows (columns: person, role, backup)."""
    rows = list(zip(roles["person"], roles["role"], roles["backup"]))
    return _shortfalls(required_cleaners(households), rows, grids_per_person or {}, max_grids_per_person)


def _missing(value) -> bool:
    # pd.isna's generality costs more than the rest of a grid's rules; person keys are None, NaN or pd.NA
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


@functools.lru_cache(maxsize=64)
def _missing_kinds(kinds: frozenset) -> Shortfall | None:
    missing = [k for k in FIVE_KINDS if k not in kinds]
    if not missing:
        return None
    names = "、".join(ROLE_LABELS[k] for k in missing)
    return Shortfall("missing_roles", f"缺少{names} missing: {', '.join(missing)}")


def _shortfalls(need: int, rows: list, spread: dict, max_grids_per_person: int) -> list[Shortfall]:
    """The rules on plain (person, role, backup) tuples: a grid's few rows, no DataFrame per grid.

    ``need``: the cleaners the grid's households require (:func:`required_cleaners`).
    """
    leaders = [r for r in rows if r[1] == LEADER]
    cleaners = [r for r in rows if r[1] == CLEANER]
    out = []
    if not leaders:
        out.append(Shortfall("no_leader", "无网格长 no grid leader"))
    elif len(leaders) > 1:
        out.append(Shortfall("many_leaders", f"{len(leaders)} 名网格长 (应为1名) {len(leaders)} leaders, expected 1"))
    missing = _missing_kinds(frozenset(r[1] for r in rows))
    if missing:
        out.append(missing)
    if len(cleaners) < need:
        out.append(Shortfall("cleaners_below_ratio",
                             f"保洁员{len(cleaners)}名, 需{need}名 cleaners {len(cleaners)} < {need} required"))
    for person, _, backup in cleaners:
        if _missing(backup):
            out.append(Shortfall("no_backup", f"保洁员A岗{person}无B岗 cleaner post {person} has no backup"))
        elif backup == person:
            out.append(Shortfall("backup_is_self", f"保洁员{person}的B岗是本人 backup of {person} is the same person"))
    if spread:  # a person absent from ``spread`` serves this grid only
        persons = {r[0] for r in rows} | {r[2] for r in rows if not _missing(r[2])}
        for person in sorted(p for p in persons if p in spread):
            count = spread[person]
            if count > max_grids_per_person:
                out.append(Shortfall("spread_too_thin",
                                     f"{person}兼任{count}个网格 (上限{max_grids_per_person}) serves {count} grids"))
    return out


def _grids_per_person(roles: pd.DataFrame, above: int = 0) -> dict:
    """Return person → number of grids served (as the person or the backup), for those serving more than ``above``."""
    grids = roles["grid"].tolist()
    pairs = {(g, p) for column in ("person", "backup") for g, p in zip(grids, roles[column].tolist())
             if not _missing(p)}
    counts = Counter(p for _, p in pairs)
    return {p: n for p, n in counts.items() if n > above}


def staffing_table(grids: pd.DataFrame, roles: pd.DataFrame,
                   max_grids_per_person: int = DEFAULT_MAX_GRIDS_PER_PERSON) -> pd.DataFrame:
    """Return one row per grid: required and actual cleaners, shortfalls and status.

    ``grids`` needs columns code, community, households; ``roles`` needs grid, person,
    role, backup (person keys: any hashable, e.g. the phone number).
    """
    if max_grids_per_person < 1:
        raise ValueError(f"max_grids_per_person must be >= 1, got {max_grids_per_person!r}")
    roles = roles.reindex(columns=ROLE_COLUMNS) if not roles.empty else pd.DataFrame(columns=ROLE_COLUMNS)
    spread = _grids_per_person(roles, max_grids_per_person) if not roles.empty else {}
    by_grid: dict = {}
    # .tolist(): iterating pandas (extension) arrays element by element costs more than the rules
    for grid, person, role, backup in zip(*(roles[c].tolist() for c in ROLE_COLUMNS)):
        by_grid.setdefault(grid, []).append((person, role, backup))
    codes, communities, households = (grids[c].tolist() for c in ("code", "community", "households"))
    need = [required_cleaners(h) for h in households]
    cleaners, leader, status, kinds, messages = [], [], [], [], []
    for code, n in zip(codes, need):  # columns, not a dict per row: the frame is built 5x faster
        own = by_grid.get(code, ())
        shortfalls = _shortfalls(n, own, spread, max_grids_per_person)
        cleaners.append(sum(r[1] == CLEANER for r in own))
        leader.append(next((r[0] for r in own if r[1] == LEADER), None))
        status.append(("short" if shortfalls else "complete") if own else "unstaffed")
        kinds.append([s.kind for s in shortfalls])
        messages.append([s.message for s in shortfalls])
    columns = ["code", "community", "households", "required_cleaners", "cleaners", "leader", "status",
               "shortfalls", "messages"]
    if not codes:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({"code": codes, "community": communities, "households": [int(h) for h in households],
                         "required_cleaners": need, "cleaners": cleaners, "leader": leader, "status": status,
                         "shortfalls": kinds, "messages": messages}, columns=columns)


def staffing_rollup(table: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """Roll a staffing table up to every community, street and district above its grids.

    ``regions`` needs code, name, level. Households without their due cleaner are the
    households of the cleaner shortfall: missing cleaners × 100, capped at the grid's households.
    """
    t = table.copy()
    t["cleaner_gap"] = (t["required_cleaners"] - t["cleaners"]).clip(lower=0)
    t["households_uncovered"] = (t["cleaner_gap"] * HOUSEHOLDS_PER_CLEANER).clip(upper=t["households"])
    names = dict(zip(regions["code"], regions["name"]))
    frames = []
    for level, width in (("district", 6), ("street", 9), ("community", 12)):
        key = t["community"].str[:width]
        g = t.assign(region=key).groupby("region")
        status = pd.crosstab(key, t["status"]).reindex(columns=list(STATUS_LABELS), fill_value=0)
        frame = pd.DataFrame({
            "grids": g.size(),
            "complete": status["complete"],
            "short": status["short"],
            "unstaffed": status["unstaffed"],
            "households": g["households"].sum(),
            "required_cleaners": g["required_cleaners"].sum(),
            "cleaners": g["cleaners"].sum(),
            "cleaner_gap": g["cleaner_gap"].sum(),
            "households_uncovered": g["households_uncovered"].sum(),
        }).reset_index(names="code")
        frame.insert(1, "level", level)
        frame.insert(2, "name", frame["code"].map(names))
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("code", kind="stable").reset_index(drop=True)
