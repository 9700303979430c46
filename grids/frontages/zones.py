"""The zone in front of a building (门前三包责任区) and the rules that size it.

The usual city rule: from the building's wall base to the kerb on main roads, to the road
centreline on lanes, sideways to the neighbour's wall (the building's own extent). A building
side faces a road when the road runs in front of it (within the side's outward sweep, up to
``max_distance_m``) along at least ``min_front_m`` of it; its front is the stretch of wall the
road runs along (the wall's projection), its zone the rectangle from that stretch to the kerb or
the centreline. A side looking at another building (one filling more than ``blocked_share`` of
its zone) faces no road.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .geometry import as_geometries
from .model import ROAD_KINDS

__all__ = ["ZoneRules", "ZONE_RULES", "derive_zones", "ZONE_COLUMNS"]

_EPSILON_M = 0.05
ZONE_COLUMNS = ["building", "road", "kind", "depth_m", "length_m", "front", "zone"]


@dataclass(frozen=True)
class ZoneRules:
    """How deep a frontage zone reaches, and which building sides face a road.

    A main road's zone ends at the kerb, half the road's width from its centreline (the road's
    ``width_m``, else ``main_width_m``); a lane's at its centreline. No zone is deeper than
    ``max_depth_m``; a side farther than ``max_distance_m`` from every road faces none. Building
    outlines are simplified by ``simplify_m`` first, so a wall is one side, not its survey jogs.
    """

    main_width_m: float = 20.0
    lane_width_m: float = 6.0
    max_depth_m: float = 30.0
    max_distance_m: float = 40.0
    min_front_m: float = 2.0
    simplify_m: float = 0.5
    blocked_share: float = 0.1

    def default_width(self, kind: str) -> float:
        return self.main_width_m if kind == "main" else self.lane_width_m


ZONE_RULES = ZoneRules()


def derive_zones(building_geoms, road_geoms, road_kinds, road_widths=None, rules: ZoneRules = ZONE_RULES
                 ) -> gpd.GeoDataFrame:
    """Derive the street-facing fronts and zones of buildings from a road layer.

    Parameters
    ----------
    building_geoms : array_like of shapely.Polygon or MultiPolygon
        Building footprints in a projected CRS in metres (other geometries are skipped).
    road_geoms : array_like of shapely.LineString
        Road centrelines in the same CRS.
    road_kinds : array_like of str
        ``main`` or ``lane`` per road (:func:`grids.frontages.road_kind` maps OSM ``highway``).
    road_widths : array_like of float, optional
        Carriageway width per road in metres; NaN or None takes the kind's default width.
    rules : ZoneRules, optional
        The zone rule's settings.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per street-facing building side, sorted by building: building and road (positions
        in the inputs), kind, depth_m, length_m (the front's), front (LineString along the wall)
        and zone (Polygon, the active geometry); the inputs' CRS when they carry one.
    """
    buildings, roads = as_geometries(building_geoms, "building_geoms"), as_geometries(road_geoms, "road_geoms")
    kinds, half = _road_halves(roads, road_kinds, road_widths, rules)
    outlines = shapely.simplify(buildings, rules.simplify_m)  # the walls, without their survey jogs
    facing = _facing(_sides(outlines, rules), roads, rules)
    facing = _sized(facing, kinds, half, rules)
    facing = _unblocked(facing, outlines, rules)
    return _frame(facing, kinds, getattr(building_geoms, "crs", None) or getattr(road_geoms, "crs", None))


def _road_halves(roads, road_kinds, road_widths, rules) -> tuple[np.ndarray, np.ndarray]:
    """Each road's kind, and how far its kerb lies from its centreline (0 for a lane: to the centreline)."""
    kinds = np.asarray(list(road_kinds), dtype=object)
    if len(kinds) != len(roads):
        raise ValueError(f"{len(roads)} roads but {len(kinds)} road kinds")
    unknown = sorted({str(k) for k in kinds if k not in ROAD_KINDS})
    if unknown:
        raise ValueError(f"unknown road kind(s) {', '.join(unknown)}; known: {', '.join(ROAD_KINDS)}")
    widths = np.full(len(roads), np.nan) if road_widths is None else \
        pd.to_numeric(pd.Series(list(road_widths), dtype=object), errors="coerce").to_numpy(float)
    if len(widths) != len(roads) or (widths < 0).any():
        raise ValueError("road_widths must give one width ≥ 0 m per road")
    widths = np.where(np.isnan(widths), np.where(kinds == "main", rules.main_width_m, rules.lane_width_m), widths)
    return kinds, np.where(kinds == "main", widths / 2, 0.0)


def _sides(outlines, rules) -> dict:
    """Every wall of every building outline (exterior rings, counter-clockwise): start, direction, length."""
    polygonal = np.flatnonzero(np.isin(shapely.get_type_id(outlines), (3, 6)) & ~shapely.is_empty(outlines))
    parts, owner = shapely.get_parts(outlines[polygonal], return_index=True)
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    xy, ring = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    same = ring[:-1] == ring[1:]
    start, end, building = xy[:-1][same], xy[1:][same], polygonal[owner[ring[:-1][same]]]
    length = np.hypot(*(end - start).T)
    keep = length >= rules.min_front_m
    unit = (end - start)[keep] / length[keep, None]
    return {"building": building[keep], "start": start[keep], "unit": unit, "length": length[keep],
            "normal": np.column_stack([unit[:, 1], -unit[:, 0]])}  # outward: the interior lies left


def _facing(sides, roads, rules) -> dict:
    """For each side, the nearest road running in front of it, and the stretch of wall it runs along."""
    reach = rules.max_distance_m
    a, u, n, length = sides["start"], sides["unit"], sides["normal"], sides["length"]
    sweeps = shapely.polygons(np.stack([a, a + u * length[:, None], a + u * length[:, None] + n * reach,
                                        a + n * reach], axis=1))
    side, road = shapely.STRtree(roads).query(sweeps, predicate="intersects") if len(roads) else (
        np.empty(0, np.intp), np.empty(0, np.intp))
    xy, pair = shapely.get_coordinates(shapely.intersection(roads[road], sweeps[side]), return_index=True)
    rel = xy - a[side[pair]]
    t, h = np.einsum("ij,ij->i", rel, u[side[pair]]), np.einsum("ij,ij->i", rel, n[side[pair]])
    t0, t1, d = (np.full(len(side), v) for v in (np.inf, -np.inf, np.inf))
    np.minimum.at(t0, pair, t), np.maximum.at(t1, pair, t), np.minimum.at(d, pair, h)
    t0, t1 = np.clip(t0, 0, length[side]), np.clip(t1, 0, length[side])
    along = (t1 - t0 >= rules.min_front_m) & np.isfinite(d)
    side, road, t0, t1, d = side[along], road[along], t0[along], t1[along], d[along]
    order = np.lexsort((road, d, side))
    first = order[np.r_[True, side[order][1:] != side[order][:-1]]] if len(order) else order
    s = side[first]
    return {"building": sides["building"][s], "road": road[first], "distance": d[first],
            "a": a[s] + u[s] * t0[first, None], "b": a[s] + u[s] * t1[first, None], "normal": n[s]}


def _sized(facing, kinds, half, rules) -> dict:
    """Zone depth: to the kerb on main roads, to the centreline on lanes, at most ``max_depth_m``."""
    depth = np.minimum(facing["distance"] - half[facing["road"]], rules.max_depth_m)
    keep = depth > 0  # a wall inside the carriageway (a misdrawn outline) has no zone
    out = {k: v[keep] for k, v in facing.items()}
    out["depth"] = depth[keep]
    off = out["normal"] * out["depth"][:, None]
    out["zone"] = shapely.polygons(np.stack([out["a"], out["b"], out["b"] + off, out["a"] + off], axis=1))
    out["front"] = shapely.linestrings(np.stack([out["a"], out["b"]], axis=1))
    return out


def _unblocked(facing, outlines, rules) -> dict:
    """Drop the sides whose zone another building (or the building itself, round a corner) fills."""
    zones = facing["zone"]
    if not len(zones):
        return facing
    zone_at, hit = shapely.STRtree(outlines).query(_inner(facing, _EPSILON_M), predicate="intersects")
    if len(zone_at):
        shared = shapely.area(shapely.intersection(zones[zone_at], outlines[hit]))
        filled = np.bincount(zone_at, shared, minlength=len(zones))
        keep = filled <= rules.blocked_share * shapely.area(zones)
        facing = {k: v[keep] for k, v in facing.items()}
    return facing


def _inner(facing, eps: float) -> np.ndarray:
    """The zones shrunk by ``eps`` on every side: off their own wall, so touching is not blocking."""
    a, b, n = facing["a"], facing["b"], facing["normal"]
    u = (b - a) / np.hypot(*(b - a).T)[:, None]
    a, b = a + (u + n) * eps, b + (n - u) * eps
    off = n * (facing["depth"] - 2 * eps)[:, None]
    return shapely.polygons(np.stack([a, b, b + off, a + off], axis=1))


def _frame(facing, kinds, crs) -> gpd.GeoDataFrame:
    order = np.argsort(facing["building"], kind="stable") if len(facing["building"]) else np.empty(0, np.intp)
    frame = pd.DataFrame({"building": facing["building"][order].astype("int64"),
                          "road": facing["road"][order].astype("int64"),
                          "kind": kinds[facing["road"][order]].astype(object) if len(order) else
                          np.empty(0, dtype=object),
                          "depth_m": facing["depth"][order], "length_m": shapely.length(facing["front"][order])})
    frame["front"] = gpd.GeoSeries(facing["front"][order], crs=crs).array
    frame["zone"] = gpd.GeoSeries(facing["zone"][order], crs=crs).array
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="zone", crs=crs)
