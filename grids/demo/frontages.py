"""门前三包 frontages of the demo city: shop and office fronts along one street edge of each built-up grid.

The demo city has no road layer: a grid's edge stands for the street it faces. Each built-up grid
gets a row of units (6–30 m fronts with gaps between them) along a stretch of its boundary, the
building line :data:`SETBACK_M` inside the grid. Most commitments are signed and current; in every
grid the expired, refused and not-visited fronts stay under :data:`UNSIGNED_SHARE` of its length (so
the grid is above the 90 % floor), except in the planted grid, where only about
:data:`LOW_SIGNED_SHARE` is signed. One more planted unit's commitment runs out within 30 days.
Everything is drawn from ``rng`` and dated from ``today``: same seed and day, same frontages.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from grids.frontages import ITEM_SETS

from .people import _names, _phones

__all__ = ["FRONT_M", "SETBACK_M", "UNSIGNED_SHARE", "LOW_SIGNED_SHARE", "TERM_DAYS", "EXPIRING_IN_DAYS",
           "build_frontages", "credit_code", "street_grids"]

FRONT_M = (6.0, 30.0)            # a shop front to an office building's
GAP_M = (1.0, 12.0)              # between two units: a gateway, a lane, a blank wall
SETBACK_M = 4.0                  # the building line inside the grid edge (the edge is the street)
UNITS = {"commercial": (14, 28), "market": (10, 20), "urban_village": (6, 14), "residential": (4, 12),
         "other": (2, 8), "industrial": (2, 6), "park": (1, 3)}
UNSIGNED_SHARE = 0.07            # of a grid's frontage length, at most, in the ordinary grids
LOW_SIGNED_SHARE = 0.55          # the planted grid's signed share of length
TERM_DAYS = 3 * 365              # a commitment runs three years
MIN_LEFT_DAYS = 45               # an ordinary signed commitment has at least this long to run
EXPIRING_IN_DAYS = 12            # the planted unit's commitment ends this many days after today
_UNIT_KINDS = {"individual": 0.62, "enterprise": 0.30, "government": 0.04, "association": 0.04}
_UNSIGNED_KINDS = {"lapsed": 0.3, "expired": 0.2, "refused": 0.2, "not_visited": 0.3}   # lapsed: signed, past expiry
_CODE_PREFIX = {"government": "11", "association": "51", "enterprise": "91", "individual": "92"}
_TRADES = ("粉店", "螺蛳粉店", "便利店", "五金店", "理发店", "水果店", "药店", "早餐店", "奶茶店", "烧烤店", "干洗店",
           "文具店", "手机店", "烟酒店", "超市", "面馆", "诊所", "花店", "米粉店", "眼镜店", "电动车行", "蛋糕店")
_FIRMS = ("龙城", "鱼峰", "柳江", "荣军", "华联", "瑞丰", "恒达", "鑫源", "宏泰", "金桂", "永鑫", "盛世", "柳钢", "壶城")
_TRADES_FIRM = ("商贸", "物业服务", "餐饮管理", "科技", "汽车服务", "建材", "医药连锁", "酒店管理", "广告", "电器")
_OFFICES = ("街道办事处", "派出所", "市场监管所", "税务所", "司法所", "供电所", "邮政支局")
_ASSOCIATIONS = ("个体劳动者协会", "餐饮行业协会", "红十字会", "老年人协会", "商会")
ROADS = ("文昌路", "龙城路", "屏山大道", "潭中路", "航银路", "桂中大道", "红光路", "五一路", "弯塘路", "柳石路",
         "飞鹅路", "荣军路", "胜利路", "友谊路", "学院路", "谷埠街", "东环大道", "燎原路", "窑埠路", "高新一路")
_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"         # GB 32100-2015: no I, O, S, V, Z
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]             # GB 11714 (the organisation code inside)


def street_grids(grids: pd.DataFrame) -> np.ndarray:
    """Rows of the grids with street fronts: every built-up grid, and a town's commercial and market grids."""
    kind, kinds = grids["kind"].to_numpy(), grids["type"].to_numpy()
    return np.flatnonzero((kind == "community") | ((kind == "town") & np.isin(kinds, ["commercial", "market"])))


def build_frontages(grids: pd.DataFrame, names: dict, rng, today: dt.date, avoid=()) -> tuple[pd.DataFrame, dict]:
    """Return the frontages (metric LineStrings, contract columns) and the planted gaps.

    ``grids``: code, community, kind, type, metric geometry; ``names``: region code -> name;
    ``avoid``: grid codes the other planted shortfalls use (the low grid is picked elsewhere).
    The planted keys: ``frontage_low_grid``, ``frontage_low_signed_pct`` (by length),
    ``frontage_expiring_ref``, ``frontage_expiring_grid``, ``frontage_expiring_on`` (ISO date).
    """
    rows = street_grids(grids)
    owner, geoms = _fronts(grids["geometry"].to_numpy()[rows], grids["type"].to_numpy()[rows], rng)
    frame = pd.DataFrame({"grid": grids["code"].to_numpy()[rows][owner], "geometry": geoms})
    frame["ref"] = [f"F{code}{n + 1:03d}" for code, n in zip(frame["grid"], frame.groupby("grid").cumcount())]
    length = shapely.length(frame["geometry"].to_numpy())
    low = _pick_low_grid(frame, grids, set(avoid), rng)
    status, signed_on, expires_on = _statuses(frame["grid"].to_numpy(), length, low, rng, today)
    expiring = _plant_expiring(frame, status, signed_on, expires_on, low, rng, today)
    frame = _describe(frame, names, rng)
    frame["status"], frame["signed_on"], frame["expires_on"] = status, signed_on, expires_on
    signed = (status == "signed") & (expires_on >= np.datetime64(today))
    in_low = frame["grid"].to_numpy() == low
    planted = {"frontage_low_grid": low,
               "frontage_low_signed_pct": round(100 * length[in_low & signed].sum() / length[in_low].sum(), 1),
               "frontage_expiring_ref": frame["ref"].iloc[expiring], "frontage_expiring_grid": frame["grid"].iloc[expiring],
               "frontage_expiring_on": str(expires_on[expiring])}
    return _finish(frame), planted


def _fronts(cells: np.ndarray, types: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """A row of unit fronts along a stretch of each cell's boundary, SETBACK_M inside; those inside kept."""
    counts = np.array([rng.integers(UNITS[t][0], UNITS[t][1] + 1) for t in types])
    owner = np.repeat(np.arange(len(cells)), counts)
    width = rng.uniform(*FRONT_M, len(owner))
    gap = rng.uniform(*GAP_M, len(owner))
    rings = shapely.get_exterior_ring(_largest(shapely.orient_polygons(cells)))   # counter-clockwise
    perimeter = shapely.length(rings)
    start = rng.uniform(0, 1, len(cells)) * perimeter
    step = width + gap
    offset = np.cumsum(step) - step                     # each unit's distance from its row's start ...
    first = np.cumsum(counts) - counts
    offset -= np.repeat(offset[first], counts)          # ... within its own row
    begin = (start[owner] + offset) % perimeter[owner]
    end = begin + width
    keep = end < perimeter[owner]                       # a front does not wrap past the ring's start
    a = shapely.get_coordinates(shapely.line_interpolate_point(rings[owner], begin))
    b = shapely.get_coordinates(shapely.line_interpolate_point(rings[owner], np.minimum(end, perimeter[owner])))
    along = (b - a) / np.maximum(np.hypot(*(b - a).T), 1e-9)[:, None]
    inward = np.column_stack([-along[:, 1], along[:, 0]]) * SETBACK_M   # left of a counter-clockwise ring
    lines = shapely.linestrings(np.stack([a + inward, b + inward], axis=1))
    keep &= shapely.within(lines, cells[owner]) & (np.abs(shapely.length(lines) - width) < 0.5)
    return owner[keep], lines[keep]


def _largest(cells: np.ndarray) -> np.ndarray:
    """Each cell's largest polygon (a grid cut by the planted hole may be a MultiPolygon)."""
    out = cells.copy()
    for i in np.flatnonzero(shapely.get_type_id(cells) == 6):
        parts = shapely.get_parts(cells[i])
        out[i] = parts[np.argmax(shapely.area(parts))]
    return out


def _pick_low_grid(frame: pd.DataFrame, grids: pd.DataFrame, avoid: set, rng) -> str:
    """A built-up commercial (else any) grid with at least 12 units, none of the other shortfalls."""
    units = frame.groupby("grid").size()
    types = grids.set_index("code")["type"]
    pool = [c for c in units.index[units >= 12] if c not in avoid and c[:12] not in avoid]
    better = [c for c in pool if types[c] == "commercial"] or pool or list(units.index[units >= 4])
    return str(rng.choice(sorted(better)))


def _statuses(grid: np.ndarray, length: np.ndarray, low: str, rng, today: dt.date):
    """Status and dates of every unit: the unsigned share per grid as planned (see the module docstring)."""
    n = len(grid)
    unsigned = np.zeros(n, dtype=bool)
    order = rng.permutation(n)
    total = pd.Series(length).groupby(grid).sum()
    budget = {code: (1 - LOW_SIGNED_SHARE if code == low else UNSIGNED_SHARE) * m for code, m in total.items()}
    chance = rng.random(n) < 0.3
    for i in order:                       # each grid's unsigned fronts, as long as its budget allows
        if (chance[i] or grid[i] == low) and length[i] <= budget[grid[i]]:
            unsigned[i] = True
            budget[grid[i]] -= length[i]
    flavour = rng.choice(list(_UNSIGNED_KINDS), size=n, p=list(_UNSIGNED_KINDS.values()))
    status = np.where(unsigned, np.where(flavour == "lapsed", "signed", flavour), "signed").astype(object)
    day = np.datetime64(today, "D")
    age = np.where(unsigned, rng.integers(TERM_DAYS + 1, TERM_DAYS + 700, n),
                   rng.integers(1, TERM_DAYS - MIN_LEFT_DAYS + 1, n)).astype("timedelta64[D]")
    signed_on = day - age
    expires_on = signed_on + np.timedelta64(TERM_DAYS, "D")
    dated = np.isin(status, ["signed", "expired"])
    signed_on = np.where(dated, signed_on, np.datetime64("NaT"))
    expires_on = np.where(dated, expires_on, np.datetime64("NaT"))
    return status, signed_on, expires_on


def _plant_expiring(frame, status, signed_on, expires_on, low: str, rng, today: dt.date) -> int:
    """Make one current unit outside the low grid run out EXPIRING_IN_DAYS from today; return its row."""
    current = np.flatnonzero((status == "signed") & (expires_on >= np.datetime64(today)) & (frame["grid"] != low))
    row = int(rng.choice(current))
    expires_on[row] = np.datetime64(today, "D") + np.timedelta64(EXPIRING_IN_DAYS, "D")
    signed_on[row] = expires_on[row] - np.timedelta64(TERM_DAYS, "D")
    return row


def _describe(frame: pd.DataFrame, names: dict, rng) -> pd.DataFrame:
    """Who the units are: kind, name, credit code, contact, phone, address and road, items."""
    n = len(frame)
    kind = rng.choice(list(_UNIT_KINDS), size=n, p=list(_UNIT_KINDS.values()))
    community = frame["grid"].str[:12].map(names).to_numpy()
    street = frame["grid"].str[:9].map(names).to_numpy()
    road = np.array(ROADS)[rng.integers(0, len(ROADS), frame["grid"].nunique())][
        pd.factorize(frame["grid"])[0]]                 # one road per grid's row of units
    people = _names(n, rng)
    frame["unit_kind"] = kind
    frame["unit_name"] = [_unit_name(k, c, s, p, rng) for k, c, s, p in zip(kind, community, street, people)]
    has_code = (kind != "individual") | (rng.random(n) < 0.7)
    frame["credit_code"] = pd.Series([credit_code(_CODE_PREFIX[k], g[:6], rng) if c else None
                                      for k, g, c in zip(kind, frame["grid"], has_code)], index=frame.index, dtype=object)
    frame["contact"] = people
    frame["phone"] = _phones(n, rng)
    frame["address"] = [f"{c}{r}{int(x)}号" for c, r, x in zip(community, road, rng.integers(1, 400, n))]
    frame["road"] = road
    frame["liable"] = np.where(rng.random(n) < 0.8, "tenant", "owner")
    five = (kind == "government") & (rng.random(n) < 0.5)
    frame["item_set"] = np.where(five, "五包", "三包")
    frame["items"] = [list(ITEM_SETS[s]) for s in frame["item_set"]]
    return frame


def _unit_name(kind: str, community: str, street: str, person: str, rng) -> str:
    if kind == "individual":
        return f"{person[0]}记{_TRADES[rng.integers(len(_TRADES))]}" if rng.random() < 0.5 else \
            f"{community.removesuffix('社区')}{_TRADES[rng.integers(len(_TRADES))]}"
    if kind == "enterprise":
        return f"柳州市{_FIRMS[rng.integers(len(_FIRMS))]}{_TRADES_FIRM[rng.integers(len(_TRADES_FIRM))]}有限公司"
    if kind == "government":
        office = _OFFICES[rng.integers(len(_OFFICES))]
        return f"{street.removesuffix('街道')}{office}" if office != "街道办事处" else f"{street}办事处"
    return f"柳州市{_ASSOCIATIONS[rng.integers(len(_ASSOCIATIONS))]}{community}分会"


def credit_code(prefix: str, division: str, rng) -> str:
    """A valid 18-character unified social credit code (GB 32100-2015) with its organisation code (GB 11714)."""
    body = "".join(str(d) for d in rng.integers(0, 10, 8))
    org_check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS)) % 11
    code = prefix + division + body + {10: "X", 11: "0"}.get(org_check, str(org_check))
    check = (31 - sum(_CHARSET.index(c) * w for c, w in zip(code, _WEIGHTS)) % 31) % 31
    return code + _CHARSET[check]


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Contract column order; dates as ISO text (None when there is none)."""
    for column in ("signed_on", "expires_on"):
        frame[column] = pd.Series([None if pd.isna(d) else pd.Timestamp(d).date().isoformat() for d in frame[column]],
                                  index=frame.index, dtype=object)
    columns = ["ref", "unit_name", "unit_kind", "credit_code", "contact", "phone", "address", "liable", "item_set",
               "items", "signed_on", "expires_on", "status", "road", "grid", "geometry"]
    return frame[columns].reset_index(drop=True)
