"""GDAL's OAPIF driver as the client: a real server (gunicorn, 2,000-grid demo city) read by ogrinfo,
ogr2ogr (Debian GDAL) and pyogrio (its own GDAL), compared with the REST export feature by feature."""
from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from shapely.geometry import shape

pytestmark = pytest.mark.slow
N_GRIDS = 2000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn serving a fresh SQLite register holding the 2,000-grid demo city; yields its base URL."""
    from gis_app import create_app
    from gis_app.demo_loader import load_demo
    from gis_app.storage import upgrade
    folder = tmp_path_factory.mktemp("ogc-gdal")
    env = {"SANIGRID_INSTANCE": str(folder), "SANIGRID_DATABASE_URL": f"sqlite:///{folder}/demo.sqlite"}
    app = create_app(env)
    upgrade(env["SANIGRID_DATABASE_URL"])
    load_demo(app.extensions["sanigrid.engine"], app.config, n_grids=N_GRIDS, seed=7, replace=False)
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "gis_app.wsgi:app"],
                            env={**os.environ, **env}, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                _fetch(f"{base}/ogc/conformance")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def exported(server) -> list[dict]:
    """The REST export of the grids (GET /api/v1/export/grids?format=geojson), in code order."""
    features = json.loads(_fetch(f"{server}/api/v1/export/grids?format=geojson"))["features"]
    assert len(features) == N_GRIDS
    return sorted(features, key=lambda f: f["properties"]["code"])


def _ogr_tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} (Debian gdal-bin) is missing: `make test` installs it"
    return path


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value.item() if isinstance(value, np.generic) else value


def test_ogrinfo_lists_the_collections(server):
    out = subprocess.run([_ogr_tool("ogrinfo"), "-ro", "-q", f"OAPIF:{server}/ogc"], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    assert "grids (title: 网格)" in out
    assert "regions (title:" in out and "gaps (title:" in out
    summary = subprocess.run([_ogr_tool("ogrinfo"), "-ro", "-so", f"OAPIF:{server}/ogc", "grids"],
                             capture_output=True, text=True, timeout=300, check=True).stdout
    assert f"Feature Count: {N_GRIDS}" in summary


def test_pyogrio_reads_every_grid_identical_to_the_rest_export(server, exported):
    frame = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="grids")
    frame = frame.sort_values("code").reset_index(drop=True)
    assert list(frame["code"]) == [f["properties"]["code"] for f in exported]
    assert list(frame["id"]) == list(frame["code"])
    for i, feature in enumerate(exported):
        row = frame.iloc[i]
        for key, value in feature["properties"].items():
            assert _plain(row[key]) == value, (feature["properties"]["code"], key)
        assert np.array_equal(shapely.get_coordinates(row.geometry),
                              shapely.get_coordinates(shape(feature["geometry"]))), feature["properties"]["code"]


def test_ogr2ogr_copies_every_grid_with_the_export_vertices(server, exported, tmp_path):
    out = tmp_path / "grids.geojson"
    subprocess.run([_ogr_tool("ogr2ogr"), "-f", "GeoJSON", str(out), f"OAPIF:{server}/ogc", "grids"],
                   capture_output=True, text=True, timeout=600, check=True)
    copied = sorted(json.loads(out.read_text(encoding="utf-8"))["features"], key=lambda f: f["properties"]["code"])
    assert [f["properties"]["code"] for f in copied] == [f["properties"]["code"] for f in exported]
    assert [f["properties"]["name"] for f in copied] == [f["properties"]["name"] for f in exported]
    assert [f["geometry"]["coordinates"] for f in copied] == [f["geometry"]["coordinates"] for f in exported]


def test_pyogrio_reads_the_metric_crs_through_part_2(server, exported):
    metric = json.loads(_fetch(f"{server}/ogc/collections/grids"))["crs"][-1]
    epsg = int(metric.rsplit("/", 1)[1])
    frame = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="grids", CRS=f"EPSG:{epsg}")
    assert frame.crs.to_epsg() == epsg and len(frame) == N_GRIDS
    frame = frame.sort_values("code").reset_index(drop=True)
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    for i in range(0, N_GRIDS, 97):
        expected = shapely.get_coordinates(shape(exported[i]["geometry"]))
        easting, northing = to_metric.transform(expected[:, 0], expected[:, 1])
        got = shapely.get_coordinates(frame.geometry.iloc[i])   # GDAL gives x = easting, y = northing
        assert np.abs(got - np.column_stack([easting, northing])).max() < 0.002


def test_pyogrio_bbox_is_answered_by_the_server(server, exported):
    x0, y0, x1, y1 = shapely.bounds(shape(exported[0]["geometry"]))
    frame = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="grids", bbox=(x0, y0, x1, y1))
    query = json.loads(_fetch(f"{server}/ogc/collections/grids/items?bbox={x0},{y0},{x1},{y1}&limit=10000"))
    assert 1 <= len(frame) == query["numberMatched"] < 50
    assert exported[0]["properties"]["code"] in set(frame["code"])


def test_pyogrio_reads_regions_and_gaps(server):
    regions = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="regions")
    listed = json.loads(_fetch(f"{server}/api/v1/regions"))
    assert sorted(regions["code"]) == sorted(r["code"] for r in listed)
    gaps = pyogrio.read_dataframe(f"OAPIF:{server}/ogc", layer="gaps")
    report = json.loads(_fetch(f"{server}/api/v1/gaps/features"))["features"]
    assert len(gaps) == len(report) > 0
    assert sorted(gaps["kind"]) == sorted(f["properties"]["kind"] for f in report)
