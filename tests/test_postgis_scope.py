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
