"""grids.frontages on hand-built geometry in EPSG:4545 whose lengths can be checked on paper."""
import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, box

from grids.crs import metric_crs_for
from grids.frontages import (ITEM_SETS, STATUSES, UNIT_KINDS, ZONE_RULES, check_credit_code, derive_zones,
                             effective_status, effective_statuses, expiring, frontage_length, nearest_road,
                             points_to_segments, road_kind, split_by_grids)

from conftest import X0, Y0

TODAY = dt.date(2026, 3, 1)  # a frozen clock: the domain never reads the real one
TWO_GRIDS = [box(X0, Y0, X0 + 80, Y0 + 100), box(X0 + 80, Y0, X0 + 200, Y0 + 100)]


def test_the_defaults_of_the_contract():
    assert ITEM_SETS["三包"] == ["sanitation", "order", "greenery"] and len(ITEM_SETS["五包"]) == 5
    assert set(STATUSES) == {"signed", "expired", "refused", "not_visited"}
    assert set(UNIT_KINDS) == {"government", "association", "enterprise", "individual"}
    assert (ZONE_RULES.main_width_m, ZONE_RULES.lane_width_m, ZONE_RULES.max_depth_m,
            ZONE_RULES.max_distance_m) == (20, 6, 30, 40)


def test_a_120_m_frontage_crossing_two_grids_at_80_m_counts_80_and_40():
    front = LineString([(X0, Y0 + 50), (X0 + 120, Y0 + 50)])
    pieces = split_by_grids([front], TWO_GRIDS)
    assert pieces["grid"].tolist() == [0, 1]
    assert pieces["length_m"].tolist() == pytest.approx([80, 40])
    assert shapely.length(pieces["geometry"]).tolist() == pytest.approx([80, 40])


def test_a_zone_polygon_is_split_by_its_area_share_of_its_street_length():
    zone = box(X0, Y0 + 40, X0 + 120, Y0 + 50)  # 120 m along the street, 10 m deep
    pieces = split_by_grids([zone], TWO_GRIDS)
    assert pieces["length_m"].tolist() == pytest.approx([80, 40])


def test_a_front_along_a_shared_grid_edge_counts_once():
    front = LineString([(X0 + 80, Y0 + 10), (X0 + 80, Y0 + 70)])  # on the edge between the two grids
    pieces = split_by_grids([front], TWO_GRIDS)
    assert pieces["length_m"].sum() == pytest.approx(60) and pieces["grid"].tolist() == [0]


def test_a_front_outside_every_grid_has_no_piece_and_no_grids_give_an_empty_frame():
    far = LineString([(X0 + 1000, Y0), (X0 + 1010, Y0)])
    assert split_by_grids([far], TWO_GRIDS).empty
    assert list(split_by_grids([far], [])) == ["frontage", "grid", "length_m", "geometry"]


def test_a_zone_length_is_the_longer_side_of_its_rotated_rectangle():
    zone = affinity.rotate(box(0, 0, 40, 8), 30, origin=(0, 0))
    line = LineString([(0, 0), (30, 40)])
    slanted = shapely.Polygon([(0, 0), (40, 0), (46, 8), (6, 8)])  # its minimum rectangle is 46 × 8
    assert frontage_length([zone, line, None, slanted]).tolist() == pytest.approx([40, 50, 0, 46])


def test_where_grids_overlap_a_front_counts_once():
    overlapping = [box(X0, Y0, X0 + 90, Y0 + 100), box(X0 + 80, Y0, X0 + 200, Y0 + 100)]  # 10 m shared
    pieces = split_by_grids([LineString([(X0, Y0 + 50), (X0 + 120, Y0 + 50)])], overlapping)
    assert pieces["length_m"].tolist() == pytest.approx([90, 30])


def test_nearest_road_and_its_distance_within_a_maximum():
    roads = [LineString([(X0, Y0), (X0 + 200, Y0)]), LineString([(X0, Y0 + 100), (X0 + 200, Y0 + 100)])]
    index, distance = nearest_road([Point(X0 + 50, Y0 + 30), Point(X0 + 50, Y0 + 90), Point(X0, Y0 + 500)],
                                   roads, max_distance=40)
    assert index.tolist() == [0, 1, -1]
    assert distance[:2].tolist() == pytest.approx([30, 10]) and np.isnan(distance[2])


def test_a_shop_point_becomes_a_segment_of_its_width_parallel_to_the_road_at_its_distance():
    road = LineString([(X0, Y0), (X0 + 200, Y0)])
    north, south = points_to_segments([Point(X0 + 50, Y0 + 12), Point(X0 + 120, Y0 - 7)], [8, 15], [road])
    assert north.length == pytest.approx(8) and south.length == pytest.approx(15)
    assert [shapely.distance(Point(c), road) for c in north.coords] == pytest.approx([12, 12])
    assert [shapely.distance(Point(c), road) for c in south.coords] == pytest.approx([7, 7])
    assert north.centroid.equals_exact(Point(X0 + 50, Y0 + 12), 1e-6)
    assert min(c[1] for c in south.coords) == pytest.approx(Y0 - 7)  # on the point's side


def test_on_a_diagonal_road_the_segment_follows_the_road():
    road = LineString([(X0, Y0), (X0 + 100, Y0 + 100)])
    point = Point(X0 + 40, Y0 + 60)  # 10·√2 m from the road, on its north-west side
    (segment,) = points_to_segments([point], 20, [road])
    dx, dy = np.diff(np.asarray(segment.coords), axis=0)[0]
    assert dx == pytest.approx(dy) and segment.length == pytest.approx(20)
    assert [shapely.distance(Point(c), road) for c in segment.coords] == pytest.approx([10 * 2 ** 0.5] * 2)


def test_a_point_with_no_road_within_reach_has_no_segment():
    road = LineString([(X0, Y0), (X0 + 200, Y0)])
    assert points_to_segments([Point(X0, Y0 + 500)], [8], [road], max_distance=40).tolist() == [None]
    with pytest.raises(ValueError, match="widths_m"):
        points_to_segments([Point(X0, Y0 + 5)], [0], [road])


@pytest.mark.parametrize("status, expires_on, expected", [
    ("signed", dt.date(2026, 2, 28), "expired"),   # expired yesterday
    ("signed", dt.date(2026, 3, 1), "signed"),     # the day of expiry still counts
    ("signed", "2027-01-01", "signed"),
    ("signed", None, "signed"),                    # no expiry
    ("refused", dt.date(2020, 1, 1), "refused"),
    ("not_visited", None, "not_visited"),
])
def test_expiry_on_a_frozen_date(status, expires_on, expected):
    assert effective_status(status, expires_on, TODAY) == expected


def test_expiry_vectorised_and_the_expiring_window():
    statuses = ["signed", "signed", "signed", "expired", "signed"]
    ends = ["2026-03-31", "2026-04-01", "2026-02-01", "2026-03-10", None]
    assert effective_statuses(statuses, ends, TODAY).tolist() == ["signed", "signed", "expired", "expired", "signed"]
    assert expiring(statuses, ends, TODAY, 30).tolist() == [True, False, False, False, False]
    with pytest.raises(ValueError, match="today"):
        effective_statuses(statuses, ends, None)


def test_the_domain_reads_no_clock():
    sources = [p.read_text(encoding="utf-8") for p in (Path(__file__).resolve().parents[1] / "grids" / "frontages").glob("*.py")]
    assert not [s for s in sources if "today()" in s or "now()" in s]


def _check_char(first17: str) -> str:
    """The GB 32100-2015 check character, from the standard's weights and character set."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    return chars[(31 - sum(chars.index(c) * w for c, w in zip(first17, weights)) % 31) % 31]


def test_a_published_credit_code_verifies():
    assert _check_char("91350100M000100Y4") == "3"
    assert check_credit_code("91350100M000100Y43") is None


def test_a_computed_credit_code_verifies_and_one_changed_character_does_not():
    body = "92450203MA5K12345"
    good = body + _check_char(body)
    assert check_credit_code(good) is None
    wrong = "0" if good[-1] != "0" else "1"
    assert "check character" in check_credit_code(good[:-1] + wrong)


@pytest.mark.parametrize("code, reason", [
    ("91350100M000100Y4", "18 characters"),
    ("91350100M000100I43", "'I'"),
    ("91350100m000100Y43", "use capitals"),
    ("9135AB00M000100Y43", "administrative division"),
    (91350100, "must be text"),
])
def test_bad_credit_codes_are_named(code, reason):
    assert reason in check_credit_code(code)


@pytest.mark.parametrize("highway, kind", [("primary", "main"), ("tertiary_link", "main"), ("residential", "lane"),
                                           ("service", "lane"), ("footway", None), (None, None)])
def test_road_kind_from_osm_highway(highway, kind):
    assert road_kind(highway) == kind


# ---- the zone rule ------------------------------------------------------------------------------

MAIN = LineString([(X0 - 100, Y0), (X0 + 300, Y0)])          # a main road along y = 0, 20 m wide by default
LANE = LineString([(X0 - 100, Y0 + 100), (X0 + 300, Y0 + 100)])  # a lane along y = 100


def zones_of(buildings, roads=(MAIN, LANE), kinds=("main", "lane"), widths=None, rules=ZONE_RULES):
    return derive_zones(buildings, list(roads), list(kinds), widths, rules)


def test_on_a_main_road_the_zone_runs_from_the_wall_to_the_kerb():
    (row,) = zones_of([box(X0 + 10, Y0 + 15, X0 + 40, Y0 + 27)]).itertuples()
    assert (row.road, row.kind, row.length_m) == (0, "main", pytest.approx(30))
    assert row.depth_m == pytest.approx(15 - 10)  # the wall 15 m from the centreline, the kerb 10 m
    assert row.zone.normalize().equals_exact(box(X0 + 10, Y0 + 10, X0 + 40, Y0 + 15).normalize(), 1e-6)
    assert row.front.length == pytest.approx(30) and row.front.distance(MAIN) == pytest.approx(15)


def test_on_a_lane_the_zone_runs_from_the_wall_to_the_centreline():
    (row,) = zones_of([box(X0 + 10, Y0 + 106, X0 + 25, Y0 + 118)]).itertuples()
    assert (row.road, row.kind, row.depth_m, row.length_m) == (1, "lane", pytest.approx(6), pytest.approx(15))
    assert row.zone.area == pytest.approx(15 * 6) and row.zone.distance(LANE) == pytest.approx(0)


def test_the_road_width_sets_the_kerb_and_the_depth_is_capped():
    building = box(X0 + 10, Y0 + 15, X0 + 40, Y0 + 27)
    assert zones_of([building], widths=[24, None])["depth_m"].tolist() == pytest.approx([3])
    assert zones_of([building], widths=[30, None]).empty  # the wall stands at the kerb: no zone
    far = box(X0 + 10, Y0 + 135, X0 + 40, Y0 + 150)     # 35 m north of the lane
    assert zones_of([far])["depth_m"].tolist() == pytest.approx([30])
    assert zones_of([box(X0, Y0 + 145, X0 + 30, Y0 + 160)]).empty  # 45 m away: faces no road


def test_a_corner_building_has_one_front_per_road_and_sideways_stays_within_its_walls():
    cross = LineString([(X0 + 60, Y0 - 100), (X0 + 60, Y0 + 300)])
    rows = zones_of([box(X0 + 30, Y0 + 15, X0 + 50, Y0 + 40)], roads=[MAIN, cross], kinds=["main", "lane"])
    assert sorted(zip(rows["road"], rows["length_m"].round(6), rows["depth_m"].round(6))) == [(0, 20, 5), (1, 25, 10)]
    main, lane = rows.set_index("road").geometry.bounds.sort_index().to_numpy()
    assert main.tolist() == pytest.approx([X0 + 30, Y0 + 10, X0 + 50, Y0 + 15])  # between its side walls
    assert lane.tolist() == pytest.approx([X0 + 50, Y0 + 15, X0 + 60, Y0 + 40])


def test_the_front_is_the_part_of_the_wall_the_road_runs_along():
    stub = LineString([(X0, Y0 + 200), (X0 + 20, Y0 + 200)])  # ends halfway along the wall
    (row,) = zones_of([box(X0 + 10, Y0 + 205, X0 + 50, Y0 + 215)], roads=[stub], kinds=["lane"]).itertuples()
    assert row.length_m == pytest.approx(10) and row.zone.area == pytest.approx(10 * 5)


def test_a_building_behind_another_faces_no_road_and_neighbours_do_not_block_each_other():
    front, behind = box(X0 + 10, Y0 + 15, X0 + 40, Y0 + 27), box(X0 + 10, Y0 + 32, X0 + 40, Y0 + 45)
    neighbour = box(X0 + 40, Y0 + 15, X0 + 60, Y0 + 27)  # shares a wall with the front building
    rows = zones_of([front, behind, neighbour], roads=[MAIN], kinds=["main"])
    assert rows["building"].tolist() == [0, 2] and rows["length_m"].tolist() == pytest.approx([30, 20])


def test_unknown_road_kinds_and_degrees_are_refused():
    with pytest.raises(ValueError, match="unknown road kind"):
        zones_of([box(X0, Y0 + 15, X0 + 10, Y0 + 25)], kinds=["main", "footway"])
    with pytest.raises(ValueError, match="projected CRS"):
        derive_zones(gpd.GeoSeries([box(108, 24, 108.001, 24.001)], crs="EPSG:4326"), [MAIN], ["main"])


@pytest.fixture(scope="module")
def longgang(shared_data):
    """Buildings and roads of the Shenzhen Longgang OSM extract, in their Gauss-Krüger zone."""
    folder = shared_data / "osm-shenzhen-longgang"
    areas = gpd.read_file(folder / "shenzhen_longgang_multipolygons.geojson")
    lines = gpd.read_file(folder / "shenzhen_longgang_lines.geojson")
    buildings = areas[areas["building"].notna()]
    roads = lines.assign(kind=[road_kind(h) for h in lines["highway"]]).dropna(subset=["kind"])
    metric = metric_crs_for(buildings.geometry.array)
    return buildings.to_crs(metric).reset_index(drop=True), roads.to_crs(metric).reset_index(drop=True)


def test_zones_of_the_longgang_extract_follow_the_rule(longgang):
    buildings, roads = longgang
    zones = derive_zones(buildings.geometry, roads.geometry, roads["kind"])
    assert zones.crs.to_epsg() == 4547 and len(buildings) == 139
    gap = buildings.distance(roads.union_all()).to_numpy()
    facing = set(zones["building"])
    assert facing <= set(np.flatnonzero(gap <= 40))                     # no front beyond 40 m of every road
    near = set(np.flatnonzero(gap <= 10))
    assert len(near & facing) >= 0.9 * len(near) and len(near) >= 50     # nearly every building by a road
    road_of = roads.geometry.array[zones["road"]]
    reach = shapely.distance(zones.geometry.array, road_of)
    uncapped = zones["depth_m"].to_numpy() < 30
    lane, main = (zones["kind"] == "lane").to_numpy(), (zones["kind"] == "main").to_numpy()
    assert lane.sum() > 100 and main.sum() > 20
    assert reach[lane & uncapped].max() < 1e-6                          # lanes: to the centreline
    assert np.median(reach[main & uncapped]) == pytest.approx(10, abs=0.1) and reach[main].max() <= 10 + 1e-6
    outline = buildings.geometry.array[zones["building"]]
    ends = [shapely.distance(shapely.points(np.asarray(f.coords)), o.boundary).max()
            for f, o in zip(zones["front"], outline)]
    assert max(ends) < 1.0                                              # a front lies on its wall
    perimeter = buildings.boundary.length.to_numpy()
    per_building = zones.groupby("building")["length_m"].sum()
    assert (per_building <= perimeter[per_building.index] + 1e-6).all()
    inside = shapely.area(shapely.intersection(zones.geometry.array, buildings.union_all())) / zones.area
    assert inside.max() < 0.2                                           # zones lie outside the buildings
