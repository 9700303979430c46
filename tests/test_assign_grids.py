"""assign-grids domain: hand-made communities with known answers, exact tiling, bounds, roads, codes."""
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from grids.assign import (Bounds, draw_grids, estimate_households, make_atoms, match_codes, osm_levels,
                          polsby_popper, summary)

OUTLINE = box(0, 0, 400, 300)
CENTRES = np.array([[50 + 100 * i, 50 + 100 * j] for j in range(3) for i in range(4)], dtype=float)
ROADS = ([LineString([(100 * i, -10), (100 * i, 310)]) for i in (1, 2, 3)]
         + [LineString([(-10, 100 * j), (410, 100 * j)]) for j in (1, 2)])


def assert_tiles(outline, geoms):
    """No holes, no overlaps (grids are snap-rounded to 1 mm: within 1 m², the register's overlap tolerance)."""
    geoms = np.asarray(geoms, dtype=object)
    assert all(g.geom_type == "Polygon" and g.is_valid for g in geoms), "every grid is one valid polygon"
    assert shapely.area(geoms).sum() == pytest.approx(outline.area, abs=1.0)
    assert shapely.union_all(geoms).symmetric_difference(outline).area < 1.0


@pytest.mark.parametrize("roads", [None, ROADS], ids=["no roads", "road grid"])
def test_twelve_blocks_of_100_with_bounds_300_400_give_3_or_4_grids_all_within(roads):
    drawn = draw_grids(OUTLINE, CENTRES, np.full(12, 100), Bounds(300, 400), roads=roads)
    assert len(drawn.geoms) in (3, 4)
    assert all(300 <= h <= 400 for h in drawn.households)
    assert drawn.households.sum() == 1200
    assert all(r is None for r in drawn.reasons)
    assert_tiles(OUTLINE, drawn.geoms)


def test_edges_follow_the_roads_when_blocks_are_small_enough():
    drawn = draw_grids(OUTLINE, CENTRES, np.full(12, 100), Bounds(300, 400), roads=ROADS)
    lines = shapely.union_all(np.array([*ROADS, OUTLINE.boundary], dtype=object))
    for grid in drawn.geoms:
        assert grid.boundary.difference(lines.buffer(1e-6)).length == pytest.approx(0, abs=1e-6)


def test_random_community_of_2000_buildings_tiles_exactly_and_explains_every_exception():
    rng = np.random.default_rng(7)
    outline = shapely.Polygon([(0, 0), (3000, 0), (3000, 1200), (1500, 2000), (0, 1200)])  # not a box
    points = rng.uniform([0, 0], [3000, 2000], (4000, 2))
    points = points[shapely.contains_xy(outline, points[:, 0], points[:, 1])][:2000]
    households = rng.integers(5, 40, len(points))
    drawn = draw_grids(outline, points, households, Bounds(300, 500))
    assert_tiles(outline, drawn.geoms)
    assert drawn.households.sum() == households.sum()
    report = summary(drawn)
    assert report["within_bounds"] >= 0.95 * report["grids"]
    assert report["grids"] >= households.sum() // 500
    assert len(report["exceptions"]) == report["grids"] - report["within_bounds"]
    assert all(e["reason"] for e in report["exceptions"])
    assert 0.3 < report["polsby_popper_mean"] <= 1


def test_a_building_above_the_maximum_is_an_exception_with_its_reason():
    households = np.full(12, 100)
    households[5] = 900
    drawn = draw_grids(OUTLINE, CENTRES, households, Bounds(300, 400))
    out = [r for r in drawn.reasons if r]
    assert len(out) == 1 and "900" in out[0] and "cannot be split" in out[0]
    assert_tiles(OUTLINE, drawn.geoms)


def test_too_few_households_give_one_grid_that_says_so():
    drawn = draw_grids(OUTLINE, CENTRES[:3], np.array([50, 60, 70]), Bounds(300, 500))
    assert len(drawn.geoms) == 1 and drawn.households[0] == 180
    assert "too few" in drawn.reasons[0]
    assert_tiles(OUTLINE, drawn.geoms)


def test_a_community_in_two_pieces_is_tiled_piece_by_piece():
    outline = shapely.MultiPolygon([box(0, 0, 400, 300), box(1000, 0, 1400, 300)])
    points = np.vstack([CENTRES, CENTRES + [1000, 0]])
    drawn = draw_grids(outline, points, np.full(24, 100), Bounds(300, 400))
    assert all(300 <= h <= 400 for h in drawn.households)
    assert shapely.area(drawn.geoms).sum() == pytest.approx(outline.area)
    for grid in drawn.geoms:  # no grid spans both pieces
        assert grid.geom_type == "Polygon"


def test_atoms_tile_the_outline_and_know_their_neighbours():
    atoms = make_atoms(OUTLINE, CENTRES, np.full(12, 100), ROADS, split_above=1000)
    assert len(atoms) == 12  # the road grid's 12 blocks, none split
    assert atoms.households.tolist() == [100] * 12
    assert len(atoms.edges) == 17  # rook neighbours of a 4 × 3 lattice
    assert atoms.shared == pytest.approx(np.full(17, 100.0))


def test_polsby_popper_of_a_square_and_a_strip():
    assert polsby_popper([box(0, 0, 10, 10)])[0] == pytest.approx(np.pi / 4)
    assert polsby_popper([box(0, 0, 100, 1)])[0] < 0.04


def test_household_estimate_from_footprint_and_floors():
    got = estimate_households([1000, 1000, 1000, 300], [None, 10, None, None], ["apartments", "yes", "school", "house"])
    assert got.tolist() == [60, 100, 0, 6]  # 1000 m² × 6 / 100; × 10 / 100; school 0; 300 × 2 / 100
    assert osm_levels('"addr:street"=>"x","building:levels"=>"18"') == 18
    assert osm_levels('"name"=>"x"') is None and osm_levels(None) is None


def test_codes_pass_to_grids_that_are_mostly_the_same_and_only_once():
    old = [box(0, 0, 100, 100), box(100, 0, 200, 100)]
    new = [box(0, 0, 100, 110), box(100, 0, 130, 100), box(130, 0, 200, 100)]
    assert match_codes(new, ["A", "B"], old) == ["A", None, "B"]


def test_bounds_are_checked():
    with pytest.raises(ValueError):
        Bounds(500, 300)
    with pytest.raises(ValueError):
        Bounds(0, 300)
