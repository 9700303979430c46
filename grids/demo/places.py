"""Key places (重点场所) of the demo city: at least one of every default kind (grids.places.PLACE_KINDS).

Toilets and refuse points stand by each street grid's row of frontages (so a street view shows
both), markets in the market grids, a school for every few grids, building sites and old compounds
as small polygons inside grids, urban villages as the urban-village grids' own outline, a transfer
station per street (街道), 六小 shops at some individual businesses' fronts, public places (hotels,
bathhouses) with a 卫生许可证, some of them expired. Same ``rng`` and ``today``, same places.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from .frontages import street_grids
from .people import _names, _phones

__all__ = ["build_places"]

_REF_CODES = {"farmers_market": "FM", "construction_site": "CS", "public_toilet": "PT", "refuse_point": "RP",
              "transfer_station": "TS", "small_shop": "SS", "school": "SC", "urban_village": "UV",
              "old_compound": "OC", "public_place": "PP"}
STREET_SIDE_M = 10.0       # a toilet or a refuse point this far inside the grid from its street edge
SHOP_DEPTH_M = 15.0        # a shop's point inside its premises, behind its front (its icon leaves the front seen)
_COMPOUNDS = ("机械厂宿舍", "纺织厂生活区", "粮食局宿舍", "化工厂宿舍", "铁路新村", "电厂宿舍", "邮电小区", "糖厂宿舍")
_PUBLIC = ("宾馆", "大酒店", "洗浴中心", "KTV", "健身会所", "美容美发店", "网吧", "游泳馆")
_SHOPS = ("小餐馆", "小食杂店", "小美容美发店", "小旅店", "小歌舞厅", "小浴室")


def build_places(grids: pd.DataFrame, frontages: pd.DataFrame, names: dict, rng, today: dt.date) -> pd.DataFrame:
    """Return the places (metric Point or Polygon, contract columns) of the demo city.

    ``grids``: code, community, kind, type, metric geometry; ``frontages``: build_frontages's frame;
    ``names``: region code -> name.
    """
    cells = grids.set_index("code")["geometry"]
    street = grids.iloc[street_grids(grids)]
    parts = [_street_side(street, frontages, rng), _by_type(grids, "market", "farmers_market"),
             _by_type(grids, "urban_village", "urban_village"),
             _compounds(street, "old_compound", 0.3, (160, 120), rng),
             _compounds(street, "construction_site", 0.08, (90, 60), rng),
             _schools(street, rng), _transfer_stations(street, rng), _shops(frontages, rng),
             _public_places(street, rng)]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[shapely.within(frame["geometry"].to_numpy(), cells.loc[frame["grid"]].to_numpy())]
    frame = _describe(frame.reset_index(drop=True), names, rng, today)
    return frame


def _row(kind, grid, geometry, **extra) -> dict:
    return {"kind": kind, "grid": grid, "geometry": geometry, **extra}


def _street_side(street: pd.DataFrame, frontages: pd.DataFrame, rng) -> pd.DataFrame:
    """A refuse point just past each grid's row of frontages and, in most grids, a toilet just before it."""
    rows = []
    ends = frontages.groupby("grid")["geometry"].agg(["first", "last"])
    for code in street["code"]:
        if code not in ends.index:
            continue
        first, last = ends.loc[code, "first"], ends.loc[code, "last"]
        rows.append(_row("refuse_point", code, _beside(last, 1.0, 8.0)))
        if rng.random() < 0.7:
            rows.append(_row("public_toilet", code, _beside(first, 0.0, -8.0)))
    return pd.DataFrame(rows)


def _beside(front, at: float, along_m: float):
    """A point STREET_SIDE_M from the street, ``along_m`` past one end (``at`` 0 or 1) of a front line."""
    a, b = np.asarray(front.coords)
    direction = (b - a) / np.hypot(*(b - a))
    inward = np.array([-direction[1], direction[0]])
    end = b if at else a
    return shapely.Point(end + direction * along_m + inward * (STREET_SIDE_M - 4.0))


def _by_type(grids: pd.DataFrame, grid_type: str, kind: str) -> pd.DataFrame:
    """One place of ``kind`` in each grid of ``grid_type``: a point, or (urban villages) the grid's own area."""
    part = grids[grids["type"] == grid_type]
    if kind == "urban_village":
        geoms = [_largest(shapely.buffer(g, -15.0)) for g in part["geometry"]]
    else:
        geoms = list(shapely.point_on_surface(part["geometry"].to_numpy()))
    return pd.DataFrame([_row(kind, c, g) for c, g in zip(part["code"], geoms) if g is not None and not g.is_empty])


def _largest(geom):
    parts = shapely.get_parts(geom)
    return parts[np.argmax(shapely.area(parts))] if len(parts) else None


def _compounds(street: pd.DataFrame, kind: str, share: float, size: tuple, rng) -> pd.DataFrame:
    """Rectangles of ``size`` metres round a point inside ``share`` of the street grids (at least one)."""
    pick = rng.random(len(street)) < share
    pick[rng.integers(len(street))] = True
    part = street[pick]
    centres = shapely.get_coordinates(shapely.point_on_surface(part["geometry"].to_numpy()))
    shift = rng.uniform(-40, 40, (len(part), 2))
    w, h = size[0] / 2, size[1] / 2
    boxes = [shapely.box(x - w, y - h, x + w, y + h) for x, y in centres + shift]
    return pd.DataFrame([_row(kind, c, g) for c, g in zip(part["code"], boxes)])


def _some_grids(street: pd.DataFrame, grid_type: str, share: float, rng) -> tuple[pd.DataFrame, np.ndarray]:
    """About ``share`` of the street grids of ``grid_type`` (any street grid when there is none), at least one,
    with a point inside each."""
    typed = street[street["type"] == grid_type]
    typed = typed if len(typed) else street
    pick = rng.random(len(typed)) < share
    pick[rng.integers(len(typed))] = True
    part = typed[pick]
    return part, shapely.point_on_surface(part["geometry"].to_numpy())


def _schools(street: pd.DataFrame, rng) -> pd.DataFrame:
    """A school in about one residential street grid in five (at least one)."""
    part, points = _some_grids(street, "residential", 0.2, rng)
    return pd.DataFrame([_row("school", c, shapely.Point(p.x + 30, p.y - 30)) for c, p in zip(part["code"], points)])


def _transfer_stations(street: pd.DataFrame, rng) -> pd.DataFrame:
    """One transfer station per street (街道) with street grids, in one of its grids."""
    rows = []
    for _, group in street.groupby(street["code"].str[:9], sort=True):
        cell = group.iloc[int(rng.integers(len(group)))]
        point = shapely.point_on_surface(cell["geometry"])
        rows.append(_row("transfer_station", cell["code"], shapely.Point(point.x - 40, point.y + 25)))
    return pd.DataFrame(rows)


def _shops(frontages: pd.DataFrame, rng) -> pd.DataFrame:
    """六小 shops: one individual business in eight, SHOP_DEPTH_M behind the middle of its front."""
    part = frontages[(frontages["unit_kind"] == "individual") & (rng.random(len(frontages)) < 0.125)]
    rows = []
    for code, name, front in zip(part["grid"], part["unit_name"], part["geometry"]):
        a, b = np.asarray(front.coords)
        direction = (b - a) / np.hypot(*(b - a))
        middle = (a + b) / 2 + np.array([-direction[1], direction[0]]) * SHOP_DEPTH_M
        rows.append(_row("small_shop", code, shapely.Point(middle), name=name))
    return pd.DataFrame(rows)


def _public_places(street: pd.DataFrame, rng) -> pd.DataFrame:
    """Hotels, bathhouses and the like in about a third of the commercial street grids (at least one)."""
    part, points = _some_grids(street, "commercial", 0.35, rng)
    return pd.DataFrame([_row("public_place", c, shapely.Point(p.x - 25, p.y + 35)) for c, p in zip(part["code"], points)])


def _describe(frame: pd.DataFrame, names: dict, rng, today: dt.date) -> pd.DataFrame:
    """Names, operators, contacts, addresses; licences and health certificates where the kind has them."""
    n = len(frame)
    kind = frame["kind"].to_numpy()
    community = frame["grid"].str[:12].map(names).to_numpy()
    street = frame["grid"].str[:9].map(names).to_numpy()
    district = frame["grid"].str[:6].map(names).to_numpy()
    number = frame.groupby(["grid", "kind"]).cumcount().to_numpy() + 1
    given = frame["name"].to_numpy() if "name" in frame.columns else np.full(n, None, dtype=object)
    frame["name"] = [g if isinstance(g, str) else _name(k, c, s, i, rng)
                     for g, k, c, s, i in zip(given, kind, community, street, number)]
    frame["operator"] = [_operator(k, c, s, d, rng) for k, c, s, d in zip(kind, community, street, district)]
    frame["contact"] = _names(n, rng)
    frame["phone"] = _phones(n, rng)
    frame["address"] = [f"{s}{c}" + (f"{int(x)}号" if k != "urban_village" else "")
                        for s, c, k, x in zip(street, community, kind, rng.integers(1, 300, n))]
    staffed = np.isin(kind, ["small_shop", "public_place", "farmers_market"])
    staff = np.where(staffed, rng.integers(2, 30, n), 0)
    short = staffed & (rng.random(n) < 0.15)                  # some staff lack their health certificate
    certs = np.where(short, np.maximum(staff - rng.integers(1, 3, n), 0), staff)
    frame["health_certs"] = pd.Series([int(c) if s else None for c, s in zip(certs, staffed)], dtype=object)
    frame["staff"] = pd.Series([int(c) if s else None for c, s in zip(staff, staffed)], dtype=object)
    licensed = kind == "public_place"
    year = rng.integers(today.year - 4, today.year, n)
    frame["licence_no"] = [f"柳卫公证字〔{y}〕第{frame['grid'].iloc[i][:6]}{i % 10000:04d}号" if licensed[i] else None
                           for i, y in enumerate(year)]
    lapsed = rng.random(n) < 0.12
    expiry = [today + dt.timedelta(days=int(d)) for d in np.where(lapsed, rng.integers(-300, -5, n),
                                                                  rng.integers(60, 4 * 365, n))]
    frame["licence_expires"] = [e.isoformat() if licensed[i] else None for i, e in enumerate(expiry)]
    frame["ref"] = [f"P{g}{_REF_CODES[k]}{i:02d}" for g, k, i in zip(frame["grid"], kind, number)]
    columns = ["ref", "kind", "name", "operator", "contact", "phone", "address", "licence_no", "licence_expires",
               "health_certs", "staff", "grid", "geometry"]
    return frame[columns]


def _name(kind: str, community: str, street: str, number: int, rng) -> str:
    place = community.removesuffix("社区").removesuffix("村")
    return {
        "public_toilet": f"{place}{number}号公厕", "refuse_point": f"{place}垃圾收集点{number}号",
        "farmers_market": f"{place}农贸市场", "urban_village": f"{community}城中村片区",
        "old_compound": f"{place}{_COMPOUNDS[rng.integers(len(_COMPOUNDS))]}",
        "construction_site": f"{place}{'安置房' if rng.random() < 0.5 else '商住楼'}建设项目工地",
        "school": f"柳州市{place}{'小学' if rng.random() < 0.6 else '中学'}",
        "transfer_station": f"{street}垃圾转运站",
        "public_place": f"{place}{_PUBLIC[rng.integers(len(_PUBLIC))]}",
    }.get(kind, f"{place}{_SHOPS[rng.integers(len(_SHOPS))]}")


def _operator(kind: str, community: str, street: str, district: str, rng) -> str:
    return {
        "public_toilet": f"{district}环境卫生管理站", "refuse_point": f"{street}环卫所",
        "transfer_station": f"{district}环境卫生管理站", "farmers_market": "柳州市农贸市场管理有限公司",
        "urban_village": f"{community}居民委员会", "old_compound": f"{community}居民委员会",
        "construction_site": "广西建工集团有限责任公司", "school": f"{district}教育局",
    }.get(kind, "个体经营")
