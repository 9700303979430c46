"""The frontage gap per grid and in the gap report, on a hand-built district of two grids (EPSG:4545)."""
import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from grids.frontages import GAP_COLUMNS, frontage_gap
from grids.gaps import GapSettings, gap_report

from conftest import COMMUNITY, DISTRICT, METRIC, STREET, X0, Y0

TODAY = dt.date(2026, 3, 1)
A, B = f"{COMMUNITY}001", f"{COMMUNITY}002"


def regions():
    shell = box(X0, Y0, X0 + 400, Y0 + 300)
    return gpd.GeoDataFrame({"code": [DISTRICT, STREET, COMMUNITY], "name": ["鱼峰区", "阳和街道", "阳和社区"]},
                            geometry=[shell] * 3, crs=METRIC)


def grids():
    """Grid A is the west half of the community, B the east half; the edge runs along x = X0 + 200."""
    return gpd.GeoDataFrame({"code": [A, B], "region": [COMMUNITY] * 2, "households": [0, 0]},
                            geometry=[box(X0, Y0, X0 + 200, Y0 + 300), box(X0 + 200, Y0, X0 + 400, Y0 + 300)],
                            crs=METRIC)


def along(x0, x1, y=50):
    return LineString([(X0 + x0, Y0 + y), (X0 + x1, Y0 + y)])


def frontages():
    """A: 80 m signed (expiring in 19 days), 30 m refused, 10 m of a 20 m expired one; B: its other 10 m
    and a 140 m × 5 m signed zone without expiry."""
    return gpd.GeoDataFrame({
        "ref": ["F1", "F2", "F3", "F4"], "status": ["signed", "refused", "signed", "signed"],
        "expires_on": ["2026-03-20", None, "2026-02-01", None]},
        geometry=[along(10, 90), along(100, 130), along(190, 210), box(X0 + 250, Y0 + 100, X0 + 390, Y0 + 105)],
        crs=METRIC)


def test_the_frontage_gap_per_grid_counts_known_lengths():
    table = frontage_gap(grids(), frontages(), TODAY).set_index("code")
    assert list(table.reset_index().columns) == GAP_COLUMNS
    assert table.loc[A, ["frontage_length_m", "frontage_signed_m"]].tolist() == pytest.approx([120, 80])
    assert table.loc[A, "frontage_signed_pct"] == pytest.approx(66.7, abs=0.05)   # 80 of 120 m
    assert table.loc[B, ["frontage_length_m", "frontage_signed_m"]].tolist() == pytest.approx([150, 140])
    assert table["frontage_units"].tolist() == [3, 2] and table["frontage_units_unsigned"].tolist() == [2, 1]
    assert table["frontage_expiring_30d"].tolist() == [1, 0]
    assert table["frontage_below_floor"].tolist() == [True, False]               # 66.7 % and 93.3 % vs 90 %
    assert table["frontage_unregistered_m"].isna().all()


def test_the_expiry_window_and_the_floor_are_settings():
    table = frontage_gap(grids(), frontages(), TODAY, expiring_days=10, floor_pct=60)
    assert table["frontage_expiring_30d"].tolist() == [0, 0] and not table["frontage_below_floor"].any()
    later = frontage_gap(grids(), frontages(), dt.date(2026, 3, 21)).set_index("code")  # F1 expired yesterday
    assert later.loc[A, "frontage_signed_m"] == 0 and later.loc[A, "frontage_units_unsigned"] == 3


def test_a_120_m_street_front_with_80_m_signed_reports_66_7_pct():
    lane_north, lane_south = along(20, 140, 250), along(20, 140, 244)  # two walls 6 m apart across a lane
    signed = along(20, 100, 252)                                       # drawn 2 m off the north wall
    across = box(X0 + 20, Y0 + 244, X0 + 140, Y0 + 247).exterior       # the south wall's zone to the centreline
    registered = gpd.GeoDataFrame({"status": ["signed", "signed"]}, geometry=[signed, across.convex_hull],
                                  crs=METRIC)
    table = frontage_gap(grids(), registered, TODAY, fronts=[lane_north, lane_south]).set_index("code")
    assert table.loc[A, "frontage_unregistered_m"] == pytest.approx(40)  # the zone across the lane is not ours
    assert table.loc[A, "frontage_signed_pct"] == pytest.approx(100 * 200 / 240)
    alone = frontage_gap(grids(), registered.iloc[:1], TODAY, fronts=[lane_north]).set_index("code")
    assert alone.loc[A, "frontage_signed_pct"] == pytest.approx(66.7, abs=0.05)  # 80 m of a 120 m street front
    assert alone.loc[B, "frontage_unregistered_m"] == 0 and np.isnan(alone.loc[B, "frontage_signed_pct"])


def test_the_gap_report_finds_the_grid_below_the_floor_and_draws_its_frontages():
    report = gap_report(regions(), grids(), frontages=frontages(), today=TODAY)
    found = report.findings[report.findings["kind"] == "frontage_unsigned"]
    assert found["code"].tolist() == [A] and found["region"].tolist() == [COMMUNITY]
    assert found.geometry.length.tolist() == pytest.approx([120])  # F1, F2 and F3's piece in A
    assert "66.7%" in found["detail"].iloc[0]
    assert report.frontages.set_index("code").loc[B, "frontage_signed_m"] == pytest.approx(140)


def test_the_rollup_sums_lengths_counts_units_once_and_scores_the_signed_share():
    rollup = gap_report(regions(), grids(), frontages=frontages(), today=TODAY).rollup.set_index("code")
    district = rollup.loc[DISTRICT]
    assert district[["frontage_length_m", "frontage_signed_m"]].tolist() == pytest.approx([270, 220])
    assert district["frontage_signed_pct"] == pytest.approx(100 * 220 / 270)
    assert district[["frontage_units", "frontage_units_unsigned", "frontage_expiring_30d"]].tolist() == [4, 2, 1]
    assert district["frontage_unsigned_count"] == 1 and np.isnan(district["frontage_unregistered_m"])
    assert district["score"] == pytest.approx(round(100 * (0.4 + 0.2 + 0.2 * 220 / 270) / 0.8, 1))


def test_a_region_without_frontages_scores_as_fully_signed_and_its_share_is_nan():
    report = gap_report(regions(), grids(), frontages=frontages().iloc[:0], today=TODAY)
    rollup = report.rollup.set_index("code")
    assert np.isnan(rollup.loc[COMMUNITY, "frontage_signed_pct"]) and rollup.loc[COMMUNITY, "frontage_units"] == 0
    assert rollup.loc[COMMUNITY, "frontage_unsigned_count"] == 0 and rollup.loc[COMMUNITY, "score"] == 100.0


def test_without_frontages_the_report_is_unchanged():
    plain, roles = gap_report(regions(), grids()), pd.DataFrame(columns=["grid", "person", "role", "backup"])
    assert not [c for c in plain.rollup.columns if c.startswith("frontage")] and plain.frontages is None
    with_roles = gap_report(regions(), grids(), roles, GapSettings())
    assert with_roles.rollup.set_index("code").loc[DISTRICT, "score"] == pytest.approx(80.0)  # complete: 0 of 2


def test_frontages_need_today_a_known_status_and_metres():
    with pytest.raises(ValueError, match="today"):
        gap_report(regions(), grids(), frontages=frontages())
    with pytest.raises(ValueError, match="unknown frontage status"):
        frontage_gap(grids(), frontages().assign(status="maybe"), TODAY)
    with pytest.raises(ValueError, match="share one CRS"):
        gap_report(regions(), grids(), frontages=frontages().to_crs("EPSG:4547"), today=TODAY)


def test_a_bent_street_front_is_registered_along_the_stretch_a_frontage_covers():
    corner = LineString([(X0 + 20, Y0 + 200), (X0 + 80, Y0 + 200), (X0 + 80, Y0 + 260)])  # 60 m + 60 m
    registered = gpd.GeoDataFrame({"status": ["signed"]}, geometry=[along(30, 70, 199)], crs=METRIC)
    table = frontage_gap(grids(), registered, TODAY, fronts=[corner]).set_index("code")
    assert table.loc[A, "frontage_unregistered_m"] == pytest.approx(80)  # 120 m less the 40 m along it
