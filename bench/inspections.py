"""Benchmark the month's case measures and evaluation on a year of a city's inspections and cases.

1,000,000 inspection records over the grids of the generated city (grids.demo) and the cases
their failed items opened (about one in three). The project computes the month's KPIs for every
level (grids.kpis.monthly_kpis: grid, community, street, district, unit, person, with working
days to close on the official calendar) and the evaluation (grids.evaluation.monthly_evaluation).
The bare reference is what one writes first with pandas on the same arrays: boolean columns,
``groupby().sum()`` per level, ``numpy.busday_count`` with the package's holidays for the days
to close, and a ``groupby().mean()`` of the inspection scores. Ends with one JSON line;
``ratio`` = project seconds / bare seconds (target ≤ 1.5), peak memory under 2 GB.

    .venv/bin/python bench/inspections.py [--grids 20000] [--inspections 1000000] [--month 2026-11]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.measure import measure  # noqa: E402

from grids.demo import build_demo_city  # noqa: E402
from grids.evaluation import monthly_evaluation  # noqa: E402
from grids.kpis import monthly_kpis  # noqa: E402

LEVEL_WIDTHS = {"grid": 15, "community": 12, "street": 9, "district": 6}


def year_of_records(codes: np.ndarray, n: int, seed: int):
    """Inspections through 2026 and the cases they opened, with realistic closing times."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-01-01T08:30")
    at = start + rng.integers(0, 365 * 24 * 60, n).astype("timedelta64[m]")
    grid = codes[rng.integers(0, len(codes), n)]
    kinds = rng.choice(["daily", "weekly", "monthly", "unannounced"], n, p=[0.7, 0.2, 0.07, 0.03])
    scores = np.round(rng.normal(86, 8, n).clip(0, 100), 2)
    units = np.where(rng.random(n) < 0.3, np.char.add("F", rng.integers(0, 50_000, n).astype(str)), None)
    inspections = pd.DataFrame({"grid": grid, "kind": kinds, "score": scores, "unit": units, "at": at})
    opened = rng.random(n) < 0.33
    m = int(opened.sum())
    registered = at[opened]
    days = rng.choice([1, 2, 3, 5, 15], m, p=[0.5, 0.2, 0.15, 0.1, 0.05])
    deadline = registered + (days * 24 * 60 * 1.4).astype("int64").astype("timedelta64[m]")
    taken = (rng.gamma(2.0, 1.0, m) * days * 24 * 60 * 0.6).astype("int64").astype("timedelta64[m]")
    closed = np.where(rng.random(m) < 0.93, registered + taken, np.datetime64("NaT"))
    cases = pd.DataFrame({
        "grid": grid[opened], "registered_at": registered, "deadline": deadline, "closed_at": closed,
        "deferred": rng.random(m) < 0.03, "reworks": rng.poisson(0.12, m),
        "severity": np.where(rng.random(m) < 0.08, "emergency", "normal"),
        "unit": units[opened], "person": np.char.add("P", rng.integers(0, 60_000, m).astype(str))})
    return inspections, cases


def bare(inspections: pd.DataFrame, cases: pd.DataFrame, month: str) -> int:
    """The measures with plain pandas groupbys, day counts from numpy's business-day calendar."""
    start = pd.Timestamp(f"{month}-01")
    end = start + pd.offsets.MonthBegin(1)
    due = cases[(cases["deadline"] >= start) & (cases["deadline"] < end)].copy()
    due["closed"] = due["closed_at"].notna() & (due["closed_at"] < end) & ~due["deferred"]
    due["on_time"] = due["closed"] & (due["closed_at"] <= due["deadline"])
    due["reworked"] = due["closed"] & (due["reworks"] > 0)
    due["emergency"] = due["severity"] == "emergency"
    due["e_closed"] = due["emergency"] & due["closed"]
    due["e_on_time"] = due["emergency"] & due["on_time"]
    holidays = [d for d in chinese_calendar.holidays if d.year >= 2025]
    closed = due["closed"].to_numpy()
    days = np.zeros(len(due))
    days[closed] = np.busday_count(due["registered_at"].to_numpy()[closed].astype("datetime64[D]"),
                                   due["closed_at"].to_numpy()[closed].astype("datetime64[D]"), holidays=holidays)
    due["days"] = days
    rows = 0
    columns = ["deferred", "closed", "on_time", "reworked", "emergency", "e_closed", "e_on_time", "days"]
    for level, width in LEVEL_WIDTHS.items():
        key = due["grid"].str.slice(0, width)
        rows += len(due.groupby(key)[columns].sum().assign(due=due.groupby(key).size()))
    for level in ("unit", "person"):
        rows += len(due.groupby(level)[columns].sum())
    month_inspections = inspections[(inspections["at"] >= start) & (inspections["at"] < end)]
    for width in (12, 9):
        rows += len(month_inspections.groupby(month_inspections["grid"].str.slice(0, width))["score"].mean())
    rows += len(month_inspections.groupby("unit")["score"].mean())
    return rows


def project(inspections: pd.DataFrame, cases: pd.DataFrame, month: str) -> int:
    start = pd.Timestamp(f"{month}-01")
    end = start + pd.offsets.MonthBegin(1)
    kpis = monthly_kpis(cases, month)
    month_inspections = inspections[(inspections["at"] >= start) & (inspections["at"] < end)]
    evaluation = monthly_evaluation(month_inspections, kpis)
    return len(kpis) + len(evaluation)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=20_000)
    parser.add_argument("--inspections", type=int, default=1_000_000)
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path, alternating; medians reported")
    args = parser.parse_args()
    steps: dict = {}
    with measure("build city + a year of records", steps):
        codes = build_demo_city(n_grids=args.grids, seed=args.seed).grids["code"].to_numpy().astype(str)
        inspections, cases = year_of_records(codes, args.inspections, args.seed)
    runs: dict = {"bare": [], "project": []}
    for number in range(args.repeat):  # alternating, so that a noisy neighbour hits both paths alike
        with measure(f"bare pandas groupby #{number + 1}", steps) as step:
            bare_rows = bare(inspections, cases, args.month)
        runs["bare"].append(step.seconds)
        with measure(f"project KPIs + evaluation #{number + 1}", steps) as step:
            project_rows = project(inspections, cases, args.month)
        runs["project"].append(step.seconds)
    median = {name: float(np.median(values)) for name, values in runs.items()}
    figures = {"benchmark": "inspections", "grids": len(codes), "inspections": len(inspections),
               "cases": len(cases), "month": args.month, "bare_rows": bare_rows, "project_rows": project_rows,
               "seconds": {name: round(step.seconds, 3) for name, step in steps.items()},
               "peak_rss_mib": round(max(s.peak_rss for s in steps.values()) / 2**20, 1),
               "bare_s": round(median["bare"], 3), "project_s": round(median["project"], 3),
               "ratio": round(median["project"] / median["bare"], 3)}
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
