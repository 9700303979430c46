"""grids.gaps on hand-made regions in EPSG:4545 whose answers can be checked on paper."""
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from grids.gaps import GAP_KINDS, FINDING_COLUMNS, GapSettings, gap_kind, gap_report

from conftest import COMMUNITY, DISTRICT, METRIC, STREET, X0, Y0

NEIGHBOUR = "450203008002"


def regions():
    return gpd.GeoDataFrame({"code": [DISTRICT, STREET, COMMUNITY, NEIGHBOUR], "name": ["鱼峰区", "阳和街道", "阳和社区", "新圩社区"]},
                            geometry=[box(X0, Y0, X0 + 800, Y0 + 300), box(X0, Y0, X0 + 800, Y0 + 300),
                                      box(X0, Y0, X0 + 400, Y0 + 300), box(X0 + 400, Y0, X0 + 800, Y0 + 300)],
                            crs=METRIC)


def cells():
    """Four 200 m × 150 m grids tiling the community, and two tiling its neighbour."""
    return [box(X0, Y0 + 150, X0 + 200, Y0 + 300), box(X0 + 200, Y0 + 150, X0 + 400, Y0 + 300),
            box(X0, Y0, X0 + 200, Y0 + 150), box(X0 + 200, Y0, X0 + 400, Y0 + 150),
            box(X0 + 400, Y0, X0 + 800, Y0 + 150), box(X0 + 400, Y0 + 150, X0 + 800, Y0 + 300)]


def grids(geoms=None, households=None):
    geoms = cells() if geoms is None else geoms
    codes = [f"{COMMUNITY}{i + 1:03d}" for i in range(4)] + [f"{NEIGHBOUR}{i + 1:03d}" for i in range(len(geoms) - 4)]
    return gpd.GeoDataFrame({"code": codes, "region": [c[:12] for c in codes],
                             "households": households or [0] * len(geoms)}, geometry=geoms, crs=METRIC)


def found(report, kind):
    return report.findings[report.findings["kind"] == kind]


def test_a_tiling_has_no_spatial_gap():
    report = gap_report(regions(), grids())
    assert report.findings.empty
    assert report.rollup.set_index("code").loc[DISTRICT, "score"] == 100.0


def test_a_30_by_40_m_hole_reports_1200_m2_in_its_community():
    geoms = cells()
    geoms[0] = geoms[0].difference(box(X0 + 50, Y0 + 200, X0 + 80, Y0 + 240))
    holes = found(gap_report(regions(), grids(geoms)), "hole")
    assert list(holes["region"]) == [COMMUNITY]
    assert holes["area_m2"].iloc[0] == pytest.approx(1200, rel=0.005)


def test_overlap_of_a_known_polygon():
    geoms = cells()
    geoms[3] = box(X0 + 180, Y0, X0 + 400, Y0 + 150)  # 20 m × 150 m into grid 003
    overlaps = found(gap_report(regions(), grids(geoms)), "overlap")
    assert list(zip(overlaps["code"], overlaps["other"])) == [(f"{COMMUNITY}003", f"{COMMUNITY}004")]
    assert overlaps["area_m2"].iloc[0] == pytest.approx(3000, rel=0.005)


def test_a_grid_wholly_inside_another_is_an_overlap():
    geoms = cells() + [box(X0 + 10, Y0 + 10, X0 + 30, Y0 + 30)]
    overlaps = found(gap_report(regions(), grids(geoms)), "overlap")
    assert overlaps["area_m2"].tolist() == pytest.approx([400])


def test_touching_grids_do_not_overlap():
    geoms = cells()
    geoms[1] = box(X0 + 200, Y0 + 160, X0 + 400, Y0 + 300)  # touches 001 along a shorter edge, leaves a strip
    report = gap_report(regions(), grids(geoms))
    assert found(report, "overlap").empty and len(found(report, "hole")) == 1


def test_a_sliver_below_the_threshold_is_reported_apart():
    geoms = cells()
    geoms[1] = box(X0 + 200, Y0 + 150.02, X0 + 400, Y0 + 300)  # 2 cm × 200 m = 4 m² gap
    report = gap_report(regions(), grids(geoms), settings=GapSettings(sliver_area_m2=10))
    assert found(report, "hole").empty
    assert found(report, "sliver")["area_m2"].tolist() == pytest.approx([4], rel=0.005)
    assert report.rollup.set_index("code").loc[COMMUNITY, "sliver_count"] == 1


def test_a_multipolygon_grid_covers_both_parts():
    geoms = cells()[2:]
    geoms[0] = MultiPolygon([box(X0, Y0 + 150, X0 + 200, Y0 + 300), box(X0, Y0, X0 + 200, Y0 + 150).buffer(-1)])
    geoms.insert(0, box(X0 + 200, Y0 + 150, X0 + 400, Y0 + 300))
    geoms.insert(0, box(X0 + 200, Y0, X0 + 400, Y0 + 150))
    report = gap_report(regions(), grids(geoms))
    assert found(report, "hole")["area_m2"].sum() == pytest.approx(200 * 150 - 198 * 148, rel=0.005)


def test_a_grid_across_the_community_edge_reports_the_area_outside():
    geoms = cells()
    geoms[3] = box(X0 + 200, Y0, X0 + 430, Y0 + 150)  # 30 m into the neighbour
    report = gap_report(regions(), grids(geoms))
    outside = found(report, "outside")
    assert list(outside["code"]) == [f"{COMMUNITY}004"]
    assert outside["area_m2"].iloc[0] == pytest.approx(4500, rel=0.005)


def test_a_strip_thinner_than_a_centimetre_is_rounding_noise():
    geoms = cells()
    geoms[1] = box(X0 + 200, Y0 + 150.004, X0 + 400, Y0 + 300)  # 4 mm × 200 m: 1e-7° storage rounding
    assert gap_report(regions(), grids(geoms)).findings.empty


def test_a_hole_of_a_few_square_decimetres_is_not_lost():
    geoms = cells()
    geoms[0] = geoms[0].difference(box(X0 + 50, Y0 + 200, X0 + 50.2, Y0 + 200.25))  # 0.05 m²
    slivers = found(gap_report(regions(), grids(geoms)), "sliver")
    assert slivers["area_m2"].tolist() == pytest.approx([0.05], rel=0.005)


def test_a_grid_in_no_region_is_outside_with_all_its_area():
    frame = grids(cells() + [box(X0 + 5000, Y0, X0 + 5010, Y0 + 10)])
    frame.loc[6, "region"] = None
    outside = found(gap_report(regions(), frame), "outside")
    assert outside["region"].isna().all() and outside["area_m2"].tolist() == pytest.approx([100])


def test_within_the_outside_tolerance_is_not_reported():
    geoms = cells()
    geoms[3] = box(X0 + 200, Y0, X0 + 400.5, Y0 + 150)
    assert found(gap_report(regions(), grids(geoms), settings=GapSettings(outside_tolerance_m=1)), "outside").empty


@pytest.mark.parametrize("households, short", [(0, 0), (99, 0), (100, 0), (101, 1)])
def test_cleaner_ratio_at_the_edges(households, short):
    roles = pd.DataFrame([(f"{COMMUNITY}001", "p1", "cleaner", "p2")], columns=["grid", "person", "role", "backup"])
    report = gap_report(regions(), grids(households=[households, 0, 0, 0, 0, 0]), roles)
    below = found(report, "cleaners_below_ratio")
    assert below[below["code"] == f"{COMMUNITY}001"]["cleaner_gap"].sum() == short
    assert report.rollup.set_index("code").loc[COMMUNITY, "households_uncovered"] == min(short * 100, households)


def test_staffing_findings_name_every_shortfall():
    roles = pd.DataFrame([(f"{COMMUNITY}001", "p1", "cleaner", None)], columns=["grid", "person", "role", "backup"])
    kinds = set(found_kinds(gap_report(regions(), grids(), roles), f"{COMMUNITY}001"))
    assert kinds == {"no_leader", "missing_roles", "no_backup"}


def found_kinds(report, code):
    return report.findings.loc[report.findings["code"] == code, "kind"]


def test_rollup_sums_communities_into_street_and_district():
    geoms = cells()
    geoms[0] = geoms[0].difference(box(X0 + 50, Y0 + 200, X0 + 80, Y0 + 240))
    geoms[5] = geoms[5].difference(box(X0 + 500, Y0 + 200, X0 + 520, Y0 + 210))
    rollup = gap_report(regions(), grids(geoms)).rollup.set_index("code")
    assert rollup.loc[DISTRICT, "hole_m2"] == pytest.approx(1400)
    assert rollup.loc[STREET, "hole_count"] == 2 and rollup.loc[NEIGHBOUR, "hole_m2"] == pytest.approx(200)
    assert rollup.loc[COMMUNITY, "uncovered_pct"] == pytest.approx(1.0)


def test_score_without_staffing_follows_the_readme_formula():
    geoms = cells()
    geoms[0] = geoms[0].difference(box(X0 + 50, Y0 + 200, X0 + 80, Y0 + 240))  # 1 % uncovered
    rollup = gap_report(regions(), grids(geoms)).rollup.set_index("code")
    assert rollup.loc[COMMUNITY, "score"] == pytest.approx(round(100 * (0.4 * 0.99 + 0.2) / 0.6, 1))


def test_a_new_gap_kind_is_one_registered_function(monkeypatch):
    monkeypatch.setitem(GAP_KINDS, "frontage", lambda data: pd.DataFrame(
        [{"kind": "frontage", "region": COMMUNITY, "code": f"{COMMUNITY}001", "detail": "门前三包缺"}],
        columns=FINDING_COLUMNS))
    report = gap_report(regions(), grids())
    assert report.rollup.set_index("code").loc[DISTRICT, "frontage_count"] == 1
    assert gap_kind("x")(len) is len and GAP_KINDS.pop("x") is len


def test_degrees_are_refused():
    with pytest.raises(ValueError, match="geographic"):
        gap_report(regions().to_crs("EPSG:4326"), grids().to_crs("EPSG:4326"))


def test_empty_grids_leave_every_community_uncovered():
    report = gap_report(regions(), grids().iloc[:0])
    assert found(report, "hole")["area_m2"].sum() == pytest.approx(800 * 300)
