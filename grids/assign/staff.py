"""Staff grids by the rules with one exact min-cost flow (OR-Tools), not a greedy loop.

Posts per grid: one leader (网格长); ceil(households / 100) cleaner A posts (at least one), each with a B
post (保洁员AB岗); one each of patroller, manager, supervisor, volunteer. A person holds at
most one cleaner post per grid, so an A post's backup is never the same person; each post
held counts against the person's capacity (at most the per-person limit on grids), which
never lets anyone serve more grids than the limit.

The flow: source → person (capacity) → (grid, kind) slot (one unit per arc, cost = travel
distance in metres from home to the grid) → sink (the posts of that kind). OR-Tools solves
max-flow-with-min-cost exactly on these arcs. The objective is lexicographic:

1. fill as many posts as possible;
2. **stability**: keep as many current posts (person, grid, kind) as possible: a kept post
   costs ``keep_bonus`` less than any other, and the default bonus exceeds any possible
   saving in total distance, so a re-run after households change moves as few posts as
   the new needs force;
3. minimise total travel distance.

Arcs: every person–grid pair when there are at most ``ALL_PAIRS_LIMIT`` of them (then the
answer is exact over all assignments); otherwise each person's ``candidates`` nearest
grids, each grid's ``candidates`` nearest people able to take its posts, and every
current post (exact over those arcs).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

from ..roles import CLEANER, ROLE_KINDS
from ..staffing import required_cleaners

__all__ = ["StaffPlan", "assign_staff", "posts_needed", "shortfall_reasons", "ALL_PAIRS_LIMIT"]

ALL_PAIRS_LIMIT = 2_000_000
DEFAULT_CANDIDATES = 8
_KIND_INDEX = {k: i for i, k in enumerate(ROLE_KINDS)}


def cleaner_posts(households) -> int:
    """Cleaner A posts: ceil(households / 100), and at least one (the cleaner is one of the five kinds)."""
    return max(1, required_cleaners(households))


def posts_needed(households) -> dict:
    """Posts a grid of ``households`` needs, by kind (cleaner counts A and B posts)."""
    posts = {kind: 1 for kind in ROLE_KINDS}
    posts[CLEANER] = 2 * cleaner_posts(households)
    return posts


@dataclass
class StaffPlan:
    """Roles (grid, person, role, backup), shortfalls per grid and kind, and the figures."""

    roles: pd.DataFrame
    shortfalls: pd.DataFrame
    figures: dict = field(default_factory=dict)


def assign_staff(grids: pd.DataFrame, people: pd.DataFrame, current: pd.DataFrame | None = None, *,
                 candidates: int = DEFAULT_CANDIDATES, keep_bonus: int | None = None) -> StaffPlan:
    """Assign people to the posts of ``grids``.

    ``grids``: code, households, x, y (metric). ``people``: phone, kinds (list of role kinds),
    x, y (metric), capacity. ``current``: the roles held now (grid, person, role, backup).
    """
    need = np.array([[posts_needed(h)[k] for k in ROLE_KINDS] for h in grids["households"]], dtype=np.int64)
    gxy = grids[["x", "y"]].to_numpy(float)
    pxy = people[["x", "y"]].to_numpy(float)
    can = np.zeros((len(people), len(ROLE_KINDS)), dtype=bool)
    for i, kinds in enumerate(people["kinds"]):
        can[i, [_KIND_INDEX[k] for k in kinds]] = True
    kept = _current_posts(grids, people, current)
    pi, gi = _pairs(gxy, pxy, can, need, candidates, kept)
    dist = np.rint(np.hypot(*(pxy[pi] - gxy[gi]).T)).astype(np.int64)
    # one arc per (person, grid, kind) the person can take and the grid needs
    kind_mask = can[pi] & (need[gi] > 0)
    arc_p, arc_k = np.nonzero(kind_mask)
    person, grid, kind, cost = pi[arc_p], gi[arc_p], arc_k, dist[arc_p]
    is_kept = np.isin(_post_key(person, grid, kind, len(grids)),
                      _post_key(*np.array(sorted(kept), dtype=np.int64).reshape(-1, 3).T, len(grids)))
    demand = int(need.sum())
    bonus = 0 if not kept else keep_bonus if keep_bonus is not None else int(
        demand * (int(cost.max()) if len(cost) else 0) + 1)
    cost = cost + np.where(is_kept, 0, bonus)
    flows = _solve(len(people), need, person, grid, kind, cost, people["capacity"].to_numpy(np.int64))
    chosen = flows > 0
    held = pd.DataFrame({"grid": grid[chosen], "person": person[chosen], "kind": kind[chosen],
                         "distance_m": dist[arc_p][chosen], "kept": is_kept[chosen]})
    roles = _roles(held, grids, people, current)
    shortfalls = _shortfalls(held, grids, need)
    figures = {"grids": len(grids), "people": len(people), "posts": demand, "filled": int(chosen.sum()),
               "kept": int(is_kept[chosen].sum()), "kept_before": len(kept), "arcs": int(len(person)),
               "distance_m_total": int(held["distance_m"].sum()),
               "people_used": int(held["person"].nunique())}
    return StaffPlan(roles, shortfalls, figures)


def _post_key(person, grid, kind, n_grids) -> np.ndarray:
    return (np.asarray(person, np.int64) * n_grids + grid) * len(ROLE_KINDS) + kind


def _current_posts(grids, people, current) -> set:
    """Current posts as (person index, grid index, kind index); a cleaner's backup holds a cleaner post."""
    if current is None or not len(current):
        return set()
    p_index = {p: i for i, p in enumerate(people["phone"])}
    g_index = {g: i for i, g in enumerate(grids["code"])}
    out = set()
    for grid, person, role, backup in zip(current["grid"], current["person"], current["role"], current["backup"]):
        g = g_index.get(grid)
        if g is None or role not in _KIND_INDEX:
            continue
        for who in (person, backup if role == CLEANER else None):
            if who in p_index:
                out.add((p_index[who], g, _KIND_INDEX[role]))
    return out


def _pairs(gxy, pxy, can, need, candidates, kept) -> tuple[np.ndarray, np.ndarray]:
    """Person–grid pairs that get arcs: all of them when few, else nearest both ways plus current posts."""
    n_people, n_grids = len(pxy), len(gxy)
    if n_people == 0 or n_grids == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if n_people * n_grids <= ALL_PAIRS_LIMIT:
        pi, gi = np.meshgrid(np.arange(n_people), np.arange(n_grids), indexing="ij")
        return pi.ravel(), gi.ravel()
    m = min(candidates, n_grids)
    _, near_grids = cKDTree(gxy).query(pxy, k=m)
    pairs = [np.column_stack([np.repeat(np.arange(n_people), m), near_grids.reshape(-1)])]
    for k in range(can.shape[1]):  # each grid's nearest people of every kind it needs
        able = np.flatnonzero(can[:, k])
        wanting = np.flatnonzero(need[:, k] > 0)
        if not len(able) or not len(wanting):
            continue
        mk = min(candidates, len(able))
        _, near_people = cKDTree(pxy[able]).query(gxy[wanting], k=mk)
        pairs.append(np.column_stack([able[near_people.reshape(-1)], np.repeat(wanting, mk)]))
    if kept:
        pairs.append(np.array([(p, g) for p, g, _ in kept], dtype=np.int64))
    both = np.concatenate(pairs)
    keys = np.unique(both[:, 0] * n_grids + both[:, 1])
    return keys // n_grids, keys % n_grids


def _solve(n_people, need, person, grid, kind, cost, capacity) -> np.ndarray:
    """Max flow with min cost: source → person → (grid, kind) → sink; returns the flow per person arc."""
    n_grids, n_kinds = need.shape
    source, sink = 0, 1
    person_node = 2 + np.arange(n_people)
    slot_node = 2 + n_people + np.arange(n_grids * n_kinds).reshape(n_grids, n_kinds)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        person_node[person], slot_node[grid, kind], np.ones(len(person), np.int64), cost.astype(np.int64))
    flow.add_arcs_with_capacity_and_unit_cost(np.full(n_people, source), person_node, capacity,
                                              np.zeros(n_people, np.int64))
    slots = np.flatnonzero(need.reshape(-1) > 0)
    flow.add_arcs_with_capacity_and_unit_cost(slot_node.reshape(-1)[slots], np.full(len(slots), sink),
                                              need.reshape(-1)[slots], np.zeros(len(slots), np.int64))
    total = int(need.sum())
    flow.set_nodes_supplies(np.array([source, sink]), np.array([total, -total]))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    return flow.flows(arcs) if len(person) else np.zeros(0, np.int64)


def _roles(held, grids, people, current) -> pd.DataFrame:
    """Turn held posts into role rows; cleaners become A posts paired with distinct B backups."""
    codes = grids["code"].to_numpy(object)
    phones = people["phone"].to_numpy(object)
    households = grids["households"].to_numpy()
    old_backup = {}
    if current is not None and len(current):
        old_backup = {(g, p): b for g, p, r, b in zip(current["grid"], current["person"], current["role"],
                                                        current["backup"]) if r == CLEANER}
    rows, cleaners = [], {}
    order = held.sort_values(["grid", "kind", "distance_m"], kind="stable")
    for g, k, p in zip(*(order[c].tolist() for c in ("grid", "kind", "person"))):
        if ROLE_KINDS[k] == CLEANER:
            cleaners.setdefault(g, []).append(phones[p])
        else:
            rows.append({"grid": codes[g], "person": phones[p], "role": ROLE_KINDS[k], "backup": None})
    for g, mine in cleaners.items():
        rows += _pair_cleaners(codes[g], mine, cleaner_posts(households[g]), old_backup)
    frame = pd.DataFrame(rows, columns=["grid", "person", "role", "backup"])
    return frame.sort_values(["grid", "role", "person"], kind="stable").reset_index(drop=True)


def _pair_cleaners(code, cleaners: list, posts: int, old_backup: dict) -> list:
    """Split a grid's cleaners into A posts (current A holders first) and their B backups.

    Current A/B pairs survive when both people stay; the rest pair in order of distance.
    """
    was_a = [c for c in cleaners if (code, c) in old_backup]
    a = (was_a + [c for c in cleaners if c not in was_a])[:min(posts, len(cleaners))]
    b_pool = [c for c in cleaners if c not in a]
    rows = []
    for person in a:
        backup = old_backup.get((code, person))
        backup = backup if backup in b_pool else (b_pool[0] if b_pool else None)
        if backup is not None:
            b_pool.remove(backup)
        rows.append({"grid": code, "person": person, "role": CLEANER, "backup": backup})
    return rows


def _shortfalls(held, grids, need) -> pd.DataFrame:
    """One row per grid and kind whose posts the roster could not fill."""
    got = np.zeros_like(need)
    np.add.at(got, (held["grid"].to_numpy(np.int64), held["kind"].to_numpy(np.int64)), 1)
    g, k = np.nonzero(got < need)
    return pd.DataFrame({"grid": grids["code"].to_numpy(object)[g], "role": [ROLE_KINDS[i] for i in k],
                         "needed": need[g, k], "filled": got[g, k]})


def shortfall_reasons(shortfalls: pd.DataFrame, people: pd.DataFrame, roles: pd.DataFrame) -> list:
    """Why each unfilled post stayed unfilled, in words an analyst acts on (one per shortfall row).

    ``people``: phone, kinds, capacity (the roster); ``roles``: the plan's rows (grid, person, role,
    backup), where a cleaner's backup holds a post too.
    """
    held = pd.concat([roles["person"], roles["backup"].dropna()]).value_counts()
    reasons = []
    for kind, needed in zip(shortfalls["role"], shortfalls["needed"]):
        able = people[[kind in kinds for kinds in people["kinds"]]]
        spare = [p for p, cap in zip(able["phone"], able["capacity"]) if held.get(p, 0) < cap]
        if not len(able):
            reasons.append(f"名单中无人可任此岗 nobody on the roster takes {kind}")
        elif len(able) < needed:
            reasons.append(f"名单中仅 {len(able)} 人可任此岗，每人每网格限一岗 only {len(able)} on the roster take "
                           f"{kind}, one such post per grid each")
        elif not spare:
            reasons.append(f"可任此岗的 {len(able)} 人均已满额 all {len(able)} people who take {kind} are at "
                           "their capacity")
        else:
            reasons.append(f"有余力者距离过远，不在候选范围 the {len(spare)} with capacity left are not among "
                           "this grid's nearest candidates")
    return reasons
