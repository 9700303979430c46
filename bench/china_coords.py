"""Benchmark GCJ-02/BD-09: prcoords' round trip error and speed beside grids.crs.china_coords (vectorised).

Round trip: WGS84 → GCJ-02 (or BD-09) → WGS84, the error the geodesic distance to the start
point. Points: every 0.5° over China (74–135°E, 18.5–53.5°N, 8,540 points) and a 40 × 40 grid
over Liuzhou (109.2–109.6°E, 24.1–24.5°N). prcoords converts one point at a time in pure
Python; ours converts the whole array at once (an import's every vertex). Ends with one JSON
line; ``ratio`` = prcoords' time per point / ours (GCJ-02 round trip over China).

    .venv/bin/python bench/china_coords.py
"""
from __future__ import annotations

import json
import resource
import time

import numpy as np
import prcoords
from pyproj import Geod

from grids.crs import china_coords as ours

GEOD = Geod(ellps="WGS84")
TARGET_M = 0.05
SYSTEMS = {"gcj02": (prcoords.wgs_gcj, prcoords.gcj_wgs_bored, ours.wgs84_to_gcj02, ours.gcj02_to_wgs84),
           "bd09": (prcoords.wgs_bd, prcoords.bd_wgs_bored, ours.wgs84_to_bd09, ours.bd09_to_wgs84)}


def points(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "china":
        lon, lat = np.meshgrid(np.arange(74, 135, 0.5), np.arange(18.5, 53.5, 0.5))
    else:
        lon, lat = np.meshgrid(np.linspace(109.2, 109.6, 40), np.linspace(24.1, 24.5, 40))
    return lon.ravel(), lat.ravel()


def theirs_round_trip(forward, inverse, lon, lat):
    start = time.perf_counter()
    back = [inverse(forward(prcoords.Coords(b, a), False), False) for a, b in zip(lon, lat)]
    seconds = time.perf_counter() - start
    return np.array([c.lon for c in back]), np.array([c.lat for c in back]), seconds


def ours_round_trip(forward, inverse, lon, lat):
    start = time.perf_counter()
    back_lon, back_lat = inverse(*forward(lon, lat))
    return back_lon, back_lat, time.perf_counter() - start


def main():
    out = {"benchmark": "china_coords", "target_round_trip_m": TARGET_M}
    for area in ("china", "liuzhou"):
        lon, lat = points(area)
        for system, (f_theirs, i_theirs, f_ours, i_ours) in SYSTEMS.items():
            row = {"points": len(lon)}
            for who, run in (("prcoords", theirs_round_trip(f_theirs, i_theirs, lon, lat)),
                             ("ours", ours_round_trip(f_ours, i_ours, lon, lat))):
                error = GEOD.inv(lon, lat, run[0], run[1])[2]
                row[f"{who}_max_mm"] = round(float(error.max()) * 1000, 3)
                row[f"{who}_us_per_point"] = round(run[2] / len(lon) * 1e6, 2)
            out[f"{area}_{system}"] = row
            print(f"{area:8s} {system}: round trip max prcoords {row['prcoords_max_mm']} mm "
                  f"({row['prcoords_us_per_point']} µs/point), ours {row['ours_max_mm']} mm "
                  f"({row['ours_us_per_point']} µs/point), {len(lon)} points", flush=True)
    china = out["china_gcj02"]
    out["prcoords_holds_5cm"] = all(v["prcoords_max_mm"] <= TARGET_M * 1000 for k, v in out.items()
                                    if isinstance(v, dict) and "prcoords_max_mm" in v)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["ratio"] = round(china["prcoords_us_per_point"] / china["ours_us_per_point"], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
