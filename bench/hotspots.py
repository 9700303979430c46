"""Benchmark a year of hotspots: one process beside a dask.distributed LocalCluster, same answer.

A generated city (grids.demo) and a year of generated problem reports (grids.demo.reports) go
through the single-process path (grids.hotspots.hotspots_of) and through the cluster path
(grids.distributed.hotspots_on_cluster on a LocalCluster of worker processes: the same code
runs against a remote scheduler address on many machines). The bare reference is a plain
geopandas ``sjoin`` + ``groupby`` count on the same data. Both answers must be identical.
Ends with one JSON line; ``ratio`` = cluster seconds / single-process seconds.

    .venv/bin/python bench/hotspots.py [--grids 20000] [--reports 2000000] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.measure import measure  # noqa: E402

from grids.demo import build_demo_city  # noqa: E402
from grids.demo.reports import year_of_reports  # noqa: E402
from grids.distributed import hotspots_on_cluster  # noqa: E402
from grids.hotspots import hotspots_of, read_reports, write_reports  # noqa: E402
from grids.locate import GridIndex  # noqa: E402


def bare_counts(grids, reports) -> pd.DataFrame:
    """What one writes first: geopandas sjoin of the points into the grids, then a groupby."""
    points = gpd.GeoDataFrame({"month": pd.to_datetime(reports["at"]).dt.strftime("%Y-%m")},
                              geometry=gpd.points_from_xy(reports["lon"], reports["lat"]), crs="EPSG:4326")
    joined = gpd.sjoin(points, grids[["code", "geometry"]], predicate="within", how="inner")
    return joined.groupby(["code", "month"]).size()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=20_000)
    parser.add_argument("--reports", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    steps: dict = {}
    with measure("build city", steps):
        grids = build_demo_city(n_grids=args.grids, seed=args.seed).grids
        index = GridIndex(grids["code"], grids.geometry.array)
    folder = Path(tempfile.mkdtemp(prefix="sanigrid-reports-"))
    with measure("generate + write GeoParquet", steps):
        write_reports(year_of_reports(grids.geometry.array, args.reports, seed=args.seed), folder)
    with measure("bare read + sjoin + groupby", steps):
        reports = read_reports(folder)
        bare = bare_counts(grids, reports)
    with measure("project, one process", steps):
        single = hotspots_of(index, read_reports(folder))
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("grids.hotspots"))  # the workers' imports are not the analysis
        with measure("project, dask LocalCluster", steps):
            spread = hotspots_on_cluster(client, index, folder)
    shutil.rmtree(folder, ignore_errors=True)
    same = single.equals(spread)
    located = int(bare.sum())
    print(f"{len(grids):,} grids, {len(reports):,} reports ({located:,} inside a grid), "
          f"{len(single):,} hotspot grid-months; cluster answer identical: {same}")
    seconds = {name: round(step.seconds, 3) for name, step in steps.items()}
    figures = {"benchmark": "hotspots", "grids": len(grids), "reports": len(reports), "workers": args.workers,
               "hotspot_grid_months": len(single), "identical": same, "seconds": seconds,
               "peak_rss_mib": round(max(s.peak_rss for s in steps.values()) / 2**20, 1),
               "bare_vs_single": round(steps["project, one process"].seconds / steps["bare read + sjoin + groupby"].seconds, 3),
               "ratio": round(steps["project, dask LocalCluster"].seconds / steps["project, one process"].seconds, 3)}
    print(json.dumps(figures, ensure_ascii=False))
    if not same:
        raise SystemExit("the cluster's answer differs from the single-process answer")


if __name__ == "__main__":
    main()
