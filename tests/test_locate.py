import numpy as np
import shapely
from shapely.geometry import box

from grids.locate import GridIndex


def test_points_land_in_the_grid_that_holds_them():
    index = GridIndex(["a", "b"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    codes = index.locate_xy(np.array([0.5, 1.5, 5.0]), np.array([0.5, 0.5, 5.0]))
    assert list(codes) == ["a", "b", None]


def test_index_agrees_with_brute_force_on_random_points():
    rng = np.random.default_rng(1)
    cells = [box(x, y, x + 1, y + 1) for x in range(10) for y in range(10)]
    index = GridIndex([f"{i}" for i in range(100)], cells)
    lon, lat = rng.uniform(-1, 11, 2000), rng.uniform(-1, 11, 2000)
    expected = [next((f"{i}" for i, c in enumerate(cells) if c.contains(shapely.Point(x, y))), None)
                for x, y in zip(lon, lat)]
    assert list(index.locate_xy(lon, lat)) == expected


def test_empty_index_and_bbox_query():
    assert list(GridIndex([], []).locate_xy([1.0], [1.0])) == [None]
    index = GridIndex(["a", "b"], [box(0, 0, 1, 1), box(5, 5, 6, 6)])
    assert list(index.query_bbox(0.5, 0.5, 2, 2)) == ["a"]


def test_the_responsible_shape_is_the_zone_holding_the_point_else_the_nearest_line_within_reach():
    from shapely.geometry import LineString
    from grids.locate import ResponsibleIndex
    shapes = [LineString([(0, 0), (10, 0)]), box(20, -5, 30, 5), box(22, -2, 25, 2), LineString([(0, 3), (10, 3)]),
              None]
    index = ResponsibleIndex(shapes)
    assert index.responsible(5, 1, tolerance=5) == (0, 1.0)       # nearer the first line than the second
    assert index.responsible(5, 2.5, tolerance=5) == (3, 0.5)
    assert index.responsible(5, 9, tolerance=5) is None              # 6 m off: out of reach
    assert index.responsible(23, 0, tolerance=5) == (2, 0.0)       # the smaller of two zones holding it
    assert index.responsible(28, 0, tolerance=5) == (1, 0.0)
    assert index.responsible(5, 1, tolerance=0) is None              # places: only a polygon holds a point
    assert ResponsibleIndex([]).responsible(0, 0, 5) is None
