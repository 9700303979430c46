"""Benchmark declarative partitioning: a 500,000-grid province and years of inspections, partitioned
(gis_app.storage.partitioning) beside the unpartitioned tables, same rows, same run.

The province is a synthetic tiling: 14 cities (codes 4501..4514) of 100 m grids in EPSG:4545,
400 grids a community, 10 communities a street, 3 streets a district. Inspections are random
points in random grids, evenly over ``--months`` months. Both layouts are loaded with COPY into
one database: the unpartitioned reference is the product's own ``grids`` table (its migrations)
and an ``inspections_flat`` table with the same columns and indexes; the partitioned ones are
``grids_p`` (LIST on city) and ``inspections_p`` (RANGE on month). Then, interleaved:

- locate a point: p50/p99 over random points, partitioned with the city known (one partition),
  partitioned without it (every city's GiST index), unpartitioned;
- the grids of one screen-sized bbox of one city, and the grids of one district (``code LIKE``);
- one city's inspections of one month, counted per grid;
- dropping the oldest month (DETACH + DROP vs DELETE);

with EXPLAIN checking which partitions each query reads. Ends with one JSON line; ``ratio`` is
the worst partitioned/unpartitioned ratio of the one-city queries.

    .venv/bin/python bench/partitioning.py [--grids 500000] [--months 36] [--per-month 40000]
"""
from __future__ import annotations

import argparse
import io
import json
import math
import resource
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
import pyproj
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.measure import measure  # noqa: E402

from gis_app.storage import engine_for, upgrade  # noqa: E402
from gis_app.storage.db import PG_SETTINGS  # noqa: E402
from gis_app.storage.partitioning import (drop_month_ddl, grids_ddl, inspections_ddl, months,  # noqa: E402
                                          partitions_scanned)

SERVER = "postgresql://postgres@127.0.0.1:5432"
METRIC = "EPSG:4545"
X0, Y0 = 560_000.0, 2_600_000.0        # south-west corner of the province tiling in EPSG:4545
CELL, SIDE, CITY_STEP = 100.0, 20, 40_000.0
FIRST_MONTH = date(2023, 1, 1)
KINDS = ["daily", "weekly", "monthly", "quarterly"]
OPTIONS = " ".join(f"-c {k}={v}" for k, v in PG_SETTINGS.items())
# Two connection profiles: the product's settings as they are, and the same without parallel
# workers. With parallel_setup_cost = 0 the planner puts a Gather over a one-partition lookup and
# pays for starting a worker (10-30 ms here); on the one big table it does not.
PROFILES = {"product_settings": OPTIONS, "no_parallel_workers": OPTIONS + " -c max_parallel_workers_per_gather=0"}

GRID_COLS = ("code, community, name, type, households, population, geom, minx, miny, maxx, maxy, area_m2, "
             "version, start_date, attrs, updated_at, updated_by")
LOCATE = ("SELECT code FROM {table} WHERE {city} end_date IS NULL AND "
          "ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY code LIMIT 1")
BBOX = ("SELECT code, ST_AsBinary(geom) FROM {table} WHERE {city} end_date IS NULL AND "
        "ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326)) ORDER BY code")
DISTRICT = "SELECT code, households FROM {table} WHERE {city} end_date IS NULL AND code LIKE %s ORDER BY code"
MONTH = ("SELECT grid, count(*), avg(score) FROM {table} WHERE city = %s AND at >= %s AND at < %s "
         "GROUP BY grid")


def province(n_grids: int, n_cities: int):
    """Return codes, cities and EPSG:4326 squares of the tiling (vectorised: seconds for 500,000)."""
    per_city = -(-n_grids // n_cities)
    cols = math.ceil(math.sqrt(-(-per_city // (SIDE * SIDE))))
    i = np.arange(n_grids)
    c, r = i // per_city, i % per_city
    k, j = r // (SIDE * SIDE), r % (SIDE * SIDE)
    x = X0 + (c % 4) * CITY_STEP + (k % cols) * SIDE * CELL + (j % SIDE) * CELL
    y = Y0 + (c // 4) * CITY_STEP + (k // cols) * SIDE * CELL + (j // SIDE) * CELL
    t = pyproj.Transformer.from_crs(METRIC, "EPSG:4326", always_xy=True)
    squares = shapely.transform(shapely.box(x, y, x + CELL, y + CELL),
                                lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    squares = shapely.set_precision(squares, 1e-7)
    codes = [f"{4501 + cc}{kk // 30 + 1:02d}{(kk % 30) // 10 + 1:03d}{kk % 10 + 1:03d}{jj + 1:03d}"
             for cc, kk, jj in zip(c.tolist(), k.tolist(), j.tolist())]
    return codes, squares


def grid_copy_text(codes, squares, with_city: bool) -> str:
    """The COPY text of the grids (the product's columns, ``city`` first when partitioned)."""
    hexes = shapely.to_wkb(shapely.set_srid(squares, 4326), hex=True, include_srid=True)
    bounds = shapely.bounds(squares)
    stamp, today = datetime(2024, 1, 1).isoformat(" "), "2024-01-01"
    out = io.StringIO()
    for code, h, b in zip(codes, hexes, bounds.tolist()):
        hh = 20 + int(code[-3:]) % 80
        out.write(f"{code[:4]}\t" if with_city else "")
        out.write(f"{code}\t{code[:12]}\t网格{code[-6:]}\tresidential\t{hh}\t{hh * 3}\t{h}\t{b[0]}\t{b[1]}\t{b[2]}\t"
                  f"{b[3]}\t10000.0\t1\t{today}\t{{}}\t{stamp}\tbench\n")
    return out.getvalue()


def inspection_copy_text(codes, squares, n_months: int, per_month: int, seed: int) -> str:
    """The COPY text of random inspections: month by month, a random grid, a point inside it."""
    rng = np.random.default_rng(seed)
    n = n_months * per_month
    pick = rng.integers(0, len(codes), n)
    b = shapely.bounds(squares)[pick]
    px = b[:, 0] + (b[:, 2] - b[:, 0]) * rng.uniform(0.1, 0.9, n)
    py = b[:, 1] + (b[:, 3] - b[:, 1]) * rng.uniform(0.1, 0.9, n)
    hexes = shapely.to_wkb(shapely.set_srid(shapely.points(px, py), 4326), hex=True, include_srid=True)
    starts = months(FIRST_MONTH, n_months + 1)
    out = io.StringIO()
    for m in range(n_months):
        span = (starts[m + 1] - starts[m]).total_seconds()
        secs = rng.uniform(0, span, per_month)
        for q, s in zip(range(m * per_month, (m + 1) * per_month), secs.tolist()):
            code = codes[pick[q]]
            at = midnight(starts[m]) + timedelta(seconds=s)
            out.write(f"{at.isoformat(' ')}\t{code[:4]}\t{code}\t{KINDS[q % 4]}\t{60 + q % 41}\t{hexes[q]}\n")
    return out.getvalue()


def copy_in(conn, sql: str, text: str) -> None:
    with conn.cursor() as cur, cur.copy(sql) as copy:
        for start in range(0, len(text), 1 << 24):
            copy.write(text[start:start + (1 << 24)])
    conn.commit()


def timed(conn, sql: str, params) -> float:
    start = time.perf_counter()
    conn.execute(sql, params).fetchall()
    return time.perf_counter() - start


def best_pair(conn, flat: tuple, part: tuple, repeat: int = 7) -> tuple[float, float]:
    """The best of ``repeat`` runs of each (sql, params), interleaved (the machine is shared and noisy)."""
    runs = [(timed(conn, *flat), timed(conn, *part)) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def pct(values, p) -> float:
    return round(float(np.percentile(values, p)) * 1e3, 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=500_000)
    parser.add_argument("--cities", type=int, default=14)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--per-month", type=int, default=40_000, help="inspections per month")
    parser.add_argument("--points", type=int, default=2_000, help="locate samples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    name = f"sanigrid_bench_part_{uuid.uuid4().hex[:10]}"
    url = f"{SERVER}/{name}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        figures = run(url, args)
    finally:
        engine_for(url.replace("postgresql://", "postgresql+psycopg://")).dispose()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(figures, ensure_ascii=False))


def load(url: str, args, steps: dict) -> tuple[list, np.ndarray]:
    upgrade(url.replace("postgresql://", "postgresql+psycopg://"))  # the product's grids: the reference
    cities = [str(4501 + c) for c in range(args.cities)]
    with psycopg.connect(url) as conn:
        for sql in [*grids_ddl(cities, "grids_p"), *inspections_ddl(FIRST_MONTH, args.months, "inspections_p"),
                    "CREATE TABLE inspections_flat (LIKE inspections_p INCLUDING ALL)"]:
            conn.execute(sql)
        conn.commit()
        with measure("generate province", steps):
            codes, squares = province(args.grids, args.cities)
            flat_text = grid_copy_text(codes, squares, with_city=False)
            part_text = grid_copy_text(codes, squares, with_city=True)
            insp_text = inspection_copy_text(codes, squares, args.months, args.per_month, args.seed)
        with measure("COPY grids (unpartitioned)", steps):
            copy_in(conn, f"COPY grids ({GRID_COLS}) FROM STDIN", flat_text)
        with measure("COPY grids_p (by city)", steps):
            copy_in(conn, f"COPY grids_p (city, {GRID_COLS}) FROM STDIN", part_text)
        cols = "at, city, grid, kind, score, geom"
        with measure("COPY inspections_flat", steps):
            copy_in(conn, f"COPY inspections_flat ({cols}) FROM STDIN", insp_text)
        with measure("COPY inspections_p (by month)", steps):
            copy_in(conn, f"COPY inspections_p ({cols}) FROM STDIN", insp_text)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return codes, squares


def queries(conn, codes, squares, args) -> dict:
    """Each one-city query on both layouts, interleaved, with the partitions its plan reads."""
    cur = conn.cursor()
    out: dict = {}
    rng = np.random.default_rng(args.seed + 1)
    pick = rng.integers(0, len(codes), args.points)
    inside = shapely.point_on_surface(squares[pick])
    flat_sql, city_sql = LOCATE.format(table="grids", city=""), LOCATE.format(table="grids_p", city="city = %s AND")
    any_sql = LOCATE.format(table="grids_p", city="")
    t_flat, t_city, t_any, agree = [], [], [], 0
    for n, p in zip(pick.tolist(), inside):
        city, xy = codes[n][:4], (p.x, p.y)
        t0 = time.perf_counter()
        a = conn.execute(flat_sql, xy).fetchone()
        t1 = time.perf_counter()
        b = conn.execute(city_sql, (city, *xy)).fetchone()
        t2 = time.perf_counter()
        c = conn.execute(any_sql, xy).fetchone()
        t3 = time.perf_counter()
        t_flat.append(t1 - t0)
        t_city.append(t2 - t1)
        t_any.append(t3 - t2)
        agree += a == b == c == (codes[n],)
    x, y = inside[0].x, inside[0].y
    out["locate"] = {
        "unpartitioned_p50_ms": pct(t_flat, 50), "unpartitioned_p99_ms": pct(t_flat, 99),
        "city_known_p50_ms": pct(t_city, 50), "city_known_p99_ms": pct(t_city, 99),
        "no_city_p50_ms": pct(t_any, 50), "no_city_p99_ms": pct(t_any, 99),
        "ratio_city_known": round(pct(t_city, 50) / pct(t_flat, 50), 3),
        "ratio_no_city": round(pct(t_any, 50) / pct(t_flat, 50), 3), "answers_agree": agree / args.points,
        "partitions_city_known": len(partitions_scanned(cur, city_sql, (codes[pick[0]][:4], x, y))),
        "partitions_no_city": len(partitions_scanned(cur, any_sql, (x, y)))}
    print("locate", out["locate"], flush=True)

    # One screen (about 2 km x 1.3 km) in the middle of each of three cities; one district of each.
    out["bbox"], out["district"], out["month"] = [], [], []
    last = months(FIRST_MONTH, args.months)[-1]
    month = (midnight(last), midnight(months(last, 2)[1]))
    for city in [str(4501 + c) for c in (0, args.cities // 2, args.cities - 1)]:
        members = np.array([i for i, cd in enumerate(codes) if cd.startswith(city)])
        mx, my = shapely.bounds(squares[members[len(members) // 2]])[:2]
        box = (mx - 0.01, my - 0.006, mx + 0.01, my + 0.006)
        flat_b, part_b = BBOX.format(table="grids", city=""), BBOX.format(table="grids_p", city="city = %s AND")
        n_rows = len(conn.execute(flat_b, box).fetchall())
        same = conn.execute(flat_b, box).fetchall() == conn.execute(part_b, (city, *box)).fetchall()
        tf, tp = best_pair(conn, (flat_b, box), (part_b, (city, *box)))
        out["bbox"].append({"city": city, "grids": n_rows, "unpartitioned_ms": round(tf * 1e3, 2),
                            "partitioned_ms": round(tp * 1e3, 2), "ratio": round(tp / tf, 3), "same_rows": same,
                            "partitions": len(partitions_scanned(cur, part_b, (city, *box)))})
        like = f"{city}01%"
        flat_d = DISTRICT.format(table="grids", city="")
        part_d = DISTRICT.format(table="grids_p", city="city = %s AND")
        tf, tp = best_pair(conn, (flat_d, (like,)), (part_d, (city, like)))
        out["district"].append({"district": like[:6], "grids": len(conn.execute(flat_d, (like,)).fetchall()),
                                "unpartitioned_ms": round(tf * 1e3, 2), "partitioned_ms": round(tp * 1e3, 2),
                                "ratio": round(tp / tf, 3),
                                "partitions": len(partitions_scanned(cur, part_d, (city, like)))})
        flat_m, part_m = MONTH.format(table="inspections_flat"), MONTH.format(table="inspections_p")
        params = (city, *month)
        tf, tp = best_pair(conn, (flat_m, params), (part_m, params))
        out["month"].append({"city": city, "month": f"{month[0]:%Y-%m}",
                             "inspections": sum(r[1] for r in conn.execute(flat_m, params).fetchall()),
                             "unpartitioned_ms": round(tf * 1e3, 2), "partitioned_ms": round(tp * 1e3, 2),
                             "ratio": round(tp / tf, 3), "partitions": len(partitions_scanned(cur, part_m, params))})
    for key in ("bbox", "district", "month"):
        print(key, out[key], flush=True)
    one_city = [out["locate"]["ratio_city_known"], *(r["ratio"] for k in ("bbox", "district", "month") for r in out[k])]
    out["ratio_max"], out["ratio_median"] = round(max(one_city), 3), round(float(np.median(one_city)), 3)
    return out


def run(url: str, args) -> dict:
    steps: dict = {}
    codes, squares = load(url, args, steps)
    out: dict = {"benchmark": "partitioning", "grids": len(codes), "cities": args.cities,
                 "inspections": args.months * args.per_month, "months": args.months,
                 "load_s": {k: round(v.seconds, 2) for k, v in steps.items() if k.startswith("COPY")}}
    print("load", out["load_s"], flush=True)
    for profile, options in PROFILES.items():
        print(f"-- {profile}", flush=True)
        with psycopg.connect(url, autocommit=True, options=options) as conn:
            out[profile] = queries(conn, codes, squares, args)
    conn = psycopg.connect(url, autocommit=True, options=OPTIONS)
    # Retention: the oldest month leaves, in one statement each.
    start = time.perf_counter()
    second_month = midnight(months(FIRST_MONTH, 2)[1])
    deleted = conn.execute("DELETE FROM inspections_flat WHERE at < %s", (second_month,)).rowcount
    t_delete = time.perf_counter() - start
    start = time.perf_counter()
    with conn.transaction():
        for sql in drop_month_ddl(FIRST_MONTH, "inspections_p"):
            conn.execute(sql)
    t_drop = time.perf_counter() - start
    left_flat = conn.execute("SELECT count(*) FROM inspections_flat").fetchone()[0]
    left_part = conn.execute("SELECT count(*) FROM inspections_p").fetchone()[0]
    out["drop_oldest_month"] = {"rows": deleted, "delete_s": round(t_delete, 3), "detach_drop_s": round(t_drop, 3),
                                "same_rows_left": left_flat == left_part, "month": f"{FIRST_MONTH:%Y-%m}"}
    print("drop oldest month", out["drop_oldest_month"], flush=True)
    conn.close()

    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    # The headline: one-city queries, partitioned / unpartitioned, without parallel workers (the
    # settings partitioning would be adopted with); the product's current settings beside it.
    out["ratio"] = out["no_parallel_workers"]["ratio_max"]
    out["ratio_product_settings"] = out["product_settings"]["ratio_max"]
    return out


if __name__ == "__main__":
    main()
