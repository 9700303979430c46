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
