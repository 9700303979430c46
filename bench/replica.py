"""Benchmark the read replica: replication lag on a running standby, and the app's GETs served by it
beside the same GETs served by the primary (the bare reference), same register, same run.

Needs a standby of the primary (README, "Read replicas": pg_basebackup -R, pg_ctl start). Loads a
20,000-grid register (bench/postgis.py's tiling, COPY) into a fresh database on the primary, waits
for the standby to replay it, then:

- lag: ``--writes`` single-row commits on the primary, each timed from COMMIT until the standby's
  ``pg_last_wal_replay_lsn()`` reaches the commit (p50/p99);
- reads: ``/api/v1/locate`` for ``--reads`` random points through the app with
  ``SANIGRID_DATABASE_REPLICA_URL`` (replica) and without (primary), interleaved (p50/p99);
- read-your-writes: a GET right after a PATCH of the same app (the replay check, then the primary
  or the replica).

    .venv/bin/python bench/replica.py --replica-port 5433 [--writes 500] [--reads 2000]
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from postgis import city, load  # noqa: E402

from gis_app import create_app  # noqa: E402
from gis_app.auth import create_token  # noqa: E402
from gis_app.storage import engine_for, upgrade  # noqa: E402

SERVER = "postgresql://postgres@127.0.0.1:5432"


def wait_replayed(primary, replica, lsn: str | None = None) -> float:
    """Poll the standby until it has replayed ``lsn`` (default: the primary's position now); return seconds."""
    lsn = lsn or primary.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]
    start = time.perf_counter()
    while True:
        if replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:
            return time.perf_counter() - start
        time.sleep(0.0002)


def pct(values, p) -> float:
    return round(float(np.percentile(values, p)) * 1e3, 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replica-port", type=int, required=True)
    parser.add_argument("--grids", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=500)
    parser.add_argument("--reads", type=int, default=2_000)
    args = parser.parse_args()
    name = f"sanigrid_bench_rep_{uuid.uuid4().hex[:10]}"
    url = f"{SERVER}/{name}"
    sa_url = url.replace("postgresql://", "postgresql+psycopg://")
    sa_replica = sa_url.replace(":5432/", f":{args.replica_port}/")
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(sa_url)
        regions, grids = city(args.grids, 0)
        load(url, regions, grids)
        with psycopg.connect(url, autocommit=True) as primary:
            deadline = time.monotonic() + 120
            while True:  # the database arrives on the standby with the WAL
                try:
                    replica = psycopg.connect(sa_replica.replace("+psycopg", ""), autocommit=True)
                    break
                except psycopg.OperationalError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            wait_replayed(primary, replica)
            figures = run(primary, replica, sa_url, sa_replica, args)
            replica.close()
    finally:
        engine_for(sa_url).dispose()
        engine_for(sa_replica).dispose()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(figures, ensure_ascii=False))


def run(primary, replica, sa_url, sa_replica, args) -> dict:
    out: dict = {"benchmark": "replica", "grids": args.grids}
    lags = []
    for i in range(args.writes):
        primary.execute("UPDATE meta SET value = value WHERE key = 'register_version'")
        lsn = primary.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]
        lags.append(wait_replayed(primary, replica, lsn))
    out["lag"] = {"writes": args.writes, "p50_ms": pct(lags, 50), "p99_ms": pct(lags, 99), "max_ms": pct(lags, 100)}
    print("replication lag", out["lag"], flush=True)

    work = tempfile.mkdtemp(prefix="sanigrid-bench-")
    base = {"SANIGRID_INSTANCE": work, "SANIGRID_DATABASE_URL": sa_url}
    on_replica = create_app({**base, "SANIGRID_DATABASE_REPLICA_URL": sa_replica}).test_client()
    on_primary = create_app(base).test_client()
    lon0, lat0, lon1, lat1 = primary.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM grids) s").fetchone()
    rng = np.random.default_rng(0)
    points = zip(rng.uniform(lon0, lon1, args.reads).tolist(), rng.uniform(lat0, lat1, args.reads).tolist())
    t_rep, t_pri, agree = [], [], 0
    for x, y in points:
        t0 = time.perf_counter()
        a = on_replica.get(f"/api/v1/locate?lon={x}&lat={y}").get_data()
        t1 = time.perf_counter()
        b = on_primary.get(f"/api/v1/locate?lon={x}&lat={y}").get_data()
        t2 = time.perf_counter()
        t_rep.append(t1 - t0)
        t_pri.append(t2 - t1)
        agree += a == b
    out["locate"] = {"replica_p50_ms": pct(t_rep, 50), "replica_p99_ms": pct(t_rep, 99),
                     "primary_p50_ms": pct(t_pri, 50), "primary_p99_ms": pct(t_pri, 99),
                     "ratio_p50": round(pct(t_rep, 50) / pct(t_pri, 50), 3), "same_answers": agree / args.reads}
    print("locate", out["locate"], flush=True)

    # Read-your-writes: PATCH then GET on the same app, 50 times.
    token = create_token(engine_for(sa_url), "editor")[1]
    auth = {"Authorization": f"Bearer {token}"}
    code = primary.execute("SELECT min(code) FROM grids").fetchone()[0]
    app = on_replica.application
    plain = []
    for _ in range(50):  # the same GET with no write before it: the replica, no replay check
        t0 = time.perf_counter()
        on_replica.get(f"/api/v1/grids/{code}")
        plain.append(time.perf_counter() - t0)
    after, stale, from_primary = [], 0, 0
    for i in range(50):
        etag = on_primary.get(f"/api/v1/grids/{code}").headers["ETag"]
        on_replica.patch(f"/api/v1/grids/{code}", json={"properties": {"name": f"第{i}次"}},
                         headers={**auth, "If-Match": etag})
        t0 = time.perf_counter()
        name = on_replica.get(f"/api/v1/grids/{code}").get_json()["properties"]["name"]
        after.append(time.perf_counter() - t0)
        stale += name != f"第{i}次"
        from_primary += app.extensions["sanigrid.routing"].behind  # the GET read the primary
    out["get_after_own_patch"] = {"p50_ms": pct(after, 50), "stale_reads": stale, "of": 50,
                                  "served_by_primary": from_primary, "same_get_no_write_p50_ms": pct(plain, 50)}
    print("GET after own PATCH", out["get_after_own_patch"], flush=True)
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["ratio"] = out["locate"]["ratio_p50"]
    return out


if __name__ == "__main__":
    main()
