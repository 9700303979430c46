"""The analysts' batch scripts in scripts/, run as a GIS analyst runs them: subprocesses of the project's python.

Each runs on the 600-grid demo city (``sanigrid demo`` in an instance of its own, on the
suite's backend: SANIGRID_TEST_BACKEND=postgresql gives each a PostgreSQL database) or on
the OSM extracts in ../shared/data, and is checked by its outputs and its exit code:
0 done, 1 findings, 2 refused (a message on stderr, no traceback, nothing written).
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import box, mapping

from conftest import BACKEND, _admin, _database_url, drop_database

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = ("redraw_communities", "staff_district", "import_folder", "export_district", "prepare_osm")
STREET, DISTRICT, HOLE_COMMUNITY = "450203005", "450203", "450203005013"  # the demo's street with a hole
QGIS_PYTHON = "/usr/bin/python3"
ALL_KINDS = "网格长;保洁员;巡查员;管理责任人;监督员;志愿者"

pytestmark = pytest.mark.db


def run(env: dict, *args, cwd=None) -> subprocess.CompletedProcess:
    """Run a script (NAME ...) or the sanigrid command (sanigrid ...) with the project's python."""
    command = [sys.executable, "-m", "gis_app", *args[1:]] if args[0] == "sanigrid" else \
        [sys.executable, str(REPO / "scripts" / f"{args[0]}.py"), *args[1:]]
    return subprocess.run([str(a) for a in command], capture_output=True, text=True, env=env, cwd=cwd, timeout=900)


def refused(done: subprocess.CompletedProcess) -> bool:
    return done.returncode == 2 and done.stderr.startswith("error: ") and "Traceback" not in done.stderr


def environment(instance: Path, url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANIGRID_")}
    env.update(SANIGRID_INSTANCE=str(instance), SANIGRID_DATABASE_URL=url)
    return env


@pytest.fixture(scope="module")
def demo(tmp_path_factory, request):
    """The environment of an instance holding the 600-grid demo city (read only: copy it to write)."""
    folder = tmp_path_factory.mktemp("demo")
    if BACKEND == "postgresql":
        databases = request.getfixturevalue("pg_databases")
        name = databases.take()
        url = _database_url(name)
    else:
        url = f"sqlite:///{folder / 'instance' / 'demo.sqlite'}"
    env = environment(folder / "instance", url)
    done = run(env, "sanigrid", "demo", "--grids", "600")
    assert done.returncode == 0, done.stderr
    yield env
    if BACKEND == "postgresql":
        databases.dropping.put(name)


@pytest.fixture
def demo_copy(demo, tmp_path):
    """A copy of the demo instance to write to (a file copy, or CREATE DATABASE … TEMPLATE)."""
    if BACKEND == "postgresql":
        name = f"sanigrid_test_{uuid.uuid4().hex[:12]}"
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{demo["SANIGRID_DATABASE_URL"].rsplit("/", 1)[1]}"')
        yield environment(tmp_path / "instance", _database_url(name))
        drop_database(name)
    else:
        source = Path(demo["SANIGRID_DATABASE_URL"].removeprefix("sqlite:///"))
        (tmp_path / "instance").mkdir()
        shutil.copy(source, tmp_path / "instance" / "demo.sqlite")
        yield environment(tmp_path / "instance", f"sqlite:///{tmp_path / 'instance' / 'demo.sqlite'}")


@pytest.fixture
def empty(settings, tmp_path):
    """An instance with an empty register (the suite's database for this test, schema at head)."""
    env = environment(Path(settings["SANIGRID_INSTANCE"]), settings["SANIGRID_DATABASE_URL"])
    assert run(env, "sanigrid", "init").returncode == 0
    return env


def grid_codes(env, region) -> set:
    out = Path(env["SANIGRID_INSTANCE"]).parent / f"grids-{uuid.uuid4().hex[:6]}.csv"
    assert run(env, "sanigrid", "export", "grids", "--format", "csv", "-o", out, "--district", region).returncode == 0
    return set(pd.read_csv(out, dtype=str)["code"])


def roles_of(env, region) -> list:
    out = Path(env["SANIGRID_INSTANCE"]).parent / f"roles-{uuid.uuid4().hex[:6]}.csv"
    assert run(env, "sanigrid", "export", "roles", "--format", "csv", "-o", out, "--district", region).returncode == 0
    return sorted(map(tuple, pd.read_csv(out, dtype=str).fillna("").to_numpy().tolist()))


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_explains_itself_with_help(script):
    done = run(dict(os.environ), script, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout and "退出码 exit codes" in done.stdout


# --- redraw_communities -------------------------------------------------------------------------

def test_redraw_dry_run_writes_one_proposal_per_community_and_a_summary_and_changes_nothing(demo, tmp_path):
    before = grid_codes(demo, STREET)
    done = run(demo, "redraw_communities", "--street", STREET, "-o", tmp_path / "out")
    assert done.returncode == 1, done.stderr  # 92 households cannot make a grid of 300-500: a finding
    summary = pd.read_excel(tmp_path / "out" / "summary.xlsx", dtype={"社区编码 community": str})
    # the demo's street: five communities of one grid outside 300-500 households, and the one with a hole
    assert list(summary["社区编码 community"]) == [f"{STREET}{c}" for c in ("005", "006", "008", "010", "011", "013")]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.geojson")) == [f"{c}.geojson"
                                                                           for c in summary["社区编码 community"]]
    hole = summary.set_index("社区编码 community").loc[HOLE_COMMUNITY]
    assert "空洞 hole" in hole["原因 why"] and hole["网格数(前) grids before"] == 2
    assert 0 <= hole["户数CV(后) households CV after"] < hole["户数CV(前) households CV before"]
    assert 0 < hole["紧凑度PP(后) Polsby-Popper after"] <= 1 and not summary["已写入 written"].any()
    proposal = gpd.read_file(tmp_path / "out" / f"{HOLE_COMMUNITY}.geojson")
    assert {"code", "households", "change", "polsby_popper"} <= set(proposal.columns)
    assert grid_codes(demo, STREET) == before


def test_redraw_apply_writes_the_redrawn_grids_and_a_second_run_finds_nothing(demo_copy, tmp_path):
    done = run(demo_copy, "redraw_communities", "--street", STREET, "--min-households", "1",
               "--max-households", "1000", "--apply", "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr + done.stdout  # only the hole's community, redrawn within bounds
    summary = pd.read_excel(tmp_path / "out" / "summary.xlsx", dtype={"社区编码 community": str})
    assert list(summary["社区编码 community"]) == [HOLE_COMMUNITY] and summary["已写入 written"].all()
    drawn = set(gpd.read_file(tmp_path / "out" / f"{HOLE_COMMUNITY}.geojson").query("change != 'retired'")["code"])
    assert {c for c in grid_codes(demo_copy, STREET) if c.startswith(HOLE_COMMUNITY)} == drawn
    again = run(demo_copy, "redraw_communities", "--street", STREET, "--min-households", "1",
                "--max-households", "1000", "-o", tmp_path / "again")
    assert again.returncode == 0 and again.stdout.startswith("0 communities to redraw")


@pytest.mark.parametrize("args", [["--street", "45020300"], ["--street", "450203005001"],
                                  ["--street", STREET, "--min-households", "600", "--max-households", "500"]])
def test_redraw_refuses_bad_arguments(demo, tmp_path, args):
    done = run(demo, "redraw_communities", *args, "-o", tmp_path / "out")
    assert refused(done), done.stderr
    assert not (tmp_path / "out" / "summary.xlsx").exists()


# --- staff_district -----------------------------------------------------------------------------

def write_roster(demo, path, n, capacity=3, kinds=ALL_KINDS):
    """n people at the sign points of the district's grids, in turn."""
    grids = Path(path).with_suffix(".geojson")
    assert run(demo, "sanigrid", "export", "grids", "--format", "geojson", "-o", grids,
               "--district", DISTRICT).returncode == 0
    points = gpd.read_file(grids).geometry.representative_point()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["phone", "name", "kinds", "lon", "lat", "capacity"])
        for i in range(n):
            p = points.iloc[i % len(points)]
            writer.writerow([f"1390000{i:04d}", f"员工{i}", kinds, round(p.x, 6), round(p.y, 6), capacity])
    return path


def test_staff_a_district_dry_run_lists_every_unfilled_post_with_why(demo, tmp_path):
    roster = write_roster(demo, tmp_path / "roster.csv", 60)
    before = roles_of(demo, DISTRICT)
    done = run(demo, "staff_district", "--district", DISTRICT, "--people", roster, "-o", tmp_path / "unfilled.xlsx",
               "--dry-run")
    assert done.returncode == 1, done.stderr
    unfilled = pd.read_excel(tmp_path / "unfilled.xlsx", dtype={"网格编码 grid": str})
    assert list(unfilled.columns) == ["网格编码 grid", "岗位 role", "岗位名称 label", "需 needed", "已配 filled",
                                      "原因 why"]
    # 60 people of capacity 3 fill 180 posts; the rest are listed, each because everyone is at capacity
    posts = int(done.stdout.split("posts ")[1].split(",")[0])
    assert (unfilled["需 needed"] - unfilled["已配 filled"]).sum() == posts - 180
    assert unfilled["原因 why"].str.contains("均已满额").all()
    assert unfilled["网格编码 grid"].str.startswith(DISTRICT).all()
    assert roles_of(demo, DISTRICT) == before


def test_staff_a_district_writes_the_plan_and_exits_0_when_every_post_is_filled(demo_copy, tmp_path):
    roster = write_roster(demo_copy, tmp_path / "roster.csv", 900)
    done = run(demo_copy, "staff_district", "--district", DISTRICT, "--people", roster, "-o",
               tmp_path / "unfilled.xlsx")
    assert done.returncode == 0, done.stderr + done.stdout
    assert pd.read_excel(tmp_path / "unfilled.xlsx").empty
    people = {r[1] for r in roles_of(demo_copy, DISTRICT)}
    assert people and all(p.startswith("1390000") for p in people)


def test_staff_refuses_a_bad_roster_and_writes_nothing(demo, tmp_path):
    roster = write_roster(demo, tmp_path / "roster.csv", 5, kinds="")
    before = roles_of(demo, DISTRICT)
    done = run(demo, "staff_district", "--district", DISTRICT, "--people", roster, "-o", tmp_path / "u.xlsx")
    assert refused(done) and "kinds is missing" in done.stderr
    assert not (tmp_path / "u.xlsx").exists() and roles_of(demo, DISTRICT) == before
    assert refused(run(demo, "staff_district", "--district", "450299", "--people", roster, "-o", tmp_path / "u.xlsx"))


# --- import_folder ------------------------------------------------------------------------------

@pytest.fixture
def gis_folder(demo, tmp_path):
    """The demo's district 450203 as an analyst's folder: GPKG, zipped Shapefile, CSV, xlsx, a bad GeoJSON."""
    folder = tmp_path / "incoming"
    for layer, fmt, name, region in (("regions", "gpkg", "regions_450203.gpkg", DISTRICT),
                                     ("grids", "shp", "grids_450203.zip", DISTRICT),
                                     ("grids", "csv", "grids_again.csv", STREET),
                                     ("people", "xlsx", "people.xlsx", DISTRICT)):
        assert run(demo, "sanigrid", "export", layer, "--format", fmt, "-o", folder / name,
                   "--district", region).returncode == 0
    bowtie = {"type": "Feature", "properties": {"code": f"{STREET}001999", "name": "自交"},
              "geometry": {"type": "Polygon", "coordinates": [[[109.4, 24.3], [109.41, 24.31], [109.41, 24.3],
                                                               [109.4, 24.31], [109.4, 24.3]]]}}
    (folder / "grids_bowtie.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [bowtie]}))
    (folder / "readme.txt").write_text("not a layer")
    return folder


def test_import_a_folder_lands_each_file_alone_and_reports_the_refused_one(empty, gis_folder, tmp_path):
    done = run(empty, "import_folder", gis_folder, "--summary", tmp_path / "summary.csv")
    assert done.returncode == 1, done.stderr + done.stdout
    summary = pd.read_csv(tmp_path / "summary.csv", encoding="utf-8-sig").set_index("文件 file")
    assert list(summary.index) == ["regions_450203.gpkg", "grids_450203.zip", "grids_again.csv",
                                   "grids_bowtie.geojson", "people.xlsx"]  # regions, then grids, then people
    assert summary.loc["regions_450203.gpkg", "新增 created"] == 114
    assert summary.loc["grids_450203.zip", "新增 created"] == 161
    assert summary.loc["grids_again.csv", "未变 unchanged"] == 12  # the same grids again: nothing changes
    assert summary.loc["grids_bowtie.geojson", "结果 result"] == "refused"
    assert "Self-intersection" in summary.loc["grids_bowtie.geojson", "原因 reason"]
    assert summary.loc["people.xlsx", "结果 result"] == "landed"
    assert "grids_bowtie.geojson  grids       refused" in done.stdout
    codes = grid_codes(empty, DISTRICT)
    assert len(codes) == 161 and f"{STREET}001999" not in codes
    assert len(roles_of(empty, DISTRICT)) > 0


def test_import_a_folder_of_good_files_exits_0_and_layer_overrides_the_name(empty, gis_folder, tmp_path):
    (gis_folder / "grids_bowtie.geojson").unlink()
    assert run(empty, "import_folder", gis_folder).returncode == 0
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(gis_folder / "grids_again.csv", good / "street_005.csv")
    done = run(empty, "import_folder", good, "--layer", "grids")
    assert done.returncode == 0 and "street_005.csv" in done.stdout and "1 of 1 files landed" in done.stdout


def test_import_folder_refuses_a_bad_folder(empty, tmp_path):
    assert refused(run(empty, "import_folder", tmp_path / "missing"))
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "notes.csv").write_text("a,b\n")
    assert refused(run(empty, "import_folder", tmp_path / "nothing"))


# --- export_district ----------------------------------------------------------------------------

def qgis_layer(tmp_path, gpkg, layer) -> dict:
    """What Debian's QGIS sees opening one layer of a GeoPackage (tests/qgis_gpkg.py)."""
    home = tmp_path / "qgis-home"
    home.mkdir(mode=0o700, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(home), HOME=str(home))
    done = subprocess.run([QGIS_PYTHON, str(REPO / "tests" / "qgis_gpkg.py"), str(gpkg), layer, str(home / "p")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_export_a_district_as_one_geopackage_that_qgis_opens_styled_as_the_viewer(demo, tmp_path):
    from layers.styles import STATUS_COLORS
    gpkg = tmp_path / "450203.gpkg"
    done = run(demo, "export_district", "--district", DISTRICT, "-o", gpkg)
    assert done.returncode == 0, done.stderr
    listing = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(gpkg)], capture_output=True, text=True)
    assert listing.returncode == 0 and "Warning" not in listing.stderr, listing.stderr
    counts = {block.split("\n")[0].strip(): int(block.split("Feature Count: ")[1].split("\n")[0])
              for block in listing.stdout.split("Layer name: ")[1:]}
    assert counts["regions"] == 114 and counts["grids"] == 161 and counts["layer_styles"] == 2
    assert counts["people"] > 0 and counts["roles"] >= counts["people"] > 0
    grids = qgis_layer(tmp_path, gpkg, "grids")
    assert grids["valid"] and grids["features"] == 161 and grids["renderer"] == "categorizedSymbol"
    assert grids["attribute"] == "status"
    assert {v: c["colour"] for v, c in grids["categories"].items()} == STATUS_COLORS
    assert grids["categories"]["unstaffed"]["label"].startswith("无人")
    regions = qgis_layer(tmp_path, gpkg, "regions")
    assert regions["renderer"] == "categorizedSymbol" and regions["attribute"] == "level"
    status = gpd.read_file(gpkg, layer="grids")["status"]
    assert set(status) <= set(STATUS_COLORS) and (status == "complete").sum() > 100


def test_export_district_refuses_bad_arguments(demo, tmp_path):
    assert refused(run(demo, "export_district", "--district", "450299", "-o", tmp_path / "x.gpkg"))
    assert refused(run(demo, "export_district", "--district", "450203008", "-o", tmp_path / "x.gpkg"))
    assert refused(run(demo, "export_district", "--district", DISTRICT, "-o", tmp_path / "x.geojson"))
    assert not list(tmp_path.glob("x.*"))


# --- prepare_osm --------------------------------------------------------------------------------

OSM = {  # source file, bbox from its SOURCE.md, district/street/community codes
    "haidian": ("osm-beijing-haidian/beijing_haidian_cau.osm", (116.34403, 39.99767, 116.35974, 40.00888),
                ("110108", "110108015", "110108015001")),
    "longgang": ("osm-shenzhen-longgang/shenzhen_longgang_multipolygons.geojson",
                 (114.1862, 22.6732, 114.2318, 22.7019), ("440307", "440307001", "440307001001")),
}


@pytest.mark.parametrize("extract", sorted(OSM))
def test_prepared_osm_inputs_are_what_assign_grids_reads(empty, shared_data, tmp_path, extract):
    source, bbox, codes = OSM[extract]
    buildings, roads = tmp_path / "buildings.geojson", tmp_path / "roads.gpkg"
    done = run(empty, "prepare_osm", shared_data / source, "--buildings", buildings, "--roads", roads)
    assert done.returncode == 0, done.stderr
    b, r = gpd.read_file(buildings), gpd.read_file(roads)
    assert (b.geom_type.isin(["Polygon", "MultiPolygon"])).all() and b["households"].sum() > 1000
    assert (b.loc[b["building"].isin(["school", "university"]), "households"] == 0).all()
    assert r.geom_type.isin(["LineString", "MultiLineString"]).all()
    assert not r["highway"].isin(["footway", "service", "path", "cycleway", "steps"]).any()
    regions = tmp_path / "regions.geojson"
    regions.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": c, "name": f"区划{c}"}, "geometry": mapping(box(*bbox))}
        for c in codes]}, ensure_ascii=False), encoding="utf-8")
    assert run(empty, "sanigrid", "import", "regions", regions).returncode == 0
    out = tmp_path / "proposal.geojson"
    drawn = run(empty, "sanigrid", "assign-grids", "--community", codes[2], "--buildings", buildings, "--roads", roads,
                "--dry-run", "-o", out, "--format", "json")
    assert drawn.returncode == 0, drawn.stderr
    report = json.loads(drawn.stdout)
    assert not any("households estimated" in n for n in report["notes"])  # the prepared counts are used
    inside = b[b.geometry.intersects(box(*bbox))]["households"].sum()  # a footprint straddling the edge counts
    assert report["report"]["households"] == inside and report["report"]["grids"] >= 5
    assert shapely.union_all(gpd.read_file(out).geometry.array).area == pytest.approx(box(*bbox).area, rel=1e-4)


def test_prepare_osm_refuses_what_is_not_an_extract(empty, shared_data, tmp_path):
    assert refused(run(empty, "prepare_osm", shared_data / "osm-beijing-haidian" / "SOURCE.md",
                       "--buildings", tmp_path / "b.geojson", "--roads", tmp_path / "r.geojson"))
    assert refused(run(empty, "prepare_osm", shared_data / "osm-beijing-haidian" / "beijing_haidian_cau.osm",
                       "--buildings", tmp_path / "b.xlsx", "--roads", tmp_path / "r.geojson"))
    assert not list(tmp_path.glob("[br].*"))
