"""People and roles of the demo city: leaders, cleaners with backups, other roles, names and phones."""
from __future__ import annotations

import numpy as np
import pandas as pd

from grids.roles import CLEANER, LEADER
from grids.staffing import required_cleaners

MAX_GRIDS_PER_LEADER = 3          # a community cadre leads at most this many grids


class _Roster:
    """Collect people as integer ids and role rows; ids become phones at the end."""

    def __init__(self):
        self.count = 0
        self.rows: list[tuple] = []

    def new(self, n: int = 1) -> list[int]:
        self.count += n
        return list(range(self.count - n, self.count))

    def add(self, grid: str, person: int, role: str, backup=None) -> None:
        self.rows.append((grid, person, role, backup))


def staff(grids, picks, rng, tick):
    """Staff every grid but the unstaffed one; return people, roles and who is who in the shortfalls."""
    roster, found = _Roster(), {}
    staffed = grids[grids["code"] != picks["unstaffed_grid"]]
    communities = list(staffed.groupby("community", sort=True))
    for done, (community, g) in enumerate(communities):
        overloaded = community == picks["overloaded_community"]
        leaders = _leaders(len(g), overloaded, rng, roster)
        if overloaded:
            found["overloaded_leader"] = leaders[0]
            found["overloaded_leader_grids"] = g["code"].tolist()[:MAX_GRIDS_PER_LEADER + 1]
        cleaners = [roster.new(_cleaners_needed(code, h, picks))
                    for code, h in zip(g["code"], g["households"])]
        for i, code in enumerate(g["code"]):
            roster.add(code, leaders[i], LEADER)
            _add_cleaners(roster, code, cleaners, i, picks, found)
            for role in ("patroller", "manager", "supervisor"):
                roster.add(code, roster.new()[0], role)
            for person in roster.new(int(rng.integers(1, 4))):
                roster.add(code, person, "volunteer")
        if done % 16 == 15 or done + 1 == len(communities):
            tick("people", done + 1, len(communities))
    return _people_and_roles(roster, found, rng)


def _leaders(n: int, overloaded: bool, rng, roster) -> list[int]:
    """Return the leader of each of ``n`` grids: cadres leading 1-3 consecutive grids each."""
    leaders = []
    while len(leaders) < n:
        size = int(rng.integers(1, MAX_GRIDS_PER_LEADER + 1))
        if overloaded and not leaders:
            size = MAX_GRIDS_PER_LEADER + 1      # the planted shortfall: one cadre, four grids
        leaders += roster.new() * size
    return leaders[:n]


def _cleaners_needed(code: str, households: int, picks) -> int:
    needed = max(1, required_cleaners(households))
    return needed - 1 if code == picks["below_ratio_grid"] else needed


def _add_cleaners(roster, code, cleaners, i, picks, found) -> None:
    """Add grid ``i``'s cleaner A posts, each backed by a B: a workmate, or the next grid's cleaner."""
    posts = cleaners[i]
    for j, person in enumerate(posts):
        if len(posts) > 1:
            backup = posts[(j + 1) % len(posts)]
        elif len(cleaners) > 1:
            backup = cleaners[(i + 1) % len(cleaners)][0]
        else:
            backup = roster.new()[0]              # a reserve cleaner who holds no A post
        if code == picks["cleaner_without_backup"] and j == 0:
            backup = None
            found["cleaner_without_backup_phone"] = person
        roster.add(code, person, CLEANER, backup)


_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢韦覃蒙莫廖潘蓝唐宋邓冯曾彭苏卢蒋蔡"
             "贾丁魏叶余杜钟田石姚谭陆邹熊金龙吕秦")
_GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰红梅建国文斌宇浩婷雪琳晨志海燕萍辉"
          "鹏飞云峰林凤春秀珍晓东丹宁新立成荣庆德福秋菊金凯佳怡子轩思远俊杰雨欣梓涵家豪")
_PHONE_PREFIXES = (130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157,
                   158, 159, 173, 176, 177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 199)


def _people_and_roles(roster, found, rng):
    phones = _phones(roster.count, rng)
    people = pd.DataFrame({"phone": phones, "name": _names(roster.count, rng),
                           "photo": pd.Series([None] * roster.count, dtype=object)})
    grid, person, role, backup = zip(*roster.rows)
    roles = pd.DataFrame({
        "grid": list(grid), "phone": phones[np.array(person)].tolist(), "role": list(role),
        "backup": pd.Series([None if b is None else phones[b] for b in backup], dtype=object),
    })
    found["overloaded_leader"] = str(phones[found["overloaded_leader"]])
    found["cleaner_without_backup_phone"] = str(phones[found["cleaner_without_backup_phone"]])
    return people, roles, found


def _phones(n: int, rng) -> np.ndarray:
    """Return ``n`` distinct 11-digit mobile numbers."""
    picked = rng.choice(len(_PHONE_PREFIXES) * 10**8, size=n, replace=False)
    prefix = np.array(_PHONE_PREFIXES)[picked // 10**8]
    return np.array([f"{p}{r:08d}" for p, r in zip(prefix, picked % 10**8)], dtype=object)


def _names(n: int, rng) -> list[str]:
    rank = np.arange(1, len(_SURNAMES) + 1)
    surname = rng.choice(len(_SURNAMES), size=n, p=(1 / rank) / (1 / rank).sum())
    given = rng.choice(len(_GIVEN), size=(n, 2))
    two = rng.random(n) < 0.65
    return [_SURNAMES[s] + _GIVEN[g[0]] + (_GIVEN[g[1]] if t else "")
            for s, g, t in zip(surname, given, two)]
