"""grids.frontages on hand-built geometry in EPSG:4545 whose lengths can be checked on paper."""
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, box

from grids.frontages import (ITEM_SETS, STATUSES, UNIT_KINDS, ZONE_RULES, check_credit_code, effective_status,
                             effective_statuses, expiring, frontage_length, nearest_road, points_to_segments,
                             road_kind, split_by_grids)

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
    assert frontage_length([zone, line, None]).tolist() == pytest.approx([40, 50, 0])


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
