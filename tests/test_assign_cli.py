"""sanigrid assign-grids / assign-staff against a real register: writes, history, refusals, real OSM data."""
import csv
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from conftest import COMMUNITY, X0, Y0, feature, feature_collection, tiny_grids, to_lonlat
from gis_app.cli import cli
from gis_app.storage import repository as repo
from gis_app.storage import session_scope
from grids.crs import metric_crs_for, to_metric
from grids.gaps import gap_report


@pytest.fixture
def register(runner, files):
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert runner.invoke(cli, ["import", "regions", str(files["regions"])]).exit_code == 0
    assert runner.invoke(cli, ["import", "grids", str(files["grids"])]).exit_code == 0
    return files


@pytest.fixture
def buildings(tmp_path):
    """Twelve 20 m buildings of 100 households on a 100 m lattice filling the 400 m × 300 m community."""
    path = tmp_path / "buildings.geojson"
    path.write_bytes(feature_collection([
        feature({"households": 100, "name": f"{i}-{j}号楼"},
                box(X0 + 40 + 100 * i, Y0 + 40 + 100 * j, X0 + 60 + 100 * i, Y0 + 60 + 100 * j))
        for i in range(4) for j in range(3)]))
    return path


def active_grids(app):
    with session_scope(app.extensions["sanigrid.engine"]) as s:
        return repo.load_grids(s, under=COMMUNITY)


def engine_of(runner):
    from gis_app import create_app
    return create_app().extensions["sanigrid.engine"]


def test_dry_run_writes_the_proposal_and_changes_nothing(runner, register, buildings, tmp_path):
    out = tmp_path / "proposal.geojson"
    result = runner.invoke(cli, ["assign-grids", "--community", COMMUNITY, "--buildings", str(buildings),
                                 "--min-households", "300", "--max-households", "400", "--dry-run", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "dry run: nothing written" in result.output
    proposal = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert len(proposal) in (3, 4)
    assert all(300 <= f["properties"]["households"] <= 400 for f in proposal)
    assert all(f["properties"]["code"].startswith(COMMUNITY) and len(f["properties"]["code"]) == 15
               for f in proposal)
    with session_scope(engine_of(runner)) as s:
        grids = repo.load_grids(s, under=COMMUNITY)
    assert sorted(grids["code"]) == [f"{COMMUNITY}00{i}" for i in range(1, 5)]
    assert grids["households"].tolist() == [120, 99, 100, 101]


def test_write_keeps_history_retires_replaced_grids_never_reuses_codes_and_tiles_exactly(runner, register,
                                                                                          buildings):
    args = ["assign-grids", "--community", COMMUNITY, "--buildings", str(buildings), "--min-households", "300",
            "--max-households", "400"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    engine = engine_of(runner)
    with session_scope(engine) as s:
        active = repo.load_grids(s, under=COMMUNITY)
        every = repo.load_grids(s, under=COMMUNITY, retired=True)
        retired = every[every["end_date"].notna()]
        histories = {c: repo.grid_history(s, c) for c in retired["code"]}
    assert (active["households"].between(300, 400)).all() and active["households"].sum() == 1200
    assert not set(active["code"]) & set(retired["code"])
    assert all(h[-1]["action"] == "retire" for h in histories.values())
    fresh = sorted(set(active["code"]) - {f"{COMMUNITY}00{i}" for i in range(1, 5)})
    assert all(int(c[12:]) > 4 for c in fresh), "new codes come after every code ever used"
    gaps = json.loads(runner.invoke(cli, ["gaps", "--community", COMMUNITY, "--format", "json"]).output)
    spatial = [f for f in gaps["findings"] if f["kind"] in ("hole", "sliver", "overlap", "outside")]
    assert spatial == []
    again = runner.invoke(cli, args)
    assert again.exit_code == 0 and f"unchanged {len(active)}" in again.output  # a re-run is a no-op


def test_without_buildings_todays_grids_households_are_redistributed(runner, register, tmp_path):
    out = tmp_path / "p.geojson"
    result = runner.invoke(cli, ["assign-grids", "--community", COMMUNITY, "--min-households", "150",
                                 "--max-households", "250", "--dry-run", "-o", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["report"]
    assert report["households"] == 120 + 99 + 100 + 101 and report["grids"] == 2
    assert report["within_bounds"] == 2


def test_bad_input_is_refused_with_a_message_and_changes_nothing(runner, register, tmp_path):
    result = runner.invoke(cli, ["assign-grids", "--community", "450203008099"])
    assert result.exit_code == 1 and "error: community 450203008099 is not in the register" in result.output
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(feature_collection([feature({"households": "many"}, box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20))]))
    result = runner.invoke(cli, ["assign-grids", "--community", COMMUNITY, "--buildings", str(bad)])
    assert result.exit_code == 1 and "households must be a whole number" in result.output
    result = runner.invoke(cli, ["assign-grids", "--community", COMMUNITY, "--min-households", "500",
                                 "--max-households", "300"])
    assert result.exit_code == 2 and "must not exceed" in result.output
    with session_scope(engine_of(runner)) as s:
        assert sorted(repo.load_grids(s, under=COMMUNITY)["households"]) == [99, 100, 101, 120]


OSM_EXTRACTS = {  # folder, file stem, bbox from its SOURCE.md, district/street/community codes
    "haidian": ("osm-beijing-haidian", "beijing_haidian_cau", (116.34403, 39.99767, 116.35974, 40.00888),
                ("110108", "110108015", "110108015001")),
    "longgang": ("osm-shenzhen-longgang", "shenzhen_longgang", (114.1862, 22.6732, 114.2318, 22.7019),
                 ("440307", "440307001", "440307001001")),
}


@pytest.mark.parametrize("extract", sorted(OSM_EXTRACTS))
def test_a_real_osm_extract_gives_a_sane_tiling(runner, shared_data, tmp_path, extract):
    """Real OSM buildings without household counts (estimated from footprints) and real roads."""
    folder, stem, bbox, codes = OSM_EXTRACTS[extract]
    folder = shared_data / folder
    outline = box(*bbox)
    regions = tmp_path / "regions.geojson"
    regions.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": c, "name": f"区划{c}"}, "geometry": shapely.geometry.mapping(outline)}
        for c in codes]}, ensure_ascii=False), encoding="utf-8")
    runner.invoke(cli, ["init"])
    assert runner.invoke(cli, ["import", "regions", str(regions)]).exit_code == 0
    out = tmp_path / "proposal.geojson"
    result = runner.invoke(cli, ["assign-grids", "--community", codes[2], "--buildings",
                                 str(folder / f"{stem}_multipolygons.geojson"), "--roads",
                                 str(folder / f"{stem}_lines.geojson"), "--dry-run", "-o", str(out),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert any("households estimated" in n for n in data["notes"])
    report = data["report"]
    assert report["grids"] >= 5 and report["within_bounds"] >= 0.7 * report["grids"]
    assert len(report["exceptions"]) == report["grids"] - report["within_bounds"]
    frame = gpd.read_file(out)
    metric = metric_crs_for([outline])
    geoms = to_metric(np.asarray(frame.geometry.array, dtype=object), metric)
    outline_m = to_metric([outline], metric)[0]
    # GeoJSON's 7 decimals (~1 cm) move vertices: areas agree to 1e-5, and the gap analysis finds nothing
    assert shapely.area(geoms).sum() == pytest.approx(outline_m.area, rel=1e-5)
    found = gap_report(gpd.GeoDataFrame({"code": [codes[2]], "name": ["c"]}, geometry=[outline_m], crs=metric),
                       gpd.GeoDataFrame({"code": frame["code"], "region": codes[2], "households": 0},
                                        geometry=list(geoms), crs=metric),
                       kinds=("holes", "overlaps", "outside")).findings
    assert found.empty, found[["kind", "area_m2"]]


# --- assign-staff ---------------------------------------------------------------------------------

def write_roster(path, people):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["phone", "name", "kinds", "lon", "lat", "capacity"])
        writer.writeheader()
        writer.writerows(people)
    return path


def roster(n, kinds="网格长;保洁员;巡查员;管理责任人;监督员;志愿者"):
    rows = []
    for i in range(n):
        home = to_lonlat(Point(X0 + 20 * i, Y0 + 150))
        rows.append({"phone": f"1380000{i:04d}", "name": f"员工{i}", "kinds": kinds, "lon": round(home.x, 7),
                     "lat": round(home.y, 7), "capacity": 2})
    return rows


def roles_now(runner):
    with session_scope(engine_of(runner)) as s:
        roles = repo.load_roles(s, under=COMMUNITY)
    posts = {(g, p, r) for g, p, r in zip(roles["grid"], roles["person"], roles["role"])}
    return posts | {(g, b, "cleaner") for g, b, r in zip(roles["grid"], roles["backup"], roles["role"]) if b}


def test_assign_staff_fills_every_post_and_a_rerun_moves_only_what_changed(runner, register, tmp_path, files):
    path = write_roster(tmp_path / "roster.csv", roster(40))
    dry = runner.invoke(cli, ["assign-staff", "--community", COMMUNITY, "--people", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "no shortfall" in dry.output and "dry run" in dry.output, dry.output
    assert roles_now(runner) == set()
    result = runner.invoke(cli, ["assign-staff", "--community", COMMUNITY, "--people", str(path)])
    assert result.exit_code == 0, result.output
    table = json.loads(runner.invoke(cli, ["staffing", "--community", COMMUNITY, "--format", "json"]).output)
    assert {g["status"] for g in table["grids"]} == {"complete"}
    before = roles_now(runner)
    grown = tmp_path / "grown.geojson"
    grown.write_bytes(feature_collection(tiny_grids(households=(320, 99, 100, 101))))
    assert runner.invoke(cli, ["import", "grids", str(grown)]).exit_code == 0
    again = runner.invoke(cli, ["assign-staff", "--community", COMMUNITY, "--people", str(path)])
    assert again.exit_code == 0, again.output
    after = roles_now(runner)
    assert before <= after and len(after - before) == 2 * (4 - 2)  # grid 001: 2 more A posts and their B


def test_a_bad_roster_is_refused_and_writes_nothing(runner, register, tmp_path):
    rows = roster(3)
    rows[1]["phone"] = "abc"
    rows[2]["kinds"] = "厨师"
    path = write_roster(tmp_path / "bad.csv", rows)
    result = runner.invoke(cli, ["assign-staff", "--community", COMMUNITY, "--people", str(path)])
    assert result.exit_code == 1
    assert "not a phone number" in result.output and "unknown role" in result.output
    assert roles_now(runner) == set()
    result = runner.invoke(cli, ["assign-staff", "--district", "450203", "--street", "450203008", "--people",
                                 str(path)])
    assert result.exit_code == 2
