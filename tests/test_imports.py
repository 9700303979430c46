"""Imports land whole or not at all; every refusal names the culprit."""
import orjson
import pytest
import shapely
from shapely.geometry import box

from conftest import COMMUNITY, X0, Y0, feature, feature_collection, tiny_grids
from gis_app.errors import ValidationFailed
from gis_app.imports import import_file
from gis_app.storage import repository as repo
from gis_app.storage import session_scope


def grids_in(engine):
    with session_scope(engine) as s:
        return repo.load_grids(s, retired=True)


def write(tmp_path, features, name="in.geojson"):
    path = tmp_path / name
    path.write_bytes(feature_collection(features))
    return path


def refused(app, path, match, **kw):
    engine = app.extensions["sanigrid.engine"]
    before = grids_in(engine).to_wkb()
    with pytest.raises(ValidationFailed) as info:
        import_file(engine, app.config, "grids", path, **kw)
    assert any(match in p.reason for p in info.value.problems) or match in info.value.detail, str(info.value)
    assert grids_in(engine).to_wkb().equals(before)
    return info.value


def test_import_lands_grids_with_metric_areas(loaded, engine):
    grids = grids_in(engine)
    assert list(grids["code"]) == [f"{COMMUNITY}00{i}" for i in range(1, 5)]
    assert grids["area_m2"].tolist() == pytest.approx([30_000.0] * 4, rel=5e-4)
    assert set(grids["version"]) == {1}


def test_dry_run_writes_nothing(app, engine, files):
    import_file(engine, app.config, "regions", files["regions"])
    report = import_file(engine, app.config, "grids", files["grids"], dry_run=True)
    assert len(report.created) == 4 and grids_in(engine).empty


def test_reimport_is_unchanged_and_update_bumps_version(loaded, engine, tmp_path):
    again = import_file(engine, loaded.config, "grids", write(tmp_path, tiny_grids()))
    assert len(again.unchanged) == 4
    changed = import_file(engine, loaded.config, "grids", write(tmp_path, tiny_grids((500, 99, 100, 101))))
    assert changed.updated == [f"{COMMUNITY}001"]
    with session_scope(engine) as s:
        history = repo.grid_history(s, f"{COMMUNITY}001")
    assert [(h["version"], h["action"]) for h in history] == [(1, "create"), (2, "update")]
    assert history[0]["record"]["households"] == 120 and history[1]["record"]["households"] == 500


def test_grid_outside_its_community_is_refused(loaded, tmp_path):
    bad = feature({"code": f"{COMMUNITY}005", "name": "越界", "households": 1}, box(X0 - 50, Y0, X0 + 10, Y0 + 10))
    refused(loaded, write(tmp_path, [bad]), f"outside its community {COMMUNITY}")


def test_overlap_names_both_grids_and_the_area(app, engine, files, tmp_path):
    import_file(engine, app.config, "regions", files["regions"])
    features = tiny_grids()
    features[1] = feature({"code": f"{COMMUNITY}002", "name": "重叠", "households": 1},
                          box(X0 + 180, Y0 + 150, X0 + 400, Y0 + 300))  # 20 m × 150 m into grid 001
    err = refused(app, write(tmp_path, features), "overlaps grid")
    reasons = [p.reason for p in err.problems]
    assert any(f"{COMMUNITY}002" in r or f"{COMMUNITY}001" in r for r in reasons)
    area = float(reasons[0].split(" by ")[1].split(" m²")[0].replace(",", ""))
    assert area == pytest.approx(3000, rel=5e-3)


def test_touching_grids_are_not_an_overlap(loaded, engine):
    assert len(grids_in(engine)) == 4  # the four grids of the tiny city share edges


def test_all_or_nothing_and_every_problem_listed(app, engine, files, tmp_path):
    import_file(engine, app.config, "regions", files["regions"])
    features = tiny_grids()
    features[2]["properties"]["households"] = -3
    features[3]["properties"]["code"] = "450203008002004"  # another community's prefix
    err = refused(app, write(tmp_path, features), "households")
    assert {p.index for p in err.problems} == {2, 3}


def test_duplicate_codes_in_one_file(app, engine, files, tmp_path):
    import_file(engine, app.config, "regions", files["regions"])
    features = tiny_grids()
    features[1]["properties"]["code"] = features[0]["properties"]["code"]
    refused(app, write(tmp_path, features), "duplicate code")


def test_unknown_community_is_refused(app, tmp_path):
    refused(app, write(tmp_path, tiny_grids()), "not in the register")


def test_codes_are_assigned_west_east_north_south_and_never_reused(app, engine, files, tmp_path):
    import_file(engine, app.config, "regions", files["regions"])
    features = tiny_grids()
    for f in features:
        del f["properties"]["code"]
        f["properties"]["community"] = COMMUNITY
    features.reverse()
    import_file(engine, app.config, "grids", write(tmp_path, features))
    grids = grids_in(engine).set_index("code")
    assert grids.loc[f"{COMMUNITY}001", "households"] == 120  # north-west cell
    assert grids.loc[f"{COMMUNITY}004", "households"] == 101  # south-east cell
    with session_scope(engine, write=True) as s:
        assert repo.retire_grid(s, f"{COMMUNITY}004", "test", repo.now())
    new = feature({"community": COMMUNITY, "name": "新网格", "households": 5}, box(X0 + 200, Y0, X0 + 400, Y0 + 150))
    report = import_file(engine, app.config, "grids", write(tmp_path, [new]))
    assert report.created == [f"{COMMUNITY}005"]


def test_retired_code_cannot_come_back(loaded, engine, tmp_path):
    with session_scope(engine, write=True) as s:
        repo.retire_grid(s, f"{COMMUNITY}004", "test", repo.now())
    refused(loaded, write(tmp_path, tiny_grids()[3:]), "retired")
    with session_scope(engine) as s:
        assert [h["action"] for h in repo.grid_history(s, f"{COMMUNITY}004")] == ["create", "retire"]


def test_projected_coordinates_without_crs_are_refused_with_a_hint(app, engine, files, tmp_path):
    import_file(engine, app.config, "regions", files["regions"])
    raw = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "code": f"{COMMUNITY}001", "name": "投影坐标", "households": 1},
        "geometry": shapely.geometry.mapping(box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20))}]}
    path = tmp_path / "projected.geojson"
    path.write_bytes(orjson.dumps(raw))
    refused(app, path, "--crs")
    report = import_file(engine, app.config, "grids", path, crs="EPSG:4545")
    assert report.created == [f"{COMMUNITY}001"]


def test_gcj02_input_is_converted_only_when_said(app, engine, files, tmp_path):
    from grids.crs import to_wgs84_geometries, wgs84_to_gcj02
    import_file(engine, app.config, "regions", files["regions"])
    features = tiny_grids()
    for f in features:
        g = shapely.geometry.shape(f["geometry"])
        g = shapely.transform(g, lambda xy: __import__("numpy").column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
        f["geometry"] = shapely.geometry.mapping(g)
    path = write(tmp_path, features, "gcj.geojson")
    refused(app, path, "outside its community")  # read as WGS84 it lies ~500 m off
    import_file(engine, app.config, "grids", path, crs="gcj02")
    assert grids_in(engine)["area_m2"].tolist() == pytest.approx([30_000.0] * 4, rel=1e-3)
    assert to_wgs84_geometries is not None


def test_three_d_coordinates_are_accepted_with_a_note(app, engine, files, tmp_path):
    import_file(engine, app.config, "regions", files["regions"])
    features = tiny_grids()
    ring = features[0]["geometry"]["coordinates"][0]
    features[0]["geometry"] = {"type": "Polygon", "coordinates": [[[x, y, 88.0] for x, y in ring]]}
    report = import_file(engine, app.config, "grids", write(tmp_path, features))
    assert len(report.created) == 4
    assert any("Z" in n or "3-D" in n or "z" in n for n in report.notes)
    assert not shapely.has_z(grids_in(engine).geometry).any()


def test_failed_attempt_is_logged_not_landed(app, engine, tmp_path):
    from sqlalchemy import select
    from gis_app.storage.schema import ImportLog
    with pytest.raises(ValidationFailed):
        import_file(engine, app.config, "grids", write(tmp_path, tiny_grids()))
    with session_scope(engine) as s:
        log = s.scalars(select(ImportLog)).all()
    assert [(r.layer, r.landed) for r in log] == [("grids", False)]


def test_a_file_brings_its_own_crs(app, engine, files, tmp_path):
    """A GeoPackage in EPSG:4545 and a GeoJSON with a legacy crs member land without --crs."""
    import geopandas as gpd
    import_file(engine, app.config, "regions", files["regions"])
    frame = gpd.GeoDataFrame.from_features(tiny_grids(), crs="EPSG:4326").to_crs("EPSG:4545")
    frame.iloc[:2].to_file(tmp_path / "metric.gpkg", driver="GPKG")
    assert len(import_file(engine, app.config, "grids", tmp_path / "metric.gpkg").created) == 2
    legacy = orjson.loads(frame.iloc[2:].to_json())
    legacy["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}}
    (tmp_path / "legacy.geojson").write_bytes(orjson.dumps(legacy))
    assert len(import_file(engine, app.config, "grids", tmp_path / "legacy.geojson").created) == 2
    assert grids_in(engine)["area_m2"].tolist() == pytest.approx([30_000.0] * 4, rel=5e-4)
