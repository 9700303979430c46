"""Benchmark frontages (门前三包): the zones of 200,000 building fronts and the frontage gap of a 20,000-grid city.

The demo city's 20,000 grids get streets along the edges of their built-up grids and 200,000
rectangular buildings in rows along both sides (bench/support/street_city.py). 92 % of the
buildings have a registered frontage (half as the street wall, half as the zone polygon; 90 %
signed, expiring from 30 days before to two years after the frozen date, 4 % refused, 6 % not
visited). The project (grids.frontages: ``derive_zones`` of every building along the roads, then
``frontage_gap`` of every grid with the derived fronts for the unregistered street front) is timed
beside a bare shapely reference on the same arrays: building walls, an STRtree ``query_nearest``
road per wall, single-sided buffers as zones, and the length overlay (STRtree ``intersects``
queries of the frontages and fronts against the prepared grids, ``intersection`` where a grid does
not cover the piece, and buffers of the registered frontages for the street front they cover).
The two do not count alike at the edges (the reference takes one nearest road per wall within
45° of its normal, the project every road running in front of a wall; a buffer also covers the
first metres of a neighbouring wall): both sets of figures are printed. ``ratio`` is the project
over the reference, best of interleaved runs; ends with one JSON line of figures.

    .venv/bin/python bench/frontages.py [--grids 20000] [--buildings 200000] [--seed 0]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # this checkout's grids, not the installed one
from support.measure import best, measure  # noqa: E402
from support.street_city import street_city  # noqa: E402

from grids.demo import build_demo_city  # noqa: E402
from grids.frontages import ZONE_RULES, derive_zones, frontage_gap, frontage_length  # noqa: E402

METRIC = "EPSG:4545"
TODAY = dt.date(2026, 3, 1)
REPEAT = 3
MATCH_M = 5.0


def register(city, rng) -> gpd.GeoDataFrame:
    """The frontage register: most buildings' street walls (or zones), with statuses and expiry dates."""
    n = len(city.buildings)
    taken = np.sort(rng.choice(n, int(0.92 * n), replace=False))
    geoms = np.where(taken % 2 == 0, city.walls[taken], city.zones[taken])
    status = rng.choice(["signed", "refused", "not_visited"], len(taken), p=[0.9, 0.04, 0.06])
    days = rng.integers(-30, 730, len(taken))
    expires = [str(TODAY + dt.timedelta(days=int(d))) if s == "signed" else None for s, d in zip(status, days)]
    return gpd.GeoDataFrame({"ref": [f"F{i:06d}" for i in taken], "status": status, "expires_on": expires},
                            geometry=geoms, crs=METRIC)


def project(grids, city, frontages):
    zones = derive_zones(city.buildings, city.roads, city.kinds, city.widths)
    table = frontage_gap(grids, frontages, TODAY, fronts=zones["front"].array, match_m=MATCH_M)
    return zones, table


# ---- the bare shapely reference ------------------------------------------------------------------

def bare_zones(buildings, roads, kinds, widths):
    """Walls, the nearest road of each (query_nearest), the ones facing it, zones as single-sided buffers."""
    rings = shapely.get_exterior_ring(shapely.orient_polygons(buildings))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[:-1] == ring[1:]
    a, b = xy[:-1][same], xy[1:][same]
    walls = shapely.linestrings(np.stack([a, b], axis=1))
    (wall, road), distance = shapely.STRtree(roads).query_nearest(
        walls, max_distance=ZONE_RULES.max_distance_m, return_distance=True, all_matches=False)
    mid = (a[wall] + b[wall]) / 2
    foot = shapely.get_coordinates(shapely.line_interpolate_point(
        roads[road], shapely.line_locate_point(roads[road], shapely.points(mid))))
    u = b[wall] - a[wall]
    outward = np.column_stack([u[:, 1], -u[:, 0]]) / np.hypot(*u.T)[:, None]
    towards = foot - mid
    facing = np.einsum("ij,ij->i", towards, outward) > np.cos(np.pi / 4) * np.hypot(*towards.T)
    half = np.where(kinds[road] == "main", widths[road] / 2, 0.0)
    depth = np.minimum(distance - half, ZONE_RULES.max_depth_m)
    keep = facing & (depth > 0)
    fronts = walls[wall[keep]]
    return fronts, shapely.buffer(fronts, -depth[keep], single_sided=True, cap_style="flat")


def _overlay_lengths(lines_or_zones, cells, tree):
    """(item, grid, length) of each item's part in each grid: whole where a prepared grid covers it."""
    item, grid = tree.query(lines_or_zones, predicate="intersects")
    inside = shapely.covers(cells[grid], lines_or_zones[item])
    pieces = lines_or_zones[item].copy()
    pieces[~inside] = shapely.intersection(lines_or_zones[item[~inside]], cells[grid[~inside]])
    zone = shapely.get_type_id(lines_or_zones[item]) == 3
    share = np.divide(shapely.area(pieces), shapely.area(lines_or_zones[item]), out=np.zeros(len(item)),
                      where=zone)
    return item, grid, np.where(zone, share * frontage_length(lines_or_zones[item]), shapely.length(pieces))


def bare_gap(grid_geoms, frontages, fronts):
    """Registered and signed length per grid, and the street front no registered frontage lies along."""
    geoms = np.asarray(frontages.geometry.array, dtype=object)
    signed = (frontages["status"].to_numpy() == "signed") & np.array(
        [not isinstance(e, str) or e >= str(TODAY) for e in frontages["expires_on"]])
    shapely.prepare(grid_geoms)
    tree = shapely.STRtree(grid_geoms)
    f, g, length = _overlay_lengths(geoms, grid_geoms, tree)
    registered = np.bincount(g, length, minlength=len(grid_geoms))
    signed_m = np.bincount(g, length * signed[f], minlength=len(grid_geoms))
    reach = shapely.buffer(geoms, MATCH_M, quad_segs=2)
    shapely.prepare(reach)
    line, hit = shapely.STRtree(reach).query(fronts, predicate="intersects")
    inside = shapely.covers(reach[hit], fronts[line])
    part = shapely.length(fronts[line])
    part[~inside] = shapely.length(shapely.intersection(fronts[line[~inside]], reach[hit[~inside]]))
    covered = np.bincount(line, part, minlength=len(fronts))
    free = np.clip(shapely.length(fronts) - covered, 0, None) / shapely.length(fronts)
    fl, fg, length = _overlay_lengths(fronts, grid_geoms, tree)
    unregistered = np.bincount(fg, length * free[fl], minlength=len(grid_geoms))
    return registered, signed_m, unregistered


def bare(grid_geoms, city, frontages):
    fronts, zones = bare_zones(city.buildings, city.roads, city.kinds, city.widths)
    return fronts, zones, bare_gap(grid_geoms, frontages, fronts)


# ---- the run ---------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=20_000)
    parser.add_argument("--buildings", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    steps: dict = {}
    with measure("build city", steps):
        grids = build_demo_city(n_grids=args.grids, seed=args.seed).grids.to_crs(METRIC)[["code", "geometry"]]
    with measure("streets, buildings, register", steps):
        rng = np.random.default_rng(args.seed)
        city = street_city(grids.geometry.array, args.buildings, args.seed)
        frontages = register(city, rng)
    grid_geoms = shapely.from_wkb(shapely.to_wkb(np.asarray(grids.geometry.array, dtype=object)))  # unprepared
    for run in range(REPEAT):  # the machine is shared and noisy: interleave, keep the best
        zones = table = ref_fronts = ref_zones = ref_gap = None  # noqa: F841 (the last run's results go first)
        with measure(f"project: zones + gap #{run + 1}", steps):
            zones, table = project(grids, city, frontages)
        with measure(f"bare shapely: zones + gap #{run + 1}", steps):
            ref_fronts, ref_zones, ref_gap = bare(grid_geoms, city, frontages)
    ours, ref = best(steps, "project: zones + gap"), best(steps, "bare shapely: zones + gap")
    print(json.dumps(figures(args, grids, city, frontages, zones, table, ref_fronts, ref_gap, steps, ours, ref),
                     ensure_ascii=False))


def figures(args, grids, city, frontages, zones, table, ref_fronts, ref_gap, steps, ours, ref) -> dict:
    km = lambda metres: round(float(np.nansum(metres)) / 1000, 1)  # noqa: E731
    return {
        "benchmark": "frontages", "grids": int(len(grids)), "roads": int(len(city.roads)),
        "main_roads": int((city.kinds == "main").sum()), "buildings": int(len(city.buildings)),
        "registered": int(len(frontages)), "fronts": int(len(zones)), "bare_fronts": int(len(ref_fronts)),
        "front_km": km(zones["length_m"]), "bare_front_km": km(shapely.length(ref_fronts)),
        "registered_km": km(table["frontage_length_m"]), "bare_registered_km": km(ref_gap[0]),
        "signed_km": km(table["frontage_signed_m"]), "bare_signed_km": km(ref_gap[1]),
        "unregistered_km": km(table["frontage_unregistered_m"]), "bare_unregistered_km": km(ref_gap[2]),
        "grids_below_floor": int(table["frontage_below_floor"].sum()),
        "project_s": round(ours.seconds, 3), "bare_s": round(ref.seconds, 3),
        "peak_rss_mib": round(max(s.peak_rss for s in steps.values()) / 2**20, 1),
        "ratio": round(ours.seconds / ref.seconds, 3),
        "targets": {"ratio_max": 1.5, "peak_rss_mib_max": 2048},
    }


if __name__ == "__main__":
    main()
