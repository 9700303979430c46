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
    outlines = _outlines(buildings, rules.simplify_m)
    facing = _facing(_sides(outlines, rules), outlines, roads, rules)
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


def _outlines(buildings, tolerance: float) -> np.ndarray:
    """The walls without their survey jogs (a plain rectangle has none to lose)."""
    out = buildings.copy()
    jagged = shapely.get_num_coordinates(buildings) > 5
    out[jagged] = shapely.simplify(buildings[jagged], tolerance)
    return out


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


def _road_segments(roads) -> dict:
    xy, road = shapely.get_coordinates(roads, return_index=True)
    same = road[:-1] == road[1:]
    a, b = xy[:-1][same], xy[1:][same]
    return {"a": a, "b": b, "road": road[:-1][same], "tree": shapely.STRtree(shapely.linestrings(
        np.stack([a, b], axis=1))) if same.any() else None}


def _facing(sides, outlines, roads, rules) -> dict:
    """For each side, the nearest road running in front of it, and the stretch of wall it runs along.

    Each road segment near the building is clipped to the side's outward sweep (the rectangle from
    the wall out to ``max_distance_m``) in the side's own frame: along the wall ``t``, away from it ``h``.
    """
    segments = _road_segments(roads)
    side, seg = _near_pairs(sides, outlines, segments, rules.max_distance_m)
    a, u, n, length = sides["start"][side], sides["unit"][side], sides["normal"][side], sides["length"][side]
    frame = [(segments[k][seg] - a) for k in ("a", "b")]
    (t0, t1), (h0, h1) = ([np.einsum("ij,ij->i", p, axis) for p in frame] for axis in (u, n))
    low, high = _clip(t0, t1 - t0, h0, h1 - h0, length, rules.max_distance_m)
    seen = low <= high
    side, road = side[seen], segments["road"][seg[seen]]
    ts, te = t0[seen] + low[seen] * (t1 - t0)[seen], t0[seen] + high[seen] * (t1 - t0)[seen]
    hs, he = h0[seen] + low[seen] * (h1 - h0)[seen], h0[seen] + high[seen] * (h1 - h0)[seen]
    side, road, first, last, d = _per_side_road(side, road, np.minimum(ts, te), np.maximum(ts, te),
                                                np.minimum(hs, he))
    along = last - first >= rules.min_front_m
    side, road, first, last, d = side[along], road[along], first[along], last[along], d[along]
    order = np.lexsort((road, d, side))
    pick = order[np.r_[True, side[order][1:] != side[order][:-1]]] if len(order) else order
    s = side[pick]
    a, u = sides["start"][s], sides["unit"][s]
    return {"building": sides["building"][s], "road": road[pick], "distance": d[pick],
            "a": a + u * first[pick, None], "b": a + u * last[pick, None], "normal": sides["normal"][s]}


def _near_pairs(sides, outlines, segments, reach) -> tuple[np.ndarray, np.ndarray]:
    """(side, road segment) pairs of the buildings' sides and the road segments within ``reach`` of them."""
    if segments["tree"] is None or not len(sides["building"]):
        return np.empty(0, np.intp), np.empty(0, np.intp)
    buildings = np.unique(sides["building"])
    near, seg = segments["tree"].query(_grown_boxes(outlines[buildings], reach))  # candidates; clipping decides
    near = buildings[near]
    first = np.searchsorted(sides["building"], near)  # sides are grouped by building, in order
    count = np.searchsorted(sides["building"], near, side="right") - first
    side = np.repeat(first, count) + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return side, np.repeat(seg, count)


def _clip(t, dt, h, dh, length, depth) -> tuple[np.ndarray, np.ndarray]:
    """Liang–Barsky: the parameter range of each segment ``(t, h) + s·(dt, dh)`` inside [0, length] × [0, depth]."""
    low, high = np.zeros(len(t)), np.ones(len(t))
    for p, q in ((-dt, t), (dt, length - t), (-dh, h), (dh, depth - h)):
        with np.errstate(divide="ignore", invalid="ignore"):
            r = q / p
        low = np.where(p < 0, np.maximum(low, r), low)
        high = np.where(p > 0, np.minimum(high, r), high)
        high = np.where((p == 0) & (q < 0), -1.0, high)  # parallel to this edge and outside it
    return low, high


def _per_side_road(side, road, first, last, d):
    """Per (side, road): the stretch along the wall its pieces cover, and their nearest approach."""
    if not len(side):
        return side, road, first, last, d
    key = side.astype(np.int64) * (int(road.max()) + 1) + road
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    pick = order[starts]
    return (side[pick], road[pick], np.minimum.reduceat(first[order], starts),
            np.maximum.reduceat(last[order], starts), np.minimum.reduceat(d[order], starts))


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
    """Drop the sides whose zone another building (or the building itself, round a corner) fills.

    In each zone's frame (``t`` along the front, ``h`` away from the wall) a building's bounding box
    bounds what it can fill; it is the building itself for a rectangle aligned with the zone (rows
    of houses), so only the other buildings that reach into a zone go through an overlay.
    """
    zones = facing["zone"]
    if not len(zones):
        return facing
    zone_at, hit = shapely.STRtree(outlines).query(_grown_boxes(zones, 0.0))
    if not len(zone_at):
        return facing
    a, b, n = facing["a"][zone_at], facing["b"][zone_at], facing["normal"][zone_at]
    width, depth = np.hypot(*(b - a).T), facing["depth"][zone_at]
    u = (b - a) / width[:, None]
    xy, pair = shapely.get_coordinates(outlines[hit], return_index=True)
    rel = xy - a[pair]
    t, h = np.einsum("ij,ij->i", rel, u[pair]), np.einsum("ij,ij->i", rel, n[pair])
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    t0, t1 = np.minimum.reduceat(t, starts), np.maximum.reduceat(t, starts)
    h0, h1 = np.minimum.reduceat(h, starts), np.maximum.reduceat(h, starts)
    bound = (np.clip(np.minimum(t1, width) - np.maximum(t0, 0), 0, None)
             * np.clip(np.minimum(h1, depth) - np.maximum(h0, 0), 0, None))
    box_area = (t1 - t0) * (h1 - h0)
    aligned = np.abs(shapely.area(outlines[hit]) - box_area) <= 1e-9 * box_area
    overlay = np.flatnonzero(~aligned & (bound > 0))
    bound[overlay] = shapely.area(shapely.intersection(zones[zone_at[overlay]], outlines[hit[overlay]]))
    filled = np.bincount(zone_at, bound, minlength=len(zones))
    keep = filled <= rules.blocked_share * shapely.area(zones)
    return {k: v[keep] for k, v in facing.items()}


def _grown_boxes(geoms, by: float) -> np.ndarray:
    """Each geometry's bounding box grown by ``by`` metres: the candidates an STRtree query returns."""
    return shapely.box(*(shapely.bounds(geoms) + np.array([-by, -by, by, by])).T)


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
