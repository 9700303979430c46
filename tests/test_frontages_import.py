"""Frontages (门前三包), places, roads and buildings in and out: every format, shop points to fronts, refusals.

The tiny city's four grids (200 m × 150 m, EPSG:4545) with one main road (阳和大道) running west→east
10 m north of the boundary between the northern and southern grids.
"""
import orjson
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from conftest import COMMUNITY, METRIC, SHARED_DATA, X0, Y0, feature, feature_collection, to_lonlat
from gis_app.cli import cli
from gis_app.errors import ValidationFailed
from gis_app.exports import export_layer
from gis_app.imports import import_file
from gis_app.storage import session_scope
from gis_app.storage.frontages import load_buildings, load_frontages, load_places, load_roads
from grids.crs import to_metric
from grids.frontage_records import frontage_record, road_record

from frontage_fixtures import ROAD_Y, gate_zone, road_file, shop_front, streets, toilet, write  # noqa: F401

CORPUS = sorted(p for p in (SHARED_DATA / "geojson-hostile-corpus").rglob("*.geojson"))


def counts(engine):
    with session_scope(engine) as s:
        return tuple(len(f(s)) for f in (load_frontages, load_places, load_roads, load_buildings))


def frontages(engine, **kw):
    with session_scope(engine) as s:
        return load_frontages(s, **kw)


def drop_the_zone(engine):
    """Leave the street front alone: a Shapefile holds lines or polygons, not both."""
    from gis_app.storage.frontage_writes import delete_row
    with session_scope(engine, write=True) as s:
        delete_row(s, "frontages", "F2")


def test_frontages_land_with_their_derived_fields(streets, engine):
    f = frontages(engine).set_index("ref")
    assert list(f.index) == ["F1", "F2"]
    assert f.at["F1", "unit_kind"] == "individual" and f.at["F1", "items"] == ["sanitation", "order"]
    assert f.at["F1", "length_m"] == pytest.approx(120, abs=0.01)
    assert f.at["F1", "grids"] == [f"{COMMUNITY}001", f"{COMMUNITY}002"]   # it crosses the grids' boundary
    assert f.at["F1", "road"] == "阳和大道" and f.at["F2", "road"] == "阳和大道"   # filled from the nearest road
    assert f.at["F2", "liable"] == "owner" and f.at["F2", "length_m"] == pytest.approx(40, abs=0.01)
    assert f.at["F1", "remark"] == "=老字号"   # other properties are kept as attributes


def test_a_signed_commitment_past_its_expiry_reads_as_expired(streets, engine):
    from datetime import date
    assert frontages(engine, today=date(2030, 6, 30)).set_index("ref").at["F1", "effective_status"] == "signed"
    late = frontages(engine, today=date(2030, 7, 1)).set_index("ref")
    assert late.at["F1", "status"] == "signed" and late.at["F1", "effective_status"] == "expired"


def test_filters_by_grid_district_and_bbox(streets, engine):
    assert list(frontages(engine, grid=f"{COMMUNITY}002")["ref"]) == ["F1"]
    assert list(frontages(engine, grid=f"{COMMUNITY}003")["ref"]) == ["F2"]
    assert list(frontages(engine, district="450203")["ref"]) == ["F1", "F2"]
    assert list(frontages(engine, district="450204")["ref"]) == []
    corner = to_lonlat(box(X0 + 15, ROAD_Y - 25, X0 + 65, ROAD_Y)).bounds
    assert list(frontages(engine, bbox=corner)["ref"]) == ["F2"]
    with session_scope(engine) as s:
        places = load_places(s)
        assert list(load_places(s, grid=f"{COMMUNITY}003")["ref"]) == ["P1"]
        assert list(load_places(s, grid=f"{COMMUNITY}001")["ref"]) == []
    assert places.at[0, "grid"] == f"{COMMUNITY}003" and places.at[0, "kind"] == "public_toilet"
    assert places.at[0, "health_certs"] == 3 and places.at[0, "licence_expires"].isoformat() == "2026-05-01"


def test_a_place_in_no_grid_lies_under_no_region(streets, engine, app, tmp_path):
    # an L-shaped market around the grids' north-east corner, 10 m clear of them: its box meets theirs
    market = Polygon([(X0 + 300, Y0 + 310), (X0 + 300, Y0 + 400), (X0 + 500, Y0 + 400), (X0 + 500, Y0 + 100),
                      (X0 + 410, Y0 + 100), (X0 + 410, Y0 + 310)])
    outside = feature({"ref": "P9", "kind": "农贸市场", "name": "城外市场"}, market)
    import_file(engine, app.config, "places", write(tmp_path, "outside.geojson", [outside]))
    with session_scope(engine) as s:
        assert load_places(s).set_index("ref")["grid"].isna()["P9"]
        assert list(load_places(s, district="450203")["ref"]) == ["P1"]


def test_reimport_is_unchanged_and_a_change_bumps_the_version(streets, engine, tmp_path):
    again = import_file(engine, streets.config, "frontages", write(tmp_path, "a.geojson", [shop_front(), gate_zone()]))
    assert again.unchanged == ["F1", "F2"] and not again.created and not again.updated
    changed = import_file(engine, streets.config, "frontages",
                          write(tmp_path, "b.geojson", [shop_front(status="refused")]))
    assert changed.updated == ["F1"]
    f = frontages(engine).set_index("ref")
    assert f.at["F1", "status"] == "refused" and f.at["F1", "version"] == 2 and f.at["F2", "version"] == 1


def test_a_frontage_without_ref_gets_a_stable_one(streets, engine, tmp_path):
    unnamed = shop_front(ref=None, unit_name="无名小店")
    first = import_file(engine, streets.config, "frontages", write(tmp_path, "n.geojson", [unnamed]))
    again = import_file(engine, streets.config, "frontages", write(tmp_path, "n.geojson", [unnamed]))
    assert len(first.created) == 1 and first.created[0].startswith("F") and len(first.created[0]) == 13
    assert again.unchanged == first.created


@pytest.mark.parametrize("fmt, suffix", [("geojson", "geojson"), ("gpkg", "gpkg"), ("shp", "shp"), ("csv", "csv"),
                                         ("xlsx", "xlsx")])
def test_every_format_round_trips_with_chinese_intact(streets, engine, tmp_path, fmt, suffix):
    before = frontages(engine).drop(columns=["updated_at"])
    layers = ("frontages",) if fmt == "shp" else ("frontages", "places")   # a Shapefile holds lines or polygons
    if fmt == "shp":
        drop_the_zone(engine)
        before = frontages(engine).drop(columns=["updated_at"])
    for layer in layers:
        out = tmp_path / f"{layer}.{suffix}"
        assert export_layer(engine, layer, fmt, out) == 1 + (layer == "frontages" and fmt != "shp")
        report = import_file(engine, streets.config, layer, out)
        assert report.unchanged and not report.updated and not report.created, report.as_dict()
    after = frontages(engine).drop(columns=["updated_at"])
    assert after["unit_name"].tolist() == before["unit_name"].tolist() and "柳州螺蛳粉店" in after["unit_name"].tolist()
    assert after.to_wkb().equals(before.to_wkb())


def test_a_gbk_shapefile_round_trips(streets, engine, tmp_path):
    drop_the_zone(engine)
    out = tmp_path / "gbk.shp"
    export_layer(engine, "frontages", "shp", out, encoding="gbk")
    assert out.with_suffix(".cpg").read_text() == "GBK"
    assert "柳州螺蛳粉店".encode("gbk") in out.with_suffix(".dbf").read_bytes()
    assert import_file(engine, streets.config, "frontages", out).unchanged == ["F1"]


def test_a_csv_of_shop_points_becomes_fronts_along_the_nearest_road(streets, engine, tmp_path):
    lon, lat = to_lonlat(Point(X0 + 300, ROAD_Y - 12)).coords[0]
    path = tmp_path / "shops.csv"
    path.write_text(f"ref,unit_name,unit_kind,lon,lat,front_m,status\nS1,阳和小卖部,个体商户,{lon:.7f},{lat:.7f},8,未走访\n",
                    encoding="utf-8")
    report = import_file(engine, streets.config, "frontages", path)
    assert report.created == ["S1"]
    shop = frontages(engine).set_index("ref").loc["S1"]
    line = to_metric([shop.geometry], METRIC)[0]
    assert shop.geometry.geom_type == "LineString" and shop.length_m == pytest.approx(8, abs=0.01)
    (x0, y0), (x1, y1) = shapely.get_coordinates(line)
    assert y0 == pytest.approx(ROAD_Y - 12, abs=0.05) and y1 == pytest.approx(ROAD_Y - 12, abs=0.05)  # parallel, 12 m off
    assert (x0 + x1) / 2 == pytest.approx(X0 + 300, abs=0.05)   # centred on the point
    assert shop.road == "阳和大道" and shop.status == "not_visited" and shop.grids == [f"{COMMUNITY}004"]


def test_shop_points_are_refused_without_a_road_layer_or_far_from_every_road(loaded, engine, tmp_path):
    def shops(y):
        lon, lat = to_lonlat(Point(X0 + 300, y)).coords[0]
        path = tmp_path / "shops.csv"
        path.write_text(f"unit_name,unit_kind,lon,lat,front_m\n小卖部,individual,{lon},{lat},8\n", encoding="utf-8")
        return path
    before = counts(engine)
    with pytest.raises(ValidationFailed, match="need the road layer"):
        import_file(engine, loaded.config, "frontages", shops(ROAD_Y - 12))
    import_file(engine, loaded.config, "roads", road_file(tmp_path))
    with pytest.raises(ValidationFailed) as info:
        import_file(engine, loaded.config, "frontages", shops(ROAD_Y - 100))
    assert "lies 100 m from the nearest road (阳和大道)" in str(info.value) and "at most 40 m" in str(info.value)
    assert counts(engine) == (before[0], before[1], 1, before[3])


def test_every_bad_field_is_named_with_its_row(streets, engine, tmp_path):
    bad = [shop_front(ref="B1", unit_kind="商铺", phone="电话", credit_code="91450200MA5KXXXX1X",
                      signed_on="2024-13-01", items="sanitation;洗车"),
           gate_zone(ref="B2", unit_name="", status="done", expires_on="2023-01-01", signed_on="2024-01-01",
                     front_m=-3),
           shop_front(ref="B1")]
    before = counts(engine)
    with pytest.raises(ValidationFailed) as info:
        import_file(engine, streets.config, "frontages", write(tmp_path, "bad.geojson", bad))
    reasons = {}
    for p in info.value.problems:
        reasons.setdefault(p.index, []).append(p.reason)
    first = " | ".join(reasons[0])
    for field in ("unit_kind '商铺'", "phone '电话'", "credit_code", "signed_on", "items '洗车'"):
        assert field in first
    second = " | ".join(reasons[1])
    for field in ("unit_name is missing", "status 'done'", "front_m", "expires_on 2023-01-01 is before signed_on"):
        assert field in second
    assert any("duplicate ref" in r for r in reasons[2])
    assert counts(engine) == before


def test_a_line_frontage_of_the_wrong_geometry_type_is_refused(streets, engine, tmp_path):
    multi = shop_front(ref="M1")
    multi["geometry"] = {"type": "MultiLineString", "coordinates": [multi["geometry"]["coordinates"]]}
    with pytest.raises(ValidationFailed, match="needs LineString or Polygon or Point"):
        import_file(engine, streets.config, "frontages", write(tmp_path, "m.geojson", [multi]))


@pytest.mark.parametrize("content, message", [
    (b'{"type": "FeatureCollection", "features": [', "JSON"),
    (b'{"type":"Feature","properties":{"unit_name":"x"},"geometry":{"type":"Point","coordinates":[NaN, 1]}}', "NaN"),
    (b"[" * 5000 + b"]" * 5000, "deep"),
    ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"unit_name":"阳和"},'
     '"geometry":null}]}'.encode("gbk"), "UTF-8"),
])
def test_broken_frontage_files_change_nothing(streets, engine, tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    before = counts(engine)
    with pytest.raises(ValidationFailed) as info:
        import_file(engine, streets.config, "frontages", path)
    assert message.lower() in str(info.value).lower() and counts(engine) == before


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory):
    """One register with a road, a frontage and a place for the whole corpus: every refusal leaves it as it was."""
    from conftest import tiny_grids, tiny_regions
    from gis_app import create_app
    from gis_app.storage import upgrade
    root = tmp_path_factory.mktemp("corpus")
    app = create_app({"SANIGRID_INSTANCE": str(root), "SANIGRID_DATABASE_URL": f"sqlite:///{root}/db.sqlite"})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    engine = app.extensions["sanigrid.engine"]
    for layer, features in (("regions", tiny_regions()), ("grids", tiny_grids()), ("frontages", [shop_front()]),
                            ("places", [toilet()])):
        import_file(engine, app.config, layer, write(root, f"{layer}.geojson", features))
    import_file(engine, app.config, "roads", road_file(root))
    return app


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_hostile_file_is_refused_as_frontages_and_changes_nothing(corpus_app, path):
    engine = corpus_app.extensions["sanigrid.engine"]
    before = counts(engine), frontages(engine).to_wkb()["geometry"].tolist()
    with pytest.raises(ValidationFailed) as info:
        import_file(engine, corpus_app.config, "frontages", path)
    assert str(info.value).strip()
    assert (counts(engine), frontages(engine).to_wkb()["geometry"].tolist()) == before


def test_the_corpus_is_there():
    assert len(CORPUS) > 100


def test_osm_lines_become_roads_with_their_kind(app, engine, shared_data):
    lines = shared_data / "osm-beijing-haidian" / "beijing_haidian_cau_lines.geojson"
    report = import_file(engine, app.config, "roads", lines)
    raw = orjson.loads(lines.read_bytes())["features"]
    from grids.frontages import road_kind
    expected = {f"W{f['properties']['osm_id']}": road_kind(f["properties"]["highway"]) for f in raw
                if road_kind(f["properties"].get("highway"))}
    with session_scope(engine) as s:
        roads = load_roads(s)
    assert dict(zip(roads["ref"], roads["kind"])) == expected and set(expected.values()) == {"main", "lane"}
    assert "学清路" in set(roads["name"])
    assert any(n.startswith(f"skipped {len(raw) - len(expected)} line(s) that are no road") for n in report.notes)


def test_osm_areas_become_buildings(app, engine, shared_data):
    areas = shared_data / "osm-shenzhen-longgang" / "shenzhen_longgang_multipolygons.geojson"
    raw = orjson.loads(areas.read_bytes())["features"]
    tagged = [f for f in raw if f["properties"].get("building")]
    report = import_file(engine, app.config, "buildings", areas)
    with session_scope(engine) as s:
        buildings = load_buildings(s)
    assert len(report.created) == len(buildings) == len(tagged) > 50
    assert set(buildings.geometry.geom_type) <= {"Polygon", "MultiPolygon"}


def test_places_refuse_an_unconfigured_kind(app, engine, tmp_path):
    settings = {**app.config, "SANIGRID_PLACE_KINDS": ("public_toilet", "school")}
    assert import_file(engine, settings, "places", write(tmp_path, "p.geojson", [toilet()])).created == ["P1"]
    with pytest.raises(ValidationFailed, match="kind '农贸市场' is not one of public_toilet"):
        import_file(engine, settings, "places", write(tmp_path, "q.geojson", [toilet(ref="P2", kind="农贸市场")]))


def test_the_cli_imports_dry_runs_and_exports_frontages(runner, files, tmp_path):
    assert runner.invoke(cli, ["init"]).exit_code == 0
    for layer in ("regions", "grids"):
        assert runner.invoke(cli, ["import", layer, str(files[layer])]).exit_code == 0
    assert runner.invoke(cli, ["import", "roads", str(road_file(tmp_path))]).exit_code == 0
    path = write(tmp_path, "f.geojson", [shop_front(), gate_zone()])
    dry = runner.invoke(cli, ["import", "frontages", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "would create 2" in dry.output
    assert "created 2" in runner.invoke(cli, ["import", "frontages", str(path)]).output
    out = tmp_path / "out.xlsx"
    done = runner.invoke(cli, ["export", "frontages", "--format", "xlsx", "-o", str(out), "--district", "450203"])
    assert done.exit_code == 0 and "frontages: 2 rows" in done.output
    refused = runner.invoke(cli, ["import", "frontages", str(write(tmp_path, "x.geojson", [gate_zone(unit_kind="?")]))])
    assert refused.exit_code == 1 and "unit_kind '?'" in refused.output


def test_derive_writes_the_zones_and_apply_imports_them_as_not_visited(runner, engine, tmp_path):
    """A 20 m × 18 m building 12 m north of a main road's centreline: its zone reaches the kerb, 10 m off."""
    houses = write(tmp_path, "b.geojson", [feature({"ref": "B1", "name": "阳和商厦"},
                                                   box(X0 + 100, ROAD_Y + 12, X0 + 120, ROAD_Y + 30))])
    out = tmp_path / "zones.geojson"
    runner.invoke(cli, ["init"])
    dry = runner.invoke(cli, ["frontages", "derive", "--buildings", str(houses), "--roads", str(road_file(tmp_path)),
                              "-o", str(out)])
    assert dry.exit_code == 0 and "dry run: nothing imported" in dry.output, dry.output
    (zone,) = orjson.loads(out.read_bytes())["features"]
    assert zone["properties"]["front_length_m"] == pytest.approx(20, abs=0.01)
    assert zone["properties"]["depth_m"] == pytest.approx(2, abs=0.01) and zone["properties"]["road"] == "阳和大道"
    area = shapely.area(to_metric([shapely.geometry.shape(zone["geometry"])], METRIC)[0])
    assert area == pytest.approx(40, abs=0.2)   # 20 m × 2 m, its corners on the 1e-7° (1 cm) grid
    applied = runner.invoke(cli, ["frontages", "derive", "--buildings", str(houses), "--roads",
                                  str(road_file(tmp_path)), "--apply", "--unit-kind", "enterprise"])
    assert applied.exit_code == 0 and "created 1" in applied.output, applied.output
    with session_scope(engine) as s:
        stored = load_frontages(s)
    assert stored["unit_name"].tolist() == ["阳和商厦"] and stored["status"].tolist() == ["not_visited"]
    assert stored["unit_kind"].tolist() == ["enterprise"]


def test_derive_needs_an_output_or_apply(runner, tmp_path):
    result = runner.invoke(cli, ["frontages", "derive", "--buildings", "b.geojson", "--roads", "r.geojson"])
    assert result.exit_code == 2 and "-o FILE" in result.output


@pytest.mark.parametrize("check, props, message", [
    (frontage_record, {"unit_name": "甲", "unit_kind": "individual", "front_m": "0.5"},
     "front_m must be a width in metres from 1 to 500, got '0.5'"),
    (road_record, {"ref": "R1", "kind": "main", "width_m": "0"},
     "width_m must be a road width in metres above 0 and at most 200, got '0'"),
])
def test_widths_out_of_range_are_named_with_their_bounds(check, props, message):
    assert message in check(props)[1]
