"""A district's reports read only that district's rows (on PostGIS through the prefix indexes),
yet a person's grids elsewhere still count: the same answer on both backends."""
from __future__ import annotations

from shapely.geometry import box

from conftest import COMMUNITY, X0, Y0, feature, feature_collection

OTHER = "450203008002"  # the tiny city's second community, without grids until this test


def test_a_community_report_counts_a_persons_grids_in_other_communities(loaded, engine, tmp_path):
    from gis_app.gap_report import register_gaps
    from gis_app.imports import import_file
    from gis_app.register import staffing_report
    grids = tmp_path / "other.geojson"
    grids.write_bytes(feature_collection([feature(
        {"code": f"{OTHER}001", "name": "新圩第1网格", "households": 50, "population": 150, "type": "residential"},
        box(X0 + 400, Y0, X0 + 800, Y0 + 300))]))
    import_file(engine, loaded.config, "grids", grids)
    people = tmp_path / "people.csv"
    serves = [f"{COMMUNITY}001", f"{COMMUNITY}002", f"{COMMUNITY}003", f"{OTHER}001"]
    people.write_text("name,phone,photo,grid,role,backup\n" + "".join(
        f"周敏,13800000009,,{g},网格长,\n" for g in serves), encoding="utf-8")
    import_file(engine, loaded.config, "people", people)

    table, _ = staffing_report(engine, loaded.config, OTHER)
    assert list(table["code"]) == [f"{OTHER}001"]
    assert any("兼任4个网格" in m for m in table.iloc[0]["messages"])
    gaps = register_gaps(engine, loaded.config, OTHER).report.findings
    assert any("兼任4个网格" in str(d) for d in gaps["detail"])


def test_list_geometries_are_the_stored_ones_and_simplify_keeps_within_its_tolerance(app, engine, tmp_path,
                                                                                     client):
    """The grid list (bbox, simplify and properties in SQL on PostGIS; shapely and Python on SQLite)
    gives what the single-grid read gives."""
    import shapely
    from shapely.geometry import shape
    from conftest import METRIC, tiny_regions
    from grids.crs import to_metric as to_metric_crs
    from gis_app.imports import import_file
    wiggly = shapely.segmentize(box(X0, Y0 + 150, X0 + 200, Y0 + 300), 2.0)  # 400 vertices on a 200x150 m box
    regions, grids = tmp_path / "regions.geojson", tmp_path / "grids.geojson"
    regions.write_bytes(feature_collection(tiny_regions()))
    grids.write_bytes(feature_collection([feature(
        {"code": f"{COMMUNITY}001", "name": "密点网格", "households": 10, "population": 30, "type": "residential",
         "片区": "东片", "sign_lon": 108.123, "sign_lat": 24.3},
        wiggly)]))
    import_file(engine, app.config, "regions", regions)
    import_file(engine, app.config, "grids", grids)
    one = client.get(f"/api/v1/grids/{COMMUNITY}001").get_json()
    first = client.get("/api/v1/grids?bbox=-180,-90,180,90").get_json()["features"][0]
    assert first["properties"] == one["properties"] and one["properties"]["片区"] == "东片"
    stored, listed = shape(one["geometry"]), shape(first["geometry"])
    assert listed.equals_exact(stored, 1e-9) and len(stored.exterior.coords) > 300
    simple = shape(client.get("/api/v1/grids?simplify=20").get_json()["features"][0]["geometry"])
    to_metric = lambda g: to_metric_crs([g], METRIC)[0]  # noqa: E731
    assert len(simple.exterior.coords) < 20 and simple.is_valid
    assert shapely.hausdorff_distance(to_metric(simple), to_metric(stored)) <= 20
