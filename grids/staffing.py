"""Staffing rules for grids: the leader, the five kinds, the cleaner ratio, A/B posts.

Plain functions on pandas frames so the CLI, the API and the gap report share one truth.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .roles import CLEANER, FIVE_KINDS, LEADER, ROLE_LABELS

__all__ = [
    "HOUSEHOLDS_PER_CLEANER", "DEFAULT_MAX_GRIDS_PER_PERSON", "Shortfall", "required_cleaners", "cleaners_required",
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
    """Return ceil(households / 100) for one grid (:func:`cleaners_required` checked on one value)."""
    return int(cleaners_required(_households(pd.Series([households], dtype=object)))[0])


def cleaners_required(households: np.ndarray) -> np.ndarray:
    """Return ceil(households / 100) per grid: at least one cleaner per 100 households (每100户至少1名保洁员).

    The one place the ratio is written; ``households`` is an integer array already checked.
    """
    return -(-households // HOUSEHOLDS_PER_CLEANER)


def grid_shortfalls(households, roles: pd.DataFrame, grids_per_person: dict | None = None,
                    max_grids_per_person: int = DEFAULT_MAX_GRIDS_PER_PERSON) -> list[Shortfall]:
    """List every shortfall of one grid given its role rows (columns: person, role, backup).

    :func:`staffing_table` on one row; ``grids_per_person`` (person → grids served in the
    whole register) stands in for the roles of the other grids.
    """
    grid = pd.DataFrame({"code": ["grid"], "community": [None], "households": [households]})
    own = roles.reindex(columns=ROLE_COLUMNS).assign(grid="grid")
    row = staffing_table(grid, own, max_grids_per_person, grids_per_person=grids_per_person or {}).iloc[0]
    return [Shortfall(k, m) for k, m in zip(row["shortfalls"], row["messages"])]


@functools.lru_cache(maxsize=64)
def _missing_kinds(kinds: frozenset) -> Shortfall | None:
    missing = [k for k in FIVE_KINDS if k not in kinds]
    if not missing:
        return None
    names = "、".join(ROLE_LABELS[k] for k in missing)
    return Shortfall("missing_roles", f"缺少{names} missing: {', '.join(missing)}")


def _leader_shortfall(count: int) -> Shortfall:
    if count == 0:
        return Shortfall("no_leader", "无网格长 no grid leader")
    return Shortfall("many_leaders", f"{count} 名网格长 (应为1名) {count} leaders, expected 1")


def _below_ratio(cleaners: int, need: int) -> Shortfall:
    return Shortfall("cleaners_below_ratio", f"保洁员{cleaners}名, 需{need}名 cleaners {cleaners} < {need} required")


def _no_backup(person) -> Shortfall:
    return Shortfall("no_backup", f"保洁员A岗{person}无B岗 cleaner post {person} has no backup")


def _backup_is_self(person) -> Shortfall:
    return Shortfall("backup_is_self", f"保洁员{person}的B岗是本人 backup of {person} is the same person")


def _spread_too_thin(person, count: int, most: int) -> Shortfall:
    return Shortfall("spread_too_thin", f"{person}兼任{count}个网格 (上限{most}) serves {count} grids")


TABLE_COLUMNS = ["code", "community", "households", "required_cleaners", "cleaners", "leader", "status",
                 "shortfalls", "messages"]
# The rules in the order a grid's shortfalls are listed.
_LEADER_RULE, _KINDS_RULE, _RATIO_RULE, _POST_RULE, _SPREAD_RULE = range(5)


def staffing_table(grids: pd.DataFrame, roles: pd.DataFrame,
                   max_grids_per_person: int = DEFAULT_MAX_GRIDS_PER_PERSON, *,
                   grids_per_person: dict | None = None) -> pd.DataFrame:
    """Return one row per grid: required and actual cleaners, shortfalls and status.

    ``grids`` needs columns code (each once), community, households; ``roles`` needs grid,
    person, role, backup (person keys: any hashable, e.g. the phone number). Every rule runs
    over whole columns: a grid leader (exactly one), the five kinds, ceil(households / 100)
    cleaners, a backup (B post) for each cleaner post who is someone else, and nobody serving
    more than ``max_grids_per_person`` grids (as the person or the backup; roles of grids not
    in ``grids`` count too). A grid's shortfalls are listed in that order, cleaner posts in
    the order of ``roles``, people spread too thin by person. ``grids_per_person`` (person →
    grids served) replaces the count from ``roles`` when they are not all of them.
    """
    if max_grids_per_person < 1:
        raise ValueError(f"max_grids_per_person must be >= 1, got {max_grids_per_person!r}")
    codes = pd.Index(grids["code"])
    if not len(codes):
        return pd.DataFrame(columns=TABLE_COLUMNS)
    if not codes.is_unique:
        raise ValueError(f"grid codes repeat: {', '.join(map(str, codes[codes.duplicated()].unique()[:5]))}")
    households = _households(grids["households"])
    need = cleaners_required(households)
    roles = roles.reindex(columns=ROLE_COLUMNS) if len(roles) else pd.DataFrame(columns=ROLE_COLUMNS)
    r = _RoleArrays(roles, codes)
    n = len(codes)
    leaders = np.bincount(r.at[r.held & (r.role == LEADER)], minlength=n)
    cleaners = np.bincount(r.at[r.held & (r.role == CLEANER)], minlength=n)
    found = _Found()
    _leader_rule(found, leaders)
    _kinds_rule(found, r, n)
    short = np.flatnonzero(cleaners < need)
    found.add(short, _RATIO_RULE, 0, [_below_ratio(int(c), int(k)) for c, k in zip(cleaners[short], need[short])])
    _post_rule(found, r)
    _spread_rule(found, r, max_grids_per_person, grids_per_person)
    kinds, messages = found.lists(n)
    held = np.bincount(r.at[r.held], minlength=n) > 0
    status = np.where(held, np.where(found.any(n), "short", "complete"), "unstaffed")
    leader = np.full(n, None, dtype=object)
    lead = np.flatnonzero(r.held & (r.role == LEADER))
    first_at, first = np.unique(r.at[lead], return_index=True)  # the first leader row of each grid
    leader[first_at] = r.person[lead[first]]
    return pd.DataFrame({"code": codes.to_numpy(dtype=object), "community": grids["community"].to_numpy(dtype=object),
                         "households": households, "required_cleaners": need, "cleaners": cleaners,
                         "leader": leader, "status": status.astype(object), "shortfalls": kinds,
                         "messages": messages}, columns=TABLE_COLUMNS)


class _RoleArrays:
    """The role rows as arrays: grid position (-1: a grid not in the table), role, person, backup, and keys."""

    def __init__(self, roles: pd.DataFrame, codes: pd.Index):
        self.at = codes.get_indexer(roles["grid"])
        self.held = self.at >= 0
        self.role = roles["role"].to_numpy(dtype=object)
        self.person = roles["person"].to_numpy(dtype=object)
        self.backup = roles["backup"].to_numpy(dtype=object)
        self.no_backup = pd.isna(self.backup)
        # One integer per person (as person or backup; -1 missing) and per grid, rows of roles at any grid.
        keys, self.people = pd.factorize(np.concatenate([self.person, self.backup]))
        self.person_key, self.backup_key = keys[:len(self.person)], keys[len(self.person):]
        # a grid of the table is keyed by its position; the others (grids outside the table) after them
        self.grid_key = self.at.astype(np.int64, copy=True)
        if not self.held.all():
            outside = ~self.held
            self.grid_key[outside] = len(codes) + pd.factorize(roles["grid"].to_numpy(dtype=object)[outside])[0]


class _Found:
    """Shortfalls as they are found, rule by rule; sorted into each grid's list at the end."""

    def __init__(self):
        self.at, self.rank, self.sub, self.shortfalls = [], [], [], []

    def add(self, at, rank: int, sub, shortfalls: list) -> None:
        self.at.append(np.asarray(at, dtype=np.int64))
        self.rank.append(np.full(len(shortfalls), rank, dtype=np.int64))
        self.sub.append(np.broadcast_to(np.asarray(sub, dtype=np.int64), (len(shortfalls),)))
        self.shortfalls.extend(shortfalls)

    def any(self, n: int) -> np.ndarray:
        return np.bincount(np.concatenate(self.at), minlength=n) > 0

    def lists(self, n: int) -> tuple[list, list]:
        at, rank, sub = (np.concatenate(v) for v in (self.at, self.rank, self.sub))
        kinds, messages = [[] for _ in range(n)], [[] for _ in range(n)]
        for k in np.lexsort((sub, rank, at)).tolist():
            kinds[at[k]].append(self.shortfalls[k].kind)
            messages[at[k]].append(self.shortfalls[k].message)
        return kinds, messages


def _leader_rule(found: _Found, leaders: np.ndarray) -> None:
    wrong = np.flatnonzero(leaders != 1)
    found.add(wrong, _LEADER_RULE, 0, [_leader_shortfall(int(c)) for c in leaders[wrong]])


def _kinds_rule(found: _Found, r: _RoleArrays, n: int) -> None:
    held = np.zeros(n, dtype=np.int64)
    for bit, kind in enumerate(FIVE_KINDS):
        held[np.unique(r.at[r.held & (r.role == kind)])] |= 1 << bit
    for mask in np.unique(held).tolist():
        missing = _missing_kinds(frozenset(k for bit, k in enumerate(FIVE_KINDS) if mask >> bit & 1))
        if missing:
            at = np.flatnonzero(held == mask)
            found.add(at, _KINDS_RULE, 0, [missing] * len(at))


def _post_rule(found: _Found, r: _RoleArrays) -> None:
    """Each cleaner post (A岗) needs a backup (B岗) who is another person."""
    post = r.held & (r.role == CLEANER)
    absent = np.flatnonzero(post & r.no_backup)
    itself = np.flatnonzero(post & ~r.no_backup & (r.person_key == r.backup_key))
    found.add(r.at[absent], _POST_RULE, absent, [_no_backup(p) for p in r.person[absent]])
    found.add(r.at[itself], _POST_RULE, itself, [_backup_is_self(p) for p in r.person[itself]])


def _spread_rule(found: _Found, r: _RoleArrays, most: int, counts: dict | None) -> None:
    """Nobody serves more than ``most`` grids, as the person or the backup."""
    people = len(r.people)
    if counts is None:
        served = np.concatenate([r.grid_key * people + keys for keys in (r.person_key, r.backup_key)])
        served = pd.unique(served[np.concatenate([r.person_key, r.backup_key]) >= 0])  # (grid, person) once
        count = np.bincount(served % people, minlength=people)
    else:
        count = np.array([counts.get(p, 0) for p in r.people.tolist()], dtype=np.int64)
    thin = count > most
    if not thin.any():
        return
    at, keys = np.concatenate([r.at, r.at]), np.concatenate([r.person_key, r.backup_key])
    keep = (at >= 0) & (keys >= 0)
    keep[keep] = thin[keys[keep]]
    pairs = np.unique(at[keep] * people + keys[keep])
    pairs = sorted(zip((pairs // people).tolist(), (pairs % people).tolist()), key=lambda p: (p[0], r.people[p[1]]))
    pairs = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    rank_in_grid = np.arange(len(pairs))
    found.add(pairs[:, 0], _SPREAD_RULE, rank_in_grid,
              [_spread_too_thin(r.people[p], int(count[p]), most) for p in pairs[:, 1].tolist()])


def _households(values: pd.Series) -> np.ndarray:
    """Households as int64, each a whole number >= 0 (the column is refused naming the first that is not)."""
    if (pd.api.types.is_integer_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype)) or (
            values.dtype == object and pd.api.types.infer_dtype(values, skipna=False) == "integer"):
        array = values.to_numpy(dtype=np.int64)
        if (array < 0).any():
            _whole_number(int(array[array < 0][0]))  # raises with the offending value
        return array
    return np.array([_whole_number(v) for v in values.tolist()], dtype=np.int64)


def _whole_number(households) -> int:
    if households is None or isinstance(households, bool):
        raise ValueError(f"households must be a whole number >= 0, got {households!r}")
    value = float(households)
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise ValueError(f"households must be a whole number >= 0, got {households!r}")
    return int(value)


def staffing_rollup(table: pd.DataFrame, regions: pd.DataFrame) -> pd.DataFrame:
    """Roll a staffing table up to every community, street and district above its grids.

    ``regions`` needs code, name, level. Households without their due cleaner are the
    households of the cleaner shortfall: missing cleaners × 100, capped at the grid's households.
    The grids are summed per community once; streets and districts sum the communities.
    """
    gap = (table["required_cleaners"] - table["cleaners"]).clip(lower=0)
    status = table["status"].to_numpy(dtype=object)
    per_grid = pd.DataFrame({
        "grids": 1, **{s: (status == s).astype(np.int64) for s in STATUS_LABELS},
        "households": table["households"], "required_cleaners": table["required_cleaners"],
        "cleaners": table["cleaners"], "cleaner_gap": gap,
        "households_uncovered": (gap * HOUSEHOLDS_PER_CLEANER).clip(upper=table["households"]),
    })
    per_community = per_grid.groupby(table["community"].to_numpy(dtype=object)).sum()
    leaf = pd.Series(per_community.index.to_numpy(dtype=object), index=per_community.index)
    names = dict(zip(regions["code"], regions["name"]))
    frames = []
    for level, width in (("district", 6), ("street", 9), ("community", 12)):
        frame = per_community.groupby(leaf.str[:width].to_numpy(dtype=object)).sum().reset_index(names="code")
        frame.insert(1, "level", level)
        frame.insert(2, "name", frame["code"].map(names))
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("code", kind="stable").reset_index(drop=True)
