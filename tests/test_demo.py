"""The demo city generator: real names and codes, a clean tiling, staffing and the planted shortfalls.

Grid counts are exact: ``build_demo_city(n)`` returns exactly ``n`` grids.
"""
from __future__ import annotations

import math
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal

from grids.codes import check_grid_code
from grids.demo import MAX_GRIDS_PER_LEADER, METRIC_CRS, build_demo_city
from grids.roles import GRID_TYPES, ROLE_KINDS

N = 600


@pytest.fixture(scope="module")
def city():
    return build_demo_city(N, seed=0)


@pytest.fixture(scope="module", params=[METRIC_CRS, "EPSG:32649"])
def metric(city, request):
    """Regions and grids (no signboards) in the generator's metric CRS and in UTM 49N, by code.

    The second CRS catches edges that are straight only in the generator's projection.
    """
    return (city.regions.to_crs(request.param).set_index("code"),
            city.grids.drop(columns="signboard").to_crs(request.param).set_index("code"))


def test_same_seed_same_city_other_seed_other_city(city):
    again = build_demo_city(N, seed=0)
    assert_geodataframe_equal(city.regions, again.regions)
    assert_geodataframe_equal(city.grids, again.grids)
    assert (city.grids.geometry.to_wkb() == again.grids.geometry.to_wkb()).all()
    assert_frame_equal(city.people, again.people)
    assert_frame_equal(city.roles, again.roles)
    assert city.shortfalls == again.shortfalls
    other = build_demo_city(N, seed=1)
    assert not (city.grids.geometry.to_wkb() == other.grids.geometry.to_wkb()).all()


def test_grid_count_is_exact_and_every_community_has_grids(city):
    assert len(city.grids) == N
    communities = city.regions.loc[city.regions["level"] == "community", "code"]
    assert len(communities) == 452
    assert set(city.grids["community"]) == set(communities)


def test_too_few_grids_is_refused():
    with pytest.raises(ValueError, match="at least 455"):
        build_demo_city(454)


def test_smallest_city_still_has_every_shortfall():
    small = build_demo_city(455, seed=0)
    assert len(small.grids) == 455
    assert small.shortfalls["unstaffed_grid"] in set(small.grids["code"])
    assert len(small.shortfalls["overloaded_leader_grids"]) == MAX_GRIDS_PER_LEADER + 1
    assert small.shortfalls["hole_area_m2"] > 1000


def test_codes_nest_and_number_from_one(city):
    regions = city.regions.set_index("code")
    assert regions.loc["4502", "parent"] is None and regions.loc["4502", "name"] == "柳州市"
    child = regions[regions["level"] != "city"]
    assert all(code.startswith(parent) and len(code) - len(parent) in (2, 3)
               for code, parent in zip(child.index, child["parent"]))
    for code, community in zip(city.grids["code"], city.grids["community"]):
        check_grid_code(code, community)
    seqs = city.grids.groupby("community")["code"].agg(lambda c: sorted(int(x[12:]) for x in c))
    assert all(s == list(range(1, len(s) + 1)) for s in seqs)


def test_real_names_and_codes(city):
    regions = city.regions.set_index("code")
    assert tuple(regions.loc["450203008", ["name", "level", "parent"]]) == ("阳和街道", "street", "450203")
    assert regions.loc["450203008001", "name"] == "新城社区"       # official 新城社区居委会
    assert regions.loc["450203008202", "name"] == "阳和村"         # official 阳和村委会
    names = city.grids.loc[city.grids["community"] == "450203008001", "name"]
    assert names.str.fullmatch(r"新城社区第\d+网格").all()


def test_geometry_is_valid_polygonal_and_in_its_parent(city, metric):
    regions, grids = metric
    for frame in (city.regions, city.grids):
        assert frame.crs.to_epsg() == 4326
        assert frame.is_valid.all()
        assert frame.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert city.grids["signboard"].covered_by(city.grids.geometry).all()
    for level in ("district", "street", "community"):      # neighbours share edges vertex for vertex
        assert shapely.coverage_is_valid(city.regions.geometry[city.regions["level"] == level].to_numpy())
    assert shapely.coverage_is_valid(city.grids.geometry.to_numpy())
    child = regions[regions["level"] != "city"]
    parents = regions.geometry.loc[child["parent"]].buffer(1.0).to_numpy()
    assert shapely.within(child.geometry.to_numpy(), parents).all()
    community = regions.geometry.loc[grids["community"]].buffer(1.0).to_numpy()
    assert shapely.within(grids.geometry.to_numpy(), community).all()


def test_grids_cover_their_community_except_the_hole(city, metric):
    regions, grids = metric
    union = grids.geometry.groupby(grids["community"]).agg(shapely.union_all)
    missing = regions.geometry.loc[union.index].area - shapely.area(union.to_numpy())
    hole = city.shortfalls["hole_community"]
    assert missing.drop(hole).abs().max() < 1.0
    assert missing[hole] == pytest.approx(city.shortfalls["hole_area_m2"], rel=0.005)
    assert city.shortfalls["hole_area_m2"] > 1000
    overlap = grids.area.groupby(grids["community"]).sum() - shapely.area(union.to_numpy())
    assert overlap.abs().max() < 1.0


def test_no_overlap_between_neighbouring_grids_on_a_sample(metric):
    _, grids = metric
    sample = grids[grids.index.str[:9].isin(["450203008", "450202001", "450205001"])].reset_index()
    pairs = gpd.overlay(sample[["code", "geometry"]], sample[["code", "geometry"]],
                        how="intersection", keep_geom_type=True)
    assert len(sample) > 20
    assert pairs[pairs["code_1"] != pairs["code_2"]].area.sum() < 1.0


def test_households_types_and_population_look_real(city):
    grids = city.grids
    assert set(grids["type"]) <= set(GRID_TYPES) and grids["type"].nunique() >= 5
    urban = grids[(grids["type"] == "residential") & (grids["community"].str[9:12] < "200")
                  & (grids["community"].str[6:9] < "100")]
    assert urban["households"].between(200, 600).all()
    per_household = grids["population"] / grids["households"].where(grids["households"] > 20)
    assert per_household.dropna().between(2.55, 3.25).all()
    median = grids.groupby("type")["households"].median()
    assert median[["market", "park", "industrial"]].max() < median["residential"]


def test_every_grid_is_staffed_except_the_unstaffed_one(city):
    roles, shortfalls = city.roles, city.shortfalls
    assert not (roles["grid"] == shortfalls["unstaffed_grid"]).any()
    staffed = city.grids.loc[city.grids["code"] != shortfalls["unstaffed_grid"], "code"]
    count = roles.groupby(["grid", "role"]).size().unstack(fill_value=0).reindex(staffed, fill_value=0)
    assert (count["leader"] == 1).all()
    assert (count[["patroller", "manager", "supervisor", "volunteer"]] >= 1).all().all()
    assert set(roles["role"]) == set(ROLE_KINDS)


def test_cleaner_ratio_and_backups_except_the_planted_ones(city):
    roles, shortfalls = city.roles, city.shortfalls
    cleaners = roles[roles["role"] == "cleaner"]
    have = cleaners.groupby("grid").size()
    need = city.grids.set_index("code")["households"].map(lambda h: math.ceil(h / 100)).loc[have.index]
    short = have.index[have < need]
    assert list(short) == [shortfalls["below_ratio_grid"]]
    no_backup = cleaners[cleaners["backup"].isna()]
    assert no_backup[["grid", "phone"]].values.tolist() == [
        [shortfalls["cleaner_without_backup"], shortfalls["cleaner_without_backup_phone"]]]
    assert (cleaners["backup"] != cleaners["phone"]).all()


def test_leaders_lead_at_most_three_grids_of_one_community_but_one(city):
    leaders = city.roles[city.roles["role"] == "leader"]
    grids_led = leaders.groupby("phone")["grid"].agg(list)
    assert (grids_led.map(lambda g: len({c[:12] for c in g})) == 1).all()
    over = grids_led[grids_led.map(len) > MAX_GRIDS_PER_LEADER]
    assert over.index.tolist() == [city.shortfalls["overloaded_leader"]]
    assert over.iloc[0] == city.shortfalls["overloaded_leader_grids"]


def test_people_have_unique_phones_and_chinese_names(city):
    people, roles = city.people, city.roles
    assert people["phone"].is_unique
    assert people["phone"].str.fullmatch(r"1\d{10}").all()
    assert people["name"].map(lambda n: re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) is not None).all()
    assert people["photo"].isna().all()
    known = set(people["phone"])
    assert set(roles["phone"]) <= known and set(roles["backup"].dropna()) <= known


def test_progress_is_reported():
    calls = []
    build_demo_city(N, seed=3, progress=lambda step, done, total: calls.append((step, done, total)))
    last = pd.DataFrame(calls, columns=["step", "done", "total"]).groupby("step").last()
    assert {"grid polygons", "people"} <= set(last.index)
    assert (last["done"] == last["total"]).all()


@pytest.mark.slow
def test_twenty_thousand_grids():
    city = build_demo_city(20_000, seed=0)
    assert len(city.grids) == 20_000 and city.grids["code"].is_unique
    assert city.grids.is_valid.all() and shapely.coverage_is_valid(city.grids.geometry.to_numpy())
    assert city.shortfalls["unstaffed_grid"] in set(city.grids["code"])
    assert city.people["phone"].is_unique


def test_the_demo_loads_more_rows_than_the_per_import_cap(tmp_path):
    """The cap guards against outside files; the demo's own people rows (more than 4 per grid) load whole."""
    from gis_app import create_app
    from gis_app.demo_loader import load_demo
    from gis_app.storage import session_scope, upgrade
    from gis_app.storage import repository as repo
    app = create_app({"SANIGRID_INSTANCE": str(tmp_path), "SANIGRID_DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite",
                      "SANIGRID_MAX_IMPORT_FEATURES": 400})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    engine = app.extensions["sanigrid.engine"]
    load_demo(engine, app.config, n_grids=460, seed=1, replace=False)
    with session_scope(engine) as session:
        assert len(repo.load_grids(session)) == 460
        assert len(repo.load_roles(session)) > 400
    engine.dispose()
