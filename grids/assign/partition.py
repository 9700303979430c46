"""Group atoms into contiguous, compact grids whose households fall within bounds.

Like PySAL's max-p regionalisation, it draws as many grids as the bounds allow; unlike it,
it also bounds households from above and scores compactness. For a given number of grids
k it seeds k centres (household-weighted k-means), grows k contiguous regions from them
(the region with the fewest households takes its nearest free neighbouring atom next),
then improves the regions by moving boundary atoms while the cost falls and the donor stays
contiguous. The cost of a region, in order of weight:

1. households outside [min, max], per household (the bounds come first),
2. 10 × ((households − target) / target)², target = total / k (balance),
3. perimeter² / (4π · area), the inverse of Polsby-Popper compactness (1 for a disc).

Perimeters are kept as sums of atom perimeters minus twice the shared edges, so a move is
scored in O(degree). k is searched from the largest count the bounds allow downwards by
bisection on "every grid within bounds"; each connected part of the atom graph (a community
in several pieces) is solved on its own.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from .atoms import Atoms

__all__ = ["Bounds", "partition"]

_BALANCE_WEIGHT = 10.0
_MAX_PASSES = 40
_MAX_TRIES = 7
_RESTARTS = 3
_POLISH = 2
# a k missing more grids within bounds than this (or 10% of k) is not retried with other seeds
_NEAR_MISS = 2


@dataclass(frozen=True)
class Bounds:
    """Households a grid should hold: min ≤ households ≤ max."""

    min_households: int
    max_households: int

    def __post_init__(self):
        if not 0 < self.min_households <= self.max_households:
            raise ValueError(f"household bounds must satisfy 0 < min <= max, got "
                             f"{self.min_households}–{self.max_households}")

    def contains(self, households) -> bool:
        return self.min_households <= households <= self.max_households


def _components(n: int, neighbours) -> list[np.ndarray]:
    seen = np.zeros(n, dtype=bool)
    parts = []
    for start in range(n):
        if seen[start]:
            continue
        seen[start] = True
        stack, members = [start], [start]
        while stack:
            v = stack.pop()
            for u, _ in neighbours[v]:
                if not seen[u]:
                    seen[u] = True
                    stack.append(u)
                    members.append(u)
        parts.append(np.array(sorted(members), dtype=np.int64))
    return parts


def partition(atoms: Atoms, bounds: Bounds, *, seed: int = 0) -> np.ndarray:
    """Return a grid label (0..k-1) per atom: contiguous grids, within bounds wherever possible."""
    neighbours = atoms.neighbours()
    labels = np.full(len(atoms), -1, dtype=np.int64)
    next_label = 0
    for members in _components(len(atoms), neighbours):
        local = _solve_component(atoms, neighbours, members, bounds, seed)
        labels[members] = local + next_label
        next_label += int(local.max()) + 1
    return labels


def _candidate_ks(households: np.ndarray, bounds: Bounds) -> tuple[int, int, int]:
    """(fewest, most grids, atoms too big for any grid): each too-big atom will be a grid of its own."""
    big = households > bounds.max_households
    rest = int(households[~big].sum())
    lo = int(big.sum()) + max(1 if not big.any() else 0, math.ceil(rest / bounds.max_households))
    hi = max(lo, int(big.sum()) + rest // bounds.min_households)
    return lo, hi, int(big.sum())


def _solve_component(atoms, neighbours, members, bounds, seed) -> np.ndarray:
    """Bisect k between what the maximum and the minimum allow; keep the most grids within bounds."""
    lo, hi, n_big = _candidate_ks(atoms.households[members], bounds)
    hi = min(hi, len(members))
    lo = max(1, min(lo, hi))
    best = None
    tried = {}

    def attempt(k):
        """Best of up to _RESTARTS seeds; stops at the first run with every grid that can be within bounds."""
        if k not in tried:
            for restart in range(_RESTARTS):
                search = _Search(atoms, neighbours, members, k, bounds, seed + restart)
                result = (search.within(), -search.total_cost(), search.local_labels())
                if k not in tried or result[:2] > tried[k][:2]:
                    tried[k] = result
                missing = int(result[2].max()) + 1 - n_big - result[0]
                if missing <= 0 or missing > max(_NEAR_MISS, k // 10):
                    break  # feasible, or too far off for another seed to help
        return tried[k]

    good, bad = lo - 1, hi + 1
    k = hi
    for _ in range(_MAX_TRIES):
        within, _, labels = attempt(k)
        if within >= int(labels.max()) + 1 - n_big:
            good = k
        else:
            bad = k
        if bad - good <= 1:
            break
        k = (good + bad) // 2
    for k, result in tried.items():
        if best is None or result[:2] > best[:2]:
            best = result
    k = int(best[2].max()) + 1
    for restart in range(_RESTARTS, _RESTARTS + _POLISH):  # more seeds at the chosen k: keep the cheapest
        search = _Search(atoms, neighbours, members, k, bounds, seed + restart)
        result = (search.within(), -search.total_cost(), search.local_labels())
        if result[:2] > best[:2]:
            best = result
    return best[2]


class _Search:
    """One run for a fixed k: seed, grow, then improve by single-atom moves."""

    def __init__(self, atoms: Atoms, neighbours, members: np.ndarray, k: int, bounds: Bounds, seed: int):
        self.members = members
        index = {int(a): i for i, a in enumerate(members)}
        self.nb = [[(index[u], s) for u, s in neighbours[a]] for a in members]
        self.h = atoms.households[members].astype(float)
        self.a = atoms.area[members]
        self.p = atoms.perimeter[members]
        self.xy = atoms.xy[members]
        self.k = k
        self.bounds = bounds
        big = self.h > bounds.max_households
        regular = k - int(big.sum())
        # the target of the grids that can be within bounds: too-big atoms stand alone
        self.target = max((self.h[~big].sum() / regular) if regular > 0 else self.h.sum() / k, 1.0)
        self._low, self._high = float(bounds.min_households), float(bounds.max_households)
        self.rng = np.random.default_rng(seed)
        self._xs, self._ys = self.xy[:, 0].tolist(), self.xy[:, 1].tolist()
        self.label = self._grow(self._seeds())
        self._totals()
        self._improve()
        self._merge_small()

    # --- cost -----------------------------------------------------------------------------
    def _cost(self, h, area, perim) -> float:
        # households outside the bounds, inline: this runs a million times per search
        low, high, target = self._low, self._high, self.target
        miss = (low - h) if h < low else (h - high) if h > high else 0.0
        dev = (h - target) / target
        return miss + _BALANCE_WEIGHT * dev * dev + perim * perim / (4 * math.pi * area)

    def total_cost(self) -> float:
        return sum(self._cost(self.H[r], self.A[r], self.P[r]) for r in range(self.k) if self.size[r])

    def within(self) -> int:
        return sum(self.bounds.contains(self.H[r]) for r in range(self.k) if self.size[r])

    def local_labels(self) -> np.ndarray:
        """Labels 0..live-1 (a region dissolved during the search leaves no gap)."""
        return np.unique(np.asarray(self.label), return_inverse=True)[1].reshape(-1)

    # --- construction ---------------------------------------------------------------------
    def _seeds(self) -> list[int]:
        """k atoms near the centres of a household- and area-weighted k-means."""
        n = len(self.h)
        weight = self.h / max(self.h.sum(), 1) + 0.2 * self.a / self.a.sum()
        first = int(self.rng.choice(n, p=weight / weight.sum()))
        centres = [self.xy[first]]
        d2 = ((self.xy - centres[0]) ** 2).sum(axis=1)
        for _ in range(1, self.k):  # k-means++: far from the chosen centres, by weight
            cumulative = np.cumsum(weight * d2)
            pick = (int(min(np.searchsorted(cumulative, self.rng.random() * cumulative[-1], side="right"), n - 1))
                    if cumulative[-1] > 0 else int(self.rng.integers(n)))
            centres.append(self.xy[pick])
            d2 = np.minimum(d2, ((self.xy - self.xy[pick]) ** 2).sum(axis=1))
        centres = np.array(centres)
        for _ in range(8):  # Lloyd iterations
            dist = ((self.xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2) if n * self.k < 4_000_000 \
                else None
            nearest = dist.argmin(axis=1) if dist is not None else self._nearest_chunked(centres)
            mass = np.bincount(nearest, weights=weight, minlength=self.k)
            held = mass > 0
            for axis in (0, 1):
                moment = np.bincount(nearest, weights=weight * self.xy[:, axis], minlength=self.k)
                centres[held, axis] = moment[held] / mass[held]
        seeds, used = [], set()
        for c in centres:
            order = np.argsort(((self.xy - c) ** 2).sum(axis=1))
            pick = next(int(i) for i in order if int(i) not in used)
            used.add(pick)
            seeds.append(pick)
        return seeds

    def _nearest_chunked(self, centres) -> np.ndarray:
        out = np.empty(len(self.xy), dtype=np.int64)
        for start in range(0, len(self.xy), 2000):
            block = self.xy[start:start + 2000]
            out[start:start + 2000] = ((block[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        return out

    def _grow(self, seeds: list[int]) -> np.ndarray:
        """Grow regions from the seeds; the region with the fewest households grows next."""
        label = np.full(len(self.h), -1, dtype=np.int64)
        frontier = [[] for _ in seeds]
        held = [0.0] * len(seeds)
        queue = []
        for r, s in enumerate(seeds):
            label[s] = r
            held[r] = self.h[s]
            self._push_neighbours(frontier[r], s, self.xy[s])
            heapq.heappush(queue, (held[r], r))
        while queue:
            _, r = heapq.heappop(queue)
            seed_xy = self.xy[seeds[r]]
            while frontier[r] and label[frontier[r][0][1]] >= 0:
                heapq.heappop(frontier[r])
            if not frontier[r]:
                continue  # enclosed: this region stops growing
            _, v = heapq.heappop(frontier[r])
            label[v] = r
            held[r] += self.h[v]
            self._push_neighbours(frontier[r], v, seed_xy, label)
            heapq.heappush(queue, (held[r], r))
        return label

    def _push_neighbours(self, heap, v, origin, label=None) -> None:
        ox, oy = float(origin[0]), float(origin[1])
        xs, ys = self._xs, self._ys
        for u, _ in self.nb[v]:
            if label is None or label[u] < 0:
                heapq.heappush(heap, ((xs[u] - ox) ** 2 + (ys[u] - oy) ** 2, u))

    def _totals(self) -> None:
        k = self.k
        self.H = np.bincount(self.label, weights=self.h, minlength=k)
        self.A = np.bincount(self.label, weights=self.a, minlength=k)
        self.P = np.bincount(self.label, weights=self.p, minlength=k)
        self.size = np.bincount(self.label, minlength=k)
        for v, edges in enumerate(self.nb):
            for u, s in edges:
                if u > v and self.label[u] == self.label[v]:
                    self.P[self.label[v]] -= 2 * s
        # plain lists from here on: the search reads and writes single items, where numpy is slow
        self.H, self.A, self.P = self.H.tolist(), self.A.tolist(), self.P.tolist()
        self.size, self.label = self.size.tolist(), self.label.tolist()
        self.h, self.a, self.p = self.h.tolist(), self.a.tolist(), self.p.tolist()

    # --- improvement ----------------------------------------------------------------------
    def _improve(self) -> None:
        n = len(self.h)
        for _ in range(_MAX_PASSES):
            moved = 0
            for v in self.rng.permutation(n).tolist():
                moved += self._try_move(v)
            if moved <= max(1, n // 250):
                break

    def _try_move(self, v: int) -> int:
        r = self.label[v]
        # A region's last atom may leave only when the region holds too few households: it dissolves.
        dissolve = self.size[r] <= 1
        if dissolve and self.H[r] >= self.bounds.min_households:
            return 0
        touch = {}
        for u, s in self.nb[v]:
            lu = self.label[u]
            touch[lu] = touch.get(lu, 0.0) + s
        if len(touch) <= 1 and r in touch:
            return 0
        h, a, p = self.h[v], self.a[v], self.p[v]
        s_r = touch.get(r, 0.0)
        before_r = self._cost(self.H[r], self.A[r], self.P[r])
        after_r = 0.0 if dissolve else self._cost(self.H[r] - h, self.A[r] - a, self.P[r] - p + 2 * s_r)
        best, best_delta = None, -1e-9
        for t, s_t in touch.items():
            if t == r:
                continue
            delta = (after_r - before_r + self._cost(self.H[t] + h, self.A[t] + a, self.P[t] + p - 2 * s_t)
                     - self._cost(self.H[t], self.A[t], self.P[t]))
            if delta < best_delta:
                best, best_delta = t, delta
        if best is None or not (dissolve or self._stays_connected(v, r)):
            return 0
        s_t = touch[best]
        self.H[r] -= h
        self.A[r] -= a
        self.P[r] += -p + 2 * s_r
        self.size[r] -= 1
        self.H[best] += h
        self.A[best] += a
        self.P[best] += p - 2 * s_t
        self.size[best] += 1
        self.label[v] = best
        return 1

    def _merge_small(self) -> None:
        """Merge each grid below the minimum whole into the neighbour it suits best, when that lowers the cost.

        Single-atom moves cannot empty a grid of several empty atoms (each move alone gains nothing);
        a whole merge can, and a neighbour within bounds stays within them.
        """
        members = {}
        for v, r in enumerate(self.label):
            members.setdefault(r, []).append(v)
        for r in sorted(members, key=lambda q: self.H[q]):
            if not self.size[r] or self.H[r] >= self._low:
                continue
            shared = {}
            for v in members[r]:
                for u, s_len in self.nb[v]:
                    t = self.label[u]
                    if t != r:
                        shared[t] = shared.get(t, 0.0) + s_len
            apart = self._cost(self.H[r], self.A[r], self.P[r])
            best, gain = None, 1e-9
            for t, s_len in shared.items():
                merged = (self.H[r] + self.H[t], self.A[r] + self.A[t], self.P[r] + self.P[t] - 2 * s_len)
                if self._low <= self.H[t] <= self._high and merged[0] > self._high:
                    continue  # never push a grid within bounds out of them
                change = apart + self._cost(self.H[t], self.A[t], self.P[t]) - self._cost(*merged)
                if change > gain:
                    best, gain = (t, merged), change
            if best is None:
                continue
            t, (self.H[t], self.A[t], self.P[t]) = best[0], best[1]
            self.size[t] += self.size[r]
            self.H[r] = self.A[r] = self.P[r] = 0.0
            self.size[r] = 0
            for v in members[r]:
                self.label[v] = t
            members.setdefault(t, []).extend(members.pop(r))

    def _stays_connected(self, v: int, r: int) -> bool:
        """Would region r stay in one piece without atom v? (a walk over r's atoms)"""
        label = self.label
        inside = [u for u, _ in self.nb[v] if label[u] == r]
        if not inside:
            return False
        goal = int(self.size[r]) - 1
        seen = {v, inside[0]}
        stack = [inside[0]]
        count = 1
        while stack:
            x = stack.pop()
            for u, _ in self.nb[x]:
                if u not in seen and label[u] == r:
                    seen.add(u)
                    stack.append(u)
                    count += 1
        return count == goal
