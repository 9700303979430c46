"""The no-traceback sweep: every import path over the hostile corpus and generated bad input.

Paths: ``sanigrid import`` of regions, grids and people (CSV, xlsx), ``sanigrid assign-grids
--buildings/--roads``, and ``POST /api/v1/import/{layer}``. Most calls run the CLI in process
(click's CliRunner; an exception escaping the command fails the test), a few as real subprocesses.
Each must end with a non-zero exit and a one-paragraph ``error:`` message (HTTP: a 4xx
problem+json), never a traceback or a 500, and the database must be as it was: every table's rows
(the import log aside, which records each refusal on purpose) and the register version.
``scripts/import_folder.py`` (a batch of files) runs as a subprocess over a folder of them.
"""
import csv
import math
import os
import shutil
import string
import subprocess
import sys

import orjson
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import func, select

from conftest import COMMUNITY, REPO, SHARED_DATA
from gis_app.cli import cli
from gis_app.storage import repository as repo
from gis_app.storage import schema, session_scope

CORPUS = sorted(p for p in (SHARED_DATA / "geojson-hostile-corpus").rglob("*.geojson"))
TABLES = [schema.Region, schema.Grid, schema.GridHistory, schema.Person, schema.Role, schema.AuditEntry]
LON, LAT = 109.40, 24.30


@pytest.fixture
def sweep(runner, files):
    """The tiny city registered through the CLI; returns (runner, snapshot function)."""
    for args in (["init"], ["import", "regions", str(files["regions"])], ["import", "grids", str(files["grids"])]):
        assert runner.invoke(cli, args).exit_code == 0
    from gis_app import create_app
    engine = create_app().extensions["sanigrid.engine"]

    def snapshot():
        with session_scope(engine) as s:
            return [s.scalar(select(func.count()).select_from(t)) for t in TABLES] + [repo.register_version(s)]
    return runner, snapshot


def clean_refusal(result, *, must_fail=True) -> None:
    """The command ended by itself (no exception escaped), with an ``error:`` paragraph and no traceback."""
    text = result.output  # click >= 8.2: stdout and stderr as the user sees them
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if must_fail:
        assert result.exit_code != 0, text
        assert "error:" in text and len(text) < 20_000, text[:2000]


@pytest.mark.parametrize("layer", ["grids", "regions"])
def test_the_hostile_corpus_through_sanigrid_import(sweep, layer):
    runner, snapshot = sweep
    before = snapshot()
    for path in CORPUS:  # a good fixture may pass (an empty FeatureCollection creates nothing); a bad one may not
        bad = path.parent.name in ("invalid_geometries", "invalid_structure", "bad")
        clean_refusal(runner.invoke(cli, ["import", layer, str(path)]), must_fail=bad)
    assert snapshot() == before


@pytest.mark.parametrize("option", ["--buildings", "--roads"])
def test_the_hostile_corpus_through_assign_grids(sweep, option, tmp_path):
    runner, snapshot = sweep
    before = snapshot()
    for path in CORPUS[::3]:  # every third file: the drawing is slow when a file is accepted
        result = runner.invoke(cli, ["assign-grids", "--community", COMMUNITY, option, str(path), "--dry-run",
                                     "-o", str(tmp_path / "proposal.geojson")])
        clean_refusal(result, must_fail=False)
    assert snapshot() == before


def test_the_hostile_corpus_through_the_api_import(sweep, client, token):
    _, snapshot = sweep
    before = snapshot()
    admin = token("admin")
    for path in CORPUS:
        for layer in ("grids", "regions"):
            response = client.post(f"/api/v1/import/{layer}", headers=admin,
                                   data={"file": (path.open("rb"), path.name)}, content_type="multipart/form-data")
            assert 400 <= response.status_code < 500, (path.name, response.status_code)
            assert response.mimetype == "application/problem+json"
    assert snapshot() == before


def collection(geometry, props=None) -> bytes:
    props = {"name": "网格", "community": COMMUNITY} if props is None else props
    return orjson.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geometry}]})


def ring(n=5, x=LON, y=LAT, d=1e-3):
    pts = [[x, y], [x + d, y], [x + d, y + d], [x, y + d]]
    return (pts * (n // 4 + 1))[: n - 1] + [[x, y]]


# Text fragments that are not GeoJSON numbers: NaN and infinities as bare words, overflowing numbers.
RAW = [b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
       b'{"type":"Polygon","coordinates":[[[NaN,1],[2,2],[3,1],[NaN,1]]]}}]}',
       b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
       b'{"type":"Point","coordinates":[Infinity,-Infinity]}}]}',
       b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
       b'{"type":"Point","coordinates":[1e400,1]}}]}',
       b'[' * 100_000 + b']' * 100_000, b'{"a":' * 5000 + b'1' + b'}' * 5000, b"\x00" * 64, b""]
GEOMETRIES = {
    "1e308": {"type": "Polygon", "coordinates": [ring(x=1e308)]},
    "-1e308": {"type": "Polygon", "coordinates": [ring(y=-1e308)]},
    "metres": {"type": "Polygon", "coordinates": [ring(x=642_000.0, y=2_690_000.0, d=100.0)]},
    "empty ring": {"type": "Polygon", "coordinates": [[]]},
    "unclosed": {"type": "Polygon", "coordinates": [ring()[:-1]]},
    "two points": {"type": "Polygon", "coordinates": [[[LON, LAT], [LON + 1e-3, LAT]]]},
    "nested collection": {"type": "GeometryCollection", "geometries": [
        {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [LON, LAT]}]}]},
    "clockwise": {"type": "Polygon", "coordinates": [ring()[::-1]]},
    "mixed dimensions": {"type": "Polygon", "coordinates": [[[LON, LAT, 1.0], [LON + 1e-3, LAT], [LON + 1e-3, LAT + 1e-3],
                                                             [LON, LAT, 5.0]]]},
    "100k vertices": {"type": "Polygon", "coordinates": [ring(100_001, d=1e-4)]},
    "bow tie": {"type": "Polygon", "coordinates": [[[LON, LAT], [LON + 1e-3, LAT + 1e-3], [LON + 1e-3, LAT],
                                                    [LON, LAT + 1e-3], [LON, LAT]]]},
    "point": {"type": "Point", "coordinates": [LON, LAT]},
}


def test_generated_bad_geometries_through_every_path_and_a_few_subprocesses(sweep, client, token, tmp_path):
    runner, snapshot = sweep
    before = snapshot()
    paths = []
    for k, raw in enumerate(RAW + [collection(g) for g in GEOMETRIES.values()]):
        paths.append(tmp_path / f"bad{k}.geojson")
        paths[-1].write_bytes(raw)
    for path in paths:
        clean_refusal(runner.invoke(cli, ["import", "grids", str(path)]))
        clean_refusal(runner.invoke(cli, ["import", "regions", str(path), "--crs", "EPSG:4545"]))
        clean_refusal(runner.invoke(cli, ["assign-grids", "--community", COMMUNITY, "--roads", str(path), "--dry-run",
                                          "-o", str(tmp_path / "proposal.geojson")]), must_fail=False)
        response = client.post("/api/v1/import/grids", data=path.read_bytes(),
                               headers={**token("admin"), "Content-Type": "application/geo+json"})
        assert 400 <= response.status_code < 500 and response.mimetype == "application/problem+json"
    env = {**os.environ}
    sanigrid = [sys.executable, "-m", "gis_app"]
    for path in (paths[0], paths[len(RAW)], paths[len(RAW) + 2], paths[len(RAW) + 9]):  # NaN, 1e308, metres, 100k
        done = subprocess.run([*sanigrid, "import", "grids", str(path)], capture_output=True, text=True, env=env,
                              timeout=300)
        assert done.returncode != 0 and "Traceback" not in done.stderr and done.stderr.startswith("error:"), done.stderr
    assert snapshot() == before


PEOPLE_ROWS = [
    {"name": "张\x00三", "phone": "13800000001", "grid": f"{COMMUNITY}001", "role": "leader"},
    {"name": "=cmd|' /C calc'!A0", "phone": "not a phone", "grid": f"{COMMUNITY}001", "role": "leader"},
    {"name": "李四", "phone": "13800000002", "grid": "1e308", "role": "leader"},
    {"name": "王五", "phone": "13800000003", "grid": f"{COMMUNITY}001", "role": "nonsense"},
    {"name": "x" * 10_000, "phone": "13800000004", "grid": f"{COMMUNITY}999", "role": "cleaner", "backup": "nan"},
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_hostile_people_tables(sweep, tmp_path, suffix):
    runner, snapshot = sweep
    before = snapshot()
    columns = ["name", "phone", "grid", "role", "backup"]
    path = tmp_path / f"people{suffix}"
    for row in PEOPLE_ROWS:
        if suffix == ".csv":
            with path.open("w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=columns)
                writer.writeheader()
                writer.writerow(row)
        else:
            from openpyxl import Workbook
            book = Workbook()
            book.active.append(columns)
            # openpyxl cannot store NUL (nor the other C0 controls): NEL (U+0085) stands in for it
            book.active.append([str(row.get(c, "")).replace("\x00", "\x85") for c in columns])
            book.save(path)
        clean_refusal(runner.invoke(cli, ["import", "people", str(path)]))
    for junk in (b"", b"\x00\xff" * 1000, b"PK\x03\x04" + b"\x00" * 100):
        path.write_bytes(junk)
        clean_refusal(runner.invoke(cli, ["import", "people", str(path)]))
    assert snapshot() == before


FINITE = st.floats(allow_nan=False, allow_infinity=False)
NUMBER = st.one_of(FINITE, st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 642_000.0, 2_690_000.0]))
POSITION = st.lists(NUMBER, min_size=0, max_size=4)
RING = st.lists(POSITION, min_size=0, max_size=8)
GEOMETRY = st.one_of(
    st.builds(lambda rings: {"type": "Polygon", "coordinates": rings}, st.lists(RING, max_size=3)),
    st.builds(lambda polys: {"type": "MultiPolygon", "coordinates": polys}, st.lists(st.lists(RING, max_size=2), max_size=2)),
    st.builds(lambda c: {"type": "LineString", "coordinates": c}, RING),
    st.builds(lambda g: {"type": "GeometryCollection", "geometries": g},
              st.lists(st.builds(lambda c: {"type": "Point", "coordinates": c}, POSITION), max_size=3)),
    st.recursive(st.none() | st.integers() | st.text(max_size=3), lambda inner: st.lists(inner, max_size=3), max_leaves=30),
)
TEXT = st.text(alphabet=st.sampled_from(list(string.ascii_letters) + ["\x00", "\x1b", "\r", "\u2028", "\x85", "网"]),
               min_size=1, max_size=12).filter(lambda t: any(c in t for c in "\x00\x1b\r\u2028\x85"))


def test_hypothesis_bad_geometries_and_texts(sweep, tmp_path):
    runner, snapshot = sweep
    before = snapshot()
    path = tmp_path / "generated.geojson"

    @given(geometry=GEOMETRY, name=TEXT, key=st.sampled_from(["name", "manager"]))
    @hsettings(max_examples=40, deadline=None, derandomize=True, database=None,
               suppress_health_check=list(HealthCheck))
    def run(geometry, name, key):
        props = {"name": "网格", "community": COMMUNITY, key: name}
        # NaN and infinities cannot be written as JSON: orjson writes null, which is refused as well
        path.write_bytes(collection(geometry, props))
        clean_refusal(runner.invoke(cli, ["import", "grids", str(path)]))

    run()
    assert snapshot() == before


def test_scripts_import_folder_over_hostile_files(sweep, tmp_path):
    """The batch script: every file refused with its reason in the summary, exit 1, no traceback, nothing changed."""
    _, snapshot = sweep
    before = snapshot()
    folder = tmp_path / "incoming"
    folder.mkdir()
    bad = [p for p in CORPUS if p.parent.name in ("invalid_geometries", "invalid_structure", "bad")]
    for k, path in enumerate(bad[::4]):
        shutil.copy(path, folder / f"grids_{k:03d}.geojson")
    for k, raw in enumerate(RAW[:3] + [collection(g) for g in GEOMETRIES.values()]):
        (folder / f"regions_{k:03d}.geojson").write_bytes(raw)
    (folder / "people_bad.csv").write_text("name,phone,grid,role\n张\x00三,13800000001,450203008001001,leader\n",
                                            encoding="utf-8")
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "import_folder.py"), str(folder)],
                          capture_output=True, text=True, env={**os.environ}, timeout=600)
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.stdout.count("refused") >= len(list(folder.iterdir()))
    assert snapshot() == before
