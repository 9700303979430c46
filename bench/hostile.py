"""Benchmark refusals of hostile imports: oversized geometries and files are refused in about a parse's time.

Each hostile file (a 1,000,000-vertex zigzag polygon, a 1,000,000-vertex square, 100,000 features,
a coordinate of 1e308, 20,000 grids in metres read as lon/lat) is imported as a dry run through
gis_app.imports.import_file until it is refused; beside it, the bare reference: orjson.loads of the
same bytes (the least any reader must do). The ratio is refusal time / bare parse time; the JSON
line's ``ratio`` is the worst file's. No GEOS set_precision/make_valid/is_valid runs on refused input.

    .venv/bin/python bench/hostile.py [--vertices 1000000] [--features 100000]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.measure import measure  # noqa: E402

from gis_app import create_app  # noqa: E402
from gis_app.errors import ValidationFailed  # noqa: E402
from gis_app.imports import import_file  # noqa: E402
from gis_app.storage import upgrade  # noqa: E402

COMMUNITY = "450203008001"
LON, LAT = 109.39, 24.30


def _collection(geometries) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"g{i}", "community": COMMUNITY}, "geometry": g}
        for i, g in enumerate(geometries)]}, option=orjson.OPT_SERIALIZE_NUMPY)


def zigzag(n: int) -> dict:
    """A comb: n teeth along the top edge of a 1 km strip (set_precision is quadratic on it)."""
    xs = np.linspace(LON, LON + 0.01, n - 3)
    top = np.column_stack([xs, LAT + 0.001 + np.where(np.arange(n - 3) % 2, 0.0005, 0.0)])
    return {"type": "Polygon", "coordinates": [np.vstack([[[LON, LAT]], top, [[LON + 0.01, LAT]], [[LON, LAT]]])]}


def square(n: int) -> dict:
    """A square with n vertices on its edges."""
    t = np.linspace(0, 0.01, n // 4, endpoint=False)
    one, zero = np.full_like(t, 0.01), np.zeros_like(t)
    ring = np.vstack([np.column_stack([t, zero]), np.column_stack([one, t]), np.column_stack([0.01 - t, one]),
                      np.column_stack([zero, 0.01 - t]), [[0.0, 0.0]]]) + [LON, LAT]
    return {"type": "Polygon", "coordinates": [ring]}


def cells(n: int, *, x0=LON, y0=LAT, side=1e-5) -> list[dict]:
    k = int(np.ceil(np.sqrt(n)))
    out = []
    for i in range(n):
        x, y = x0 + (i % k) * side, y0 + (i // k) * side
        out.append({"type": "Polygon", "coordinates": [[[x, y], [x + side, y], [x + side, y + side], [x, y + side],
                                                        [x, y]]]})
    return out


def hostile_files(work: Path, vertices: int, features: int) -> dict[str, Path]:
    files = {"zigzag_1m_vertices": [zigzag(vertices)], "square_1m_vertices": [square(vertices)],
             "features_100k": cells(features), "coordinate_1e308": cells(19_999) + [cells(1, x0=1e308)[0]],
             "metres_as_lonlat_20k": cells(20_000, x0=642_000.0, y0=2_690_000.0, side=1.0)}
    paths = {}
    for name, geometries in files.items():
        paths[name] = work / f"{name}.geojson"
        paths[name].write_bytes(_collection(geometries))
    return paths


def _refusal(engine, settings, path) -> str:
    try:
        import_file(engine, settings, "grids", path, dry_run=True)
    except ValidationFailed as exc:
        return str(exc).splitlines()[-1].strip()[:160]
    raise SystemExit(f"{path.name} was not refused")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sanigrid-bench-hostile-"))
    app = create_app({"SANIGRID_INSTANCE": str(work), "SANIGRID_DATABASE_URL": f"sqlite:///{work}/bench.sqlite"})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    engine = app.extensions["sanigrid.engine"]
    steps: dict = {}
    figures: dict = {}
    for name, path in hostile_files(work, args.vertices, args.features).items():
        data = path.read_bytes()
        start = time.perf_counter()
        orjson.loads(data)
        bare = time.perf_counter() - start
        with measure(f"refuse {name}", steps) as step:
            message = _refusal(engine, app.config, path)
        figures[name] = {"bytes": len(data), "refused_s": round(step.seconds, 3), "bare_parse_s": round(bare, 3),
                         "ratio": round(step.seconds / bare, 2), "message": message}
        print(f"{'':<32} bare orjson.loads {bare:9.3f} s   ratio {step.seconds / bare:6.2f}   {message[:90]}")
    print(json.dumps({
        "bench": "hostile", "machine": "2 cores, 24 GB", "files": figures,
        "ratio": max(f["ratio"] for f in figures.values()),
        "refused_s_max": max(f["refused_s"] for f in figures.values()),
        "peak_rss_mib": round(max(s.peak_rss for s in steps.values()) / 2**20, 1),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
