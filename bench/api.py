"""Benchmark the API under gunicorn on 127.0.0.1: locate at 50 concurrent clients, a 2,000-grid page.

Builds a temporary SQLite register with the demo city, starts gunicorn (the README's production
command) on a free port and drives it with wrk when installed (Debian ``wrk``), else with a
bounded Python client (a fixed number of requests per connection). The bare reference is a tiny
static file served by the same gunicorn at the same concurrency. Ends with one JSON line.

    .venv/bin/python bench/api.py [--grids 2000] [--workers 2] [--seconds 8]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.load import drive  # noqa: E402

from gis_app import create_app  # noqa: E402
from gis_app.api.where_query import locate_cached  # noqa: E402
from gis_app.demo_loader import load_demo  # noqa: E402
from gis_app.storage import repository as repo  # noqa: E402
from gis_app.storage import session_scope, upgrade  # noqa: E402

STATIC = "/static/vendor/swagger-ui-dist-5.35.0/NOTICE"
TARGETS = {"locate_p99_ms_max": 20, "locate_concurrency": 50, "feature_collection_p50_ms_max": 300}


def build_register(work: Path, n_grids: int) -> tuple[dict, list[tuple[float, float]]]:
    """Load the demo city into a fresh SQLite file; return the settings and one point per grid."""
    settings = {"SANIGRID_INSTANCE": str(work), "SANIGRID_DATABASE_URL": f"sqlite:///{work}/api.sqlite"}
    app = create_app(settings)
    upgrade(settings["SANIGRID_DATABASE_URL"])
    load_demo(app.extensions["sanigrid.engine"], app.config, n_grids=n_grids, seed=0, replace=False)
    with session_scope(app.extensions["sanigrid.engine"]) as session:
        grids = repo.load_grids(session)
    points = shapely.point_on_surface(grids.geometry.array)
    return settings, [(p.x, p.y) for p in points], app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings: dict, port: int, workers: int, threads: int, server: str) -> subprocess.Popen:
    """Start the production server as the README says, and wait until it answers."""
    exe = str(Path(sys.executable).with_name(server))
    env = {**os.environ, **settings}
    if server == "gunicorn":
        command = [exe, "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
                   "--log-level", "warning", "gis_app.wsgi:app"]
    else:
        command = [exe, "--interface", "wsgi", "--workers", str(workers), "--blocking-threads", str(threads),
                   "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "gis_app.wsgi:app"]
    proc = subprocess.Popen(command, env=env)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{STATIC}", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"{command[0]} did not start")


def in_process_locate_ms(app, points) -> float:
    """Mean in-process cost of the same locate, without HTTP (warm cache)."""
    engine = app.extensions["sanigrid.engine"]
    for lon, lat in points:
        locate_cached(engine, lon, lat)
    start = time.perf_counter()
    for lon, lat in points:
        locate_cached(engine, lon, lat)
    return (time.perf_counter() - start) / len(points) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gthread worker threads (1: sync workers)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--server", choices=["gunicorn", "granian"], default="gunicorn")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sanigrid-api-bench-"))
    settings, points, app = build_register(work, args.grids)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    locate_paths = [f"/api/v1/locate?lon={lon:.7f}&lat={lat:.7f}" for lon, lat in points]
    proc = start_server(settings, port, args.workers, args.threads, args.server)
    try:
        drive(base, locate_paths, connections=args.workers * 2, seconds=2)  # warm every worker's caches
        page = f"/api/v1/grids?limit={args.grids}"
        size = len(urllib.request.urlopen(base + page).read())
        results = {
            "locate": drive(base, locate_paths, connections=50, seconds=args.seconds),
            "feature_collection": drive(base, [page], connections=1, seconds=args.seconds),
            "bare_static": drive(base, [STATIC], connections=50, seconds=args.seconds),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    report(args, results, size, in_process_locate_ms(app, points[:500]))
    shutil.rmtree(work, ignore_errors=True)


def report(args, results, size, in_process_ms):
    for name, r in results.items():
        print(f"{name:20s} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
              f"({r['requests']} requests, {r['connections']} connections, {r['client']})")
    print(f"in-process locate    {in_process_ms:.3f} ms; FeatureCollection of {args.grids} grids: {size:,} bytes")
    figures = {"benchmark": "api", "grids": args.grids, "workers": args.workers, "threads": args.threads, **results,
               "feature_collection_bytes": size, "in_process_locate_ms": round(in_process_ms, 3),
               "ratio": round(results["locate"]["p99_ms"] / max(results["bare_static"]["p99_ms"], 1e-3), 3),
               "targets": TARGETS}
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
