"""The demo city's 门前三包 frontages and key places: every kind, the planted gaps, one city per seed and day."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from grids.demo import METRIC_CRS, build_demo_city
from grids.frontages import check_credit_code
from grids.places import PLACE_KINDS
from layers.frontages import frontage_layer
from layers.places import place_layer

N = 455
TODAY = dt.date(2026, 5, 1)
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@pytest.fixture(scope="module")
def city():
    return build_demo_city(N, seed=2, today=TODAY)


def effective(frontages: pd.DataFrame, today: dt.date) -> pd.Series:
    """A signed commitment whose expires_on is before today counts as expired (written here, not imported)."""
    lapsed = (frontages["status"] == "signed") & (frontages["expires_on"].fillna("9999-12-31") < today.isoformat())
    return frontages["status"].where(~lapsed, "expired")


def signed_share(city) -> pd.Series:
    """Per grid: the signed, unexpired length over the registered length, in %, lengths in the metric CRS."""
    metric = city.frontages.to_crs(METRIC_CRS)
    signed = effective(metric, city.today) == "signed"
    length = metric.length
    return 100 * length[signed].groupby(metric["grid"][signed]).sum().reindex(
        metric["grid"].unique(), fill_value=0) / length.groupby(metric["grid"]).sum()


def valid_credit_code(code: str) -> bool:
    """GB 32100-2015 check digit over the 17 characters before it (weights 3^i mod 31)."""
    total = sum(CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return len(code) == 18 and code[17] == CHARSET[(31 - total % 31) % 31]


def test_the_demo_has_frontages_of_every_status_and_places_of_every_kind(city):
    statuses = effective(city.frontages, city.today).value_counts()
    assert set(statuses.index) == {"signed", "expired", "refused", "not_visited"}
    assert statuses["signed"] > 0.9 * len(city.frontages) > 1000
    assert ((city.frontages["status"] == "signed") & (effective(city.frontages, city.today) == "expired")).any()
    assert set(city.places["kind"]) == set(PLACE_KINDS)
    assert city.frontages["ref"].is_unique and city.places["ref"].is_unique


def test_fronts_are_6_to_30_metre_lines_inside_their_grid(city):
    metric = city.frontages.to_crs(METRIC_CRS)
    assert (metric.geom_type == "LineString").all()
    assert metric.length.between(5.5, 30.5).all()
    grids = city.grids.to_crs(METRIC_CRS).set_index("code").geometry
    assert shapely.within(metric.geometry.to_numpy(), grids.loc[metric["grid"]].buffer(0.01).to_numpy()).all()


def test_one_named_grid_is_far_below_the_floor_and_every_other_grid_above_it(city):
    share = signed_share(city)
    low = city.shortfalls["frontage_low_grid"]
    assert 45 < share[low] < 75 and share[low] == pytest.approx(city.shortfalls["frontage_low_signed_pct"], abs=0.1)
    assert (share.drop(low) >= 90).all()
    assert low in set(city.grids["code"])


def test_one_commitment_ends_within_30_days(city):
    f = city.frontages
    ends = pd.to_datetime(f["expires_on"]).dt.date
    soon = f[(effective(f, city.today) == "signed") & (ends <= city.today + dt.timedelta(days=30))]
    assert soon["ref"].tolist() == [city.shortfalls["frontage_expiring_ref"]]
    assert soon["grid"].iloc[0] == city.shortfalls["frontage_expiring_grid"] != city.shortfalls["frontage_low_grid"]


def test_units_look_real(city):
    f = city.frontages
    assert set(f["unit_kind"]) == {"government", "association", "enterprise", "individual"}
    codes = f["credit_code"].dropna()
    assert len(codes) > 0.7 * len(f) and codes.map(valid_credit_code).all()
    assert codes.map(check_credit_code).isna().all()   # the import's own check agrees
    assert f["phone"].str.fullmatch(r"1\d{10}").all() and f["unit_name"].str.len().min() >= 3
    assert set(map(tuple, f["items"])) <= {("sanitation", "order", "greenery"),
                                           ("sanitation", "order", "greenery", "facilities", "snow")}
    dated = f["status"].isin(["signed", "expired"])
    assert f.loc[dated, ["signed_on", "expires_on"]].notna().all().all()
    assert f.loc[~dated, ["signed_on", "expires_on"]].isna().all().all()


def test_places_lie_in_their_grid_with_licences_where_the_kind_has_them(city):
    places = city.places.to_crs(METRIC_CRS)
    grids = city.grids.to_crs(METRIC_CRS).set_index("code").geometry
    assert shapely.within(places.geometry.to_numpy(), grids.loc[places["grid"]].to_numpy()).all()
    areas = places[places.geom_type == "Polygon"]
    assert set(areas["kind"]) == {"urban_village", "old_compound", "construction_site"}
    public = city.places[city.places["kind"] == "public_place"]
    assert public["licence_no"].notna().all() and public["licence_expires"].notna().all()
    assert city.places.loc[city.places["kind"] == "public_toilet", "licence_no"].isna().all()
    staffed = city.places.dropna(subset=["staff"])
    assert (staffed["health_certs"] <= staffed["staff"]).all() and (staffed["health_certs"] < staffed["staff"]).any()


def test_a_street_view_of_the_low_grid_shows_fronts_toilets_and_refuse_points(city):
    """The browser test zooms to the low grid's row of units: a refuse point stands beside it."""
    metric = city.frontages.to_crs(METRIC_CRS)
    row = metric[metric["grid"] == city.shortfalls["frontage_low_grid"]]
    places = city.places.to_crs(METRIC_CRS)
    near = places[places.distance(shapely.union_all(row.geometry.to_numpy())) < 50]
    assert "refuse_point" in set(near["kind"])


def test_same_seed_and_day_same_frontages_other_seed_or_day_other(city):
    again = build_demo_city(N, seed=2, today=TODAY)
    assert_geodataframe_equal(city.frontages, again.frontages)
    assert_geodataframe_equal(city.places, again.places)
    assert {k: v for k, v in city.shortfalls.items() if k.startswith("frontage")} == {
        k: v for k, v in again.shortfalls.items() if k.startswith("frontage")}
    later = build_demo_city(N, seed=2, today=TODAY + dt.timedelta(days=10))
    assert later.frontages["expires_on"].tolist() != city.frontages["expires_on"].tolist()
    assert (later.frontages.geometry.to_wkb() == city.frontages.geometry.to_wkb()).all()
    other = build_demo_city(N, seed=3, today=TODAY)
    assert len(other.frontages) != len(city.frontages) or not np.array_equal(
        other.frontages.geometry.to_wkb(), city.frontages.geometry.to_wkb())


def test_today_must_be_a_date():
    with pytest.raises(TypeError, match="today must be a datetime.date"):
        build_demo_city(N, today="2026-05-01")


def test_the_loaded_demo_holds_them_and_the_register_sees_the_low_grid(app, engine):
    """Through the validated import: every frontage and place lands, and the stored statuses keep the gap."""
    from gis_app.demo_loader import load_demo
    from gis_app.storage import session_scope
    from gis_app.storage.frontages import load_frontages, load_places
    load_demo(engine, app.config, n_grids=N, seed=2, replace=False)
    city = build_demo_city(N, seed=2)              # the loader's day: today
    with session_scope(engine) as session:
        frontages, places = load_frontages(session), load_places(session)
    assert sorted(frontages["ref"]) == sorted(city.frontages["ref"])
    assert sorted(places["ref"]) == sorted(city.places["ref"]) and set(places["kind"]) == set(PLACE_KINDS)
    stored = places.set_index("ref")["grid"].sort_index()         # the register derives the grid of each
    assert stored.tolist() == city.places.set_index("ref")["grid"].sort_index().tolist()
    low = frontages[frontages["grids"].map(lambda g: g == [city.shortfalls["frontage_low_grid"]])]
    metres = low.to_crs(METRIC_CRS).length
    assert 45 < 100 * metres[low["effective_status"] == "signed"].sum() / metres.sum() < 75
    drawn = [len(json.loads(part.data_json)["features"]) for layer in (frontage_layer(frontages), place_layer(places))
             for part in layer._children.values()]          # the stored frames draw as they are read
    assert sum(drawn[:-2]) == len(frontages) and drawn[-1] == len(places)


def test_the_frontage_gap_finds_the_planted_grid_and_the_expiring_unit(city):
    """The domain's gap (what `sanigrid gaps` reports) on the demo: one grid below the floor, one unit expiring."""
    from grids.frontages import frontage_gap
    grids = city.grids[["code", "geometry"]].to_crs(METRIC_CRS)
    gap = frontage_gap(grids, city.frontages.to_crs(METRIC_CRS), city.today).set_index("code")
    assert gap.index[gap["frontage_below_floor"]].tolist() == [city.shortfalls["frontage_low_grid"]]
    assert gap["frontage_expiring_30d"].sum() == 1
    assert gap.loc[city.shortfalls["frontage_expiring_grid"], "frontage_expiring_30d"] == 1
    assert gap.loc[city.shortfalls["frontage_low_grid"], "frontage_signed_pct"] == pytest.approx(
        signed_share(city)[city.shortfalls["frontage_low_grid"]], abs=0.05)
