"""Benchmark grid assignment: assign-grids against PySAL spopt max-p; assign-staff at city scale.

assign-grids (grids.assign.draw_grids) and spopt's MaxPHeuristic (floor = the minimum
households, attributes = atom centroids so regions stay compact) partition the same atoms
(the building Voronoi cells / road blocks assign-grids builds; atom building is timed in ours,
not in spopt's) of two inputs: a generated community of 2,000 buildings and the real OSM
extract of Beijing Haidian (households estimated from footprints). For both it prints grids,
grids within bounds, household CV, mean Polsby-Popper compactness and seconds.

assign-staff (grids.assign.staff.assign_staff, an exact min-cost flow) staffs a generated city
of 20,000 grids from 60,000 people, beside the bare reference of a plain greedy loop over the
same arcs (nearest free pair first), which is what the exact solve replaces.

    .venv/bin/python bench/assignment.py [--buildings 2000] [--grids 20000] [--people 60000]

Ends with one JSON line: the figures, spopt's beside ours, and ``ratio`` = spopt seconds / ours
(assign-grids, generated community). Needs the ``bench`` extra (``make bench`` installs it).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.measure import measure  # noqa: E402

from grids.assign import (Bounds, building_points, draw_grids, estimate_households, make_atoms,  # noqa: E402
                          osm_levels, polsby_popper)
from grids.assign.staff import assign_staff, posts_needed  # noqa: E402
from grids.crs import metric_crs_for, to_metric  # noqa: E402
from grids.roles import ROLE_KINDS  # noqa: E402

BOUNDS = Bounds(300, 500)
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HAIDIAN_BBOX = (116.34403, 39.99767, 116.35974, 40.00888)  # osm-beijing-haidian/SOURCE.md


def generated_community(n: int, seed: int):
    """An irregular 3 km × 2 km community with ``n`` buildings of 5–40 households."""
    rng = np.random.default_rng(seed)
    outline = shapely.Polygon([(0, 0), (3000, 0), (3000, 1200), (1500, 2000), (0, 1200)])
    points = rng.uniform([0, 0], [3000, 2000], (3 * n, 2))
    points = points[shapely.contains_xy(outline, points[:, 0], points[:, 1])][:n]
    return outline, points, rng.integers(5, 41, len(points)), None


def haidian():
    """The OSM extract: bbox as the community, buildings with estimated households, real roads."""
    folder = SHARED / "osm-beijing-haidian"
    outline_ll = shapely.box(*HAIDIAN_BBOX)
    metric = metric_crs_for([outline_ll])
    outline = to_metric([outline_ll], metric)[0]
    b = gpd.read_file(folder / "beijing_haidian_cau_multipolygons.geojson")
    b = b[b["building"].notna()]
    geoms = to_metric(np.asarray(b.geometry.array, dtype=object), metric)
    points, inside = building_points(outline, geoms)
    households = estimate_households(shapely.area(geoms[inside]), [osm_levels(t) for t in b["other_tags"][inside]],
                                     list(b["building"][inside]))
    roads = gpd.read_file(folder / "beijing_haidian_cau_lines.geojson")
    roads = roads[roads["highway"].isin({"primary", "secondary", "tertiary", "residential", "living_street",
                                         "unclassified", "primary_link", "secondary_link", "tertiary_link"})]
    return outline, points, households, to_metric(np.asarray(roads.geometry.array, dtype=object), metric)


def figures(geoms, households, seconds) -> dict:
    h = np.asarray(households, dtype=float)
    return {"grids": int(len(h)), "within_bounds": int(sum(BOUNDS.contains(x) for x in h)),
            "households_cv": round(float(h.std() / h.mean()), 4),
            "polsby_popper_mean": round(float(polsby_popper(geoms).mean()), 4), "seconds": round(seconds, 3)}


def run_ours(outline, points, households, roads) -> dict:
    start = time.perf_counter()
    drawn = draw_grids(outline, points, households, BOUNDS, roads=roads)
    return figures(drawn.geoms, drawn.households, time.perf_counter() - start)


def run_spopt(outline, points, households, roads) -> dict:
    """spopt max-p on the same atoms, floor = minimum households."""
    from libpysal.weights import Rook
    from spopt.region import MaxPHeuristic
    atoms = make_atoms(outline, points, households, roads, split_above=BOUNDS.max_households)
    frame = gpd.GeoDataFrame({"households": atoms.households, "x": atoms.xy[:, 0], "y": atoms.xy[:, 1]},
                             geometry=list(atoms.geoms))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Rook.from_dataframe(frame, use_index=False, silence_warnings=True)
        model = MaxPHeuristic(frame, w, ["x", "y"], "households", BOUNDS.min_households, top_n=2)
        model.solve()
    seconds = time.perf_counter() - start
    labels = np.asarray(model.labels_)
    regions = sorted(set(labels.tolist()))
    geoms = [shapely.union_all(atoms.geoms[labels == r]) for r in regions]
    hh = [int(atoms.households[labels == r].sum()) for r in regions]
    return figures(geoms, hh, seconds)


def staff_city(n_grids: int, n_people: int, seed: int):
    """20,000 grids of 100–400 households on a square, 60,000 people with one to three kinds."""
    rng = np.random.default_rng(seed)
    side = np.sqrt(n_grids) * 400.0
    grids = pd.DataFrame({"code": [f"{i:015d}" for i in range(n_grids)], "households": rng.integers(100, 401, n_grids),
                          "x": rng.uniform(0, side, n_grids), "y": rng.uniform(0, side, n_grids)})
    draw = rng.random(n_people)
    kinds = [["cleaner"] if r < 0.6 else ["leader", "patroller"] if r < 0.75 else ["manager", "supervisor", "volunteer"]
             for r in draw]
    people = pd.DataFrame({"phone": [f"1{i:010d}" for i in range(n_people)], "kinds": kinds,
                           "x": rng.uniform(0, side, n_people), "y": rng.uniform(0, side, n_people), "capacity": 3})
    return grids, people


def greedy_staff(grids, people, candidates=8) -> dict:
    """Bare reference: every (person, grid, kind) arc of the nearest grids, cheapest first, taken while free."""
    from scipy.spatial import cKDTree
    start = time.perf_counter()
    gxy, pxy = grids[["x", "y"]].to_numpy(), people[["x", "y"]].to_numpy()
    dist, near = cKDTree(gxy).query(pxy, k=candidates)
    need = {(g, k): n for g, h in enumerate(grids["households"]) for k, n in posts_needed(h).items()}
    left = people["capacity"].to_numpy().copy()
    order = np.argsort(dist, axis=None)
    taken, total, filled = set(), 0.0, 0
    for flat in order.tolist():
        p, j = divmod(flat, candidates)
        if left[p] == 0:
            continue
        g = int(near[p, j])
        for kind in people["kinds"].iat[p]:
            if need[(g, kind)] > 0 and (p, g, kind) not in taken and left[p] > 0:
                need[(g, kind)] -= 1
                left[p] -= 1
                taken.add((p, g, kind))
                total += dist[p, j]
                filled += 1
                break
    return {"filled": filled, "distance_m_total": int(total), "seconds": round(time.perf_counter() - start, 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=2000)
    parser.add_argument("--grids", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    steps, out = {}, {}
    for name, data in (("generated", generated_community(args.buildings, args.seed)), ("osm_haidian", haidian())):
        with measure(f"assign-grids {name}", steps) as step:
            ours = run_ours(*data)
        ours["peak_rss_mb"] = round(step.peak_rss / 2**20, 1)
        with measure(f"spopt {name}", steps) as step:
            ref = run_spopt(*data)
        ref["peak_rss_mb"] = round(step.peak_rss / 2**20, 1)
        out[name] = {"assign_grids": ours, "spopt_maxp": ref,
                     "speedup": round(ref["seconds"] / max(ours["seconds"], 1e-9), 2)}
        print(f"{name:12s} {'':14s} grids  within  CV      PP      seconds")
        for label, f in (("assign-grids", ours), ("spopt max-p", ref)):
            print(f"{'':12s} {label:14s} {f['grids']:5d}  {f['within_bounds']:6d}  {f['households_cv']:.4f}  "
                  f"{f['polsby_popper_mean']:.4f}  {f['seconds']:.2f}")
        print(f"{'':12s} speed-up ×{out[name]['speedup']}")
    grids, people = staff_city(args.grids, args.people, args.seed)
    with measure("assign-staff", steps) as step:
        start = time.perf_counter()
        plan = assign_staff(grids, people)
        seconds = time.perf_counter() - start
    staff = {**plan.figures, "seconds": round(seconds, 2), "peak_rss_mb": round(step.peak_rss / 2**20, 1),
             "shortfall_rows": int(len(plan.shortfalls))}
    grown = grids.assign(households=grids["households"] + np.where(np.arange(len(grids)) % 10 == 0, 100, 0))
    start = time.perf_counter()
    rerun = assign_staff(grown, people, current=plan.roles)
    staff["rerun_seconds"] = round(time.perf_counter() - start, 2)
    staff["rerun_kept"], staff["rerun_filled"] = rerun.figures["kept"], rerun.figures["filled"]
    print(f"re-run after 10% of grids gain 100 households: {staff['rerun_seconds']:.1f} s, kept "
          f"{staff['rerun_kept']} of {rerun.figures['kept_before']} current posts")
    greedy = greedy_staff(grids, people)
    print(f"assign-staff {args.grids} grids × {args.people} people: {seconds:.1f} s, filled {staff['filled']} of "
          f"{staff['posts']} posts, {staff['distance_m_total'] / 1000:.0f} km; greedy reference: filled "
          f"{greedy['filled']}, {greedy['distance_m_total'] / 1000:.0f} km, {greedy['seconds']:.1f} s")
    out["assign_staff"] = {"ours": staff, "greedy": greedy}
    out["ratio"] = out["generated"]["speedup"]
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
