"""QGIS as the client, following the README's QGIS steps: Debian's QGIS 3.22 (python3-qgis,
qgis-providers; `make test` installs them) reads the 600-grid demo city from a live server.

QGIS is for the system python, so tests/qgis_client.py runs under /usr/bin/python3 with
QT_QPA_PLATFORM=offscreen and prints what QGIS saw as JSON; this module compares it with the
register's own REST export and tiles. A missing QGIS fails these tests, it never skips them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import orjson
import pyproj
import pytest
import shapely
from shapely.geometry import shape

from browser_fixtures import ARTIFACTS, served  # noqa: F401  (fixture: the demo on a live server)
from test_viewer_sql_tiles import demo  # noqa: F401  (fixture: the 600-grid demo city)

QGIS_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).resolve().with_name("qgis_client.py")


def run_qgis(tmp_path: Path, *args: str) -> dict:
    """Run tests/qgis_client.py under Debian's QGIS in a throwaway profile; return its JSON."""
    probe = subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.fail(f"QGIS (Debian python3-qgis, qgis-providers) is not installed: run `make system-deps`\n"
                    f"{probe.stderr}")
    home = tmp_path / "qgis-home"
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(home), HOME=str(home))
    done = subprocess.run([QGIS_PYTHON, str(SCRIPT), args[0], args[1], str(home / "profile"), *args[2:]],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_qgis_adds_the_grids_collection_as_the_readme_says_and_reads_the_register(demo, served, tmp_path):  # noqa: F811
    client = demo.test_client()
    exported = sorted(orjson.loads(client.get("/api/v1/export/grids?format=geojson").data)["features"],
                      key=lambda f: f["properties"]["code"])
    metric = client.get("/ogc/collections/grids").get_json()["crs"][-1]
    epsg = int(metric.rsplit("/", 1)[1])
    assert len(exported) == 600 and epsg == 4545  # the README's example CRS is the demo city's

    seen = run_qgis(tmp_path, "oapif", served.url)

    # Steps 2-3: the connection (Version "OGC API - Features", paging, page size 10000) lists the
    # six collections under their Chinese titles, as layers of QGIS's OAPIF provider.
    assert seen["root"] == "WFS / OGC API - Features"
    assert sorted((c["title"], c["provider"]) for c in seen["collections"]) == sorted(
        (title, "OAPIF") for title in ("网格", "行政区划（区县、街道、社区）", "覆盖缺口（空洞、缝隙、重叠、越界、缺员网格）",
                                       "门前三包责任区", "重点场所", "道路中心线"))
    assert "typename='grids'" in seen["grids_uri"] and f"url='{served.url}/ogc'" in seen["grids_uri"]
    assert "pageSize='10000'" in seen["grids_uri"] and "pagingEnabled='true'" in seen["grids_uri"]

    # Step 4: the grids layer holds every grid with the export's properties and vertices.
    grids = seen["grids"]
    assert grids["valid"] and grids["crs"] == "EPSG:4326" and grids["feature_count"] == 600
    got = sorted(grids["features"], key=lambda f: f["attributes"]["code"])
    assert [f["attributes"]["code"] for f in got] == [f["properties"]["code"] for f in exported]
    for feature, expected in zip(got, exported):
        code = expected["properties"]["code"]
        assert feature["attributes"]["id"] == code
        assert {k: feature["attributes"][k] for k in expected["properties"]} == expected["properties"], code
        assert feature["vertices"] == shapely.get_coordinates(shape(expected["geometry"])).tolist(), code
    assert got[0]["attributes"]["name"].endswith("网格") and "社区" in got[0]["attributes"]["name"]

    items = [r for r in served.requests if r.startswith("/ogc/collections/grids/items?")]
    assert any("limit=10000" in r for r in items)  # the connection's page size
    # "Only request features overlapping the view extent": QGIS sends the view as bbox.
    x0, y0, x1, y1 = seen["view"]["rect"]
    near = client.get(f"/ogc/collections/grids/items?bbox={x0},{y0},{x1},{y1}&limit=10000").get_json()
    assert seen["view"]["codes"] == sorted(f["properties"]["code"] for f in near["features"]) != []
    assert any("bbox=" in r for r in items)

    # Step 4's "Change..." to EPSG:4545: QGIS 3.22's client has no OGC API - Features Part 2 (later
    # releases have), so it still asks for CRS84 and QGIS reprojects on its side; the README says so.
    in_metric = seen["grids_4545"]
    assert "srsname='EPSG:4545'" in in_metric["source"] and in_metric["valid"]
    assert in_metric["crs"] == "EPSG:4326", \
        "this QGIS asks the server for EPSG:4545: the README's QGIS steps say 3.22 does not; update them"
    assert in_metric["feature_count"] == 600
    assert not any("crs=" in r for r in items)  # never asked: every page came in CRS84
    by_code = {f["properties"]["code"]: f for f in exported}
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
    for feature in in_metric["features"]:
        expected = shapely.get_coordinates(shape(by_code[feature["attributes"]["code"]]["geometry"]))
        assert feature["vertices"] == expected.tolist()
        easting, northing = to_metric.transform(expected[:, 0], expected[:, 1])
        assert np.abs(np.array(feature["in_4545"]) - np.column_stack([easting, northing])).max() < 0.002

    # A private register needs `Authorization: Bearer`; 3.22's authentication methods cannot send it
    # (no "API Header" method yet), which the README says.
    assert "APIHeader" not in seen["auth_methods"] and "Basic" in seen["auth_methods"]


@pytest.mark.postgresql
def test_qgis_draws_the_readme_vector_tile_layer_with_codes_and_statuses(demo, engine, served, tmp_path):  # noqa: F811
    from gis_app.register import staffing_report
    table, _ = staffing_report(engine, demo.config)
    status = dict(zip(table["code"], table["status"]))
    unstaffed = sorted(code for code, s in status.items() if s == "unstaffed")
    district = unstaffed[0][:6]
    png = tmp_path / f"qgis_vector_tiles_{district}.png"

    seen = run_qgis(tmp_path, "mvt", served.url, district, str(png))

    assert seen["valid"] and seen["district"] and seen["crs"] == "EPSG:3857"
    assert (seen["zmin"], seen["zmax"]) == (5, 20) and seen["errors"] == []
    assert len(seen["tiles"]) >= 2
    client = demo.test_client()
    decoded = {}
    for tile in seen["tiles"]:  # QGIS's own MVT decoder: each tile's grids with their code and status
        assert tile["fields"] is not None and {"code", "status"} <= set(tile["fields"]), tile
        z, x, y = tile["z"], tile["x"], tile["y"]
        geojson = orjson.loads(client.get(f"/tiles/grids/{z}/{x}/{y}.geojson").data)["features"]
        assert sorted(map(tuple, tile["features"])) == \
            sorted((f["properties"]["code"], f["properties"]["status"]) for f in geojson), (z, x, y)
        decoded.update(dict(map(tuple, tile["features"])))
    assert len(decoded) > 50 and all(status[code] == s for code, s in decoded.items())
    assert decoded[unstaffed[0]] == "unstaffed"

    # The PNG: the district drawn in the viewer's status colours, its unstaffed grid in red.
    assert png.stat().st_size > 10_000 and seen["size"] == [1000, 1000]
    assert seen["pixels"]["complete"] > 50_000 and seen["pixels"]["unstaffed"] > 0
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(png, ARTIFACTS / png.name)  # git-ignored, for a reviewer to look at
