"""grids.validation: Problem formatting, single and vectorised geometry checks, lon/lat ranges."""
from __future__ import annotations


import numpy as np
import pytest
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Point, Polygon, box

from grids.validation import Problem, check_geometries, check_geometry, check_lonlat_range, summarise_notes

BOWTIE = Polygon([(108.40, 24.30), (108.42, 24.32), (108.42, 24.30), (108.40, 24.32), (108.40, 24.30)])
SQUARE = box(108.40, 24.30, 108.41, 24.31)


def test_problem_names_feature_code_and_reason():
    assert str(Problem(3, "450202001001001", "ring not closed")) == "feature 3 (code 450202001001001): ring not closed"
    assert str(Problem(3, None, "geometry is empty")) == "feature 3: geometry is empty"
    assert str(Problem(None, None, "file is too big")) == "file is too big"
    assert str(Problem(None, "450202", "duplicate")) == "code 450202: duplicate"


def test_problem_is_frozen_and_comparable():
    with pytest.raises(AttributeError):
        Problem(1, None, "x").reason = "y"
    assert Problem(1, None, "x") == Problem(1, None, "x")


def test_valid_polygon_passes_unchanged():
    geom, reasons, notes = check_geometry(SQUARE)
    assert reasons == [] and notes == [] and geom.equals(SQUARE)


@pytest.mark.parametrize(("geom", "reason"), [
    (None, "geometry is missing"),
    (Polygon(), "geometry is empty"),
    ("POLYGON ((0 0, 1 0, 1 1, 0 0))", "not a geometry: str"),
    (Point(108.4, 24.3), "geometry is a Point; this layer needs Polygon or MultiPolygon"),
])
def test_refusals_say_why(geom, reason):
    assert check_geometry(geom) == (None, [reason], [])


def test_point_accepted_when_polygons_are_not_required():
    geom, reasons, _ = check_geometry(Point(108.4, 24.3), polygonal=False)
    assert reasons == [] and geom.equals(Point(108.4, 24.3))


def test_self_intersection_refused_with_location():
    geom, reasons, _ = check_geometry(BOWTIE)
    assert geom is None and reasons == ["invalid geometry: Self-intersection[108.41 24.31]"]


def test_make_valid_repairs_and_notes_it():
    geom, reasons, notes = check_geometry(BOWTIE, make_valid=True)
    assert reasons == [] and geom.is_valid and geom.geom_type == "MultiPolygon"
    assert notes == ["repaired: Self-intersection[108.41 24.31]"]


def test_repair_leaving_nothing_is_refused():
    flat = Polygon([(0, 0), (1, 1), (2, 2), (0, 0)])  # collapsed to a line
    geom, reasons, _ = check_geometry(flat, make_valid=True)
    assert geom is None and "repairing it left nothing" in reasons[0]


def test_z_dropped_with_note():
    geom, reasons, notes = check_geometry(Polygon([(0, 0, 5), (1, 0, 5), (1, 1, 5), (0, 0, 5)]))
    assert reasons == [] and not geom.has_z and notes == ["Z coordinates dropped"]


def test_non_finite_coordinates_refused():
    with np.errstate(invalid="ignore"):
        nan_poly = Polygon([(0, 0), (1, float("nan")), (1, 1), (0, 0)])
    geom, reasons, _ = check_geometry(nan_poly)
    assert geom is None and "not a finite number" in reasons[0]


def test_collection_of_polygons_converted_with_note():
    gc = GeometryCollection([box(0, 0, 1, 1), box(2, 0, 3, 1)])
    geom, reasons, notes = check_geometry(gc)
    assert reasons == [] and geom.geom_type == "MultiPolygon" and "converted to MultiPolygon" in notes[0]


def test_mixed_collection_refused_for_polygon_layers():
    _, reasons, _ = check_geometry(GeometryCollection([box(0, 0, 1, 1), Point(5, 5)]))
    assert reasons == ["geometry is a GeometryCollection; this layer needs Polygon or MultiPolygon"]


def test_consecutive_duplicate_vertices_dropped():
    geom, _, _ = check_geometry(Polygon([(0, 0), (1, 0), (1, 0), (1, 1), (0, 0)]))
    assert len(geom.exterior.coords) == 4


def test_lonlat_range():
    assert check_lonlat_range(SQUARE) is None
    assert check_lonlat_range(None) is None
    gauss_kruger = Polygon([(435000, 2700000), (436000, 2700000), (436000, 2701000), (435000, 2700000)])
    projected = check_lonlat_range(gauss_kruger)
    assert projected.startswith("coordinates (435000.0, 2700000.0) are not longitude/latitude")
    assert "--crs EPSG:n" in projected
    swapped = check_lonlat_range(Point(24.3, 109.4))
    assert "outside longitude [-180, 180] / latitude [-90, 90]" in swapped and "swapped" in swapped
    assert "(-190.5, 52.3)" in check_lonlat_range(Point(-190.5, 52.3))


def test_check_geometries_reports_index_and_code():
    geoms = [SQUARE, BOWTIE, None, Point(1, 1), Polygon([(0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 0, 1)])]
    codes = ["450202001001001", 450202001001002, None, "p", "z"]
    out, problems, notes = check_geometries(geoms, codes)
    assert out[0].equals(SQUARE) and out[1] is None and out[2] is None and out[3] is None
    assert not out[4].has_z
    assert [str(p) for p in problems] == [
        "feature 1 (code 450202001001002): invalid geometry: Self-intersection[108.41 24.31]",
        "feature 2: geometry is missing",
        "feature 3 (code p): geometry is a Point; this layer needs Polygon or MultiPolygon",
    ]
    assert notes == ["feature 4: Z coordinates dropped"]


def test_check_geometries_make_valid_and_no_codes():
    out, problems, notes = check_geometries([BOWTIE, SQUARE], make_valid=True)
    assert problems == [] and out[0].is_valid and notes == ["feature 0: repaired: Self-intersection[108.41 24.31]"]


def test_notes_summarised_for_many_features():
    assert summarise_notes({"Z coordinates dropped": list(range(8))}) == [
        "Z coordinates dropped: 8 features (0, 1, 2, 3, 4 and 3 more)"]


def test_check_geometries_on_20000_polygons_finds_the_one_bad():
    geoms = list(shapely.buffer(shapely.points(np.random.default_rng(1).random((20_000, 2))), 0.001, quad_segs=5))
    geoms[7] = BOWTIE
    out, problems, _ = check_geometries(geoms)
    assert [p.index for p in problems] == [7] and sum(g is not None for g in out) == 19_999


def test_multipolygon_accepted():
    mp = MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)])
    assert check_geometry(mp)[1] == []
