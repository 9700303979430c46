"""Input limits: malformed queries, deep JSON, the 999-grid code rule, feature and vertex caps, coordinates."""
import numpy as np
import orjson
import pytest
import shapely
from shapely.geometry import box

from conftest import COMMUNITY, X0, Y0, feature_collection, to_lonlat
from gis_app.errors import ValidationFailed
from gis_app.imports import import_file
from gis_app.storage import repository as repo
from gis_app.storage import session_scope
from grids.coordinate_checks import suggest_crs
from grids.limits import JSONInputError, loads_json

LON, LAT = 109.40, 24.30  # inside community 450203008001 of the tiny city


def register_state(engine):
    with session_scope(engine) as s:
        grids = repo.load_grids(s, retired=True)
        return sorted(grids["code"]), repo.register_version(s)


def lonlat_file(path, geometries, props=None):
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props or {"name": f"g{i}", "community": COMMUNITY}, "geometry": g}
        for i, g in enumerate(geometries)]}, option=orjson.OPT_SERIALIZE_NUMPY))
    return path


def refusal(engine, app, layer, path, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as caught:
        import_file(engine, app.config, layer, path, dry_run=kwargs.pop("dry_run", True), **kwargs)
    return str(caught.value)


BAD_BBOX = ["1.2.3,2,3,4", "1,2,3", "1,2,3,4,5", "3,4,1,2", "nan,0,1,1", "inf,0,1,1", "1e400,0,1,1",
            "-1e308,-1e308,1e308,1e308", ",,,", "a,b,c,d", "-200,-100,200,100", "0x1,2,3,4"]
BAD_QUERIES = ([f"/api/v1/grids?bbox={b}" for b in BAD_BBOX] + [f"/ogc/collections/grids/items?bbox={b}" for b in BAD_BBOX]
               + [f"/api/v1/grids?limit={v}" for v in ("-1", "0", "99999999999999999999", "abc", "9" * 5000)]
               + [f"/ogc/collections/grids/items?{k}={v}" for k in ("limit", "offset")
                  for v in ("-1", "99999999999999999999999", "abc", "9" * 5000)]
               + [f"/ogc/collections/grids/items?datetime={v}" for v in ("garbage", "2020-13-45", "../..", "/", "1" * 100)]
               + ["/api/v1/people?limit=-5", "/api/v1/audit?after=-1", "/api/v1/search?q=%00",
                  "/api/v1/grids?type=%00", "/api/v1/locate?lon=nan&lat=nan", "/api/v1/locate?lon=1e308&lat=1e308",
                  "/api/v1/grids?simplify=nan"])


def test_a_malformed_query_is_a_4xx_problem_never_a_500(loaded):
    client = loaded.test_client()
    answers = {url: client.get(url) for url in BAD_QUERIES}
    assert not {url: r.status_code for url, r in answers.items() if r.status_code >= 500}
    refused = {url: r for url, r in answers.items() if r.status_code >= 400}
    assert {r.mimetype for r in refused.values()} == {"application/problem+json"}
    # OGC API Features lets a server cap a huge limit or offset (200, at most 10,000 items): /api/v1 refuses all.
    assert {url for url in answers if url.startswith("/api/")} <= set(refused)


def test_the_bbox_of_the_issue_names_what_is_wrong(client):
    body = client.get("/api/v1/grids?bbox=1.2.3,2,3,4").get_json()
    assert body["status"] == 422 and "four finite numbers" in body["detail"]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("method, url", [("post", "/api/v1/grids"), ("post", "/api/v1/people"),
                                         ("patch", "/api/v1/grids/450203008001001"),
                                         ("put", "/api/v1/grids/450203008001001/roles")])
def test_a_deeply_nested_body_is_a_400_naming_the_depth_limit(loaded, token, method, url):
    headers = {**token("admin"), "Content-Type": "application/json", "If-Match": '"450203008001001-v1"'}
    for depth in (100, 300, 1000, 5000, 100_000):
        body = '{"type": "Feature", "properties": {"name": "x", "deep": %s}, "geometry": null}' % nested(depth)
        response = getattr(loaded.test_client(), method)(url, data=body, headers=headers)
        assert response.status_code == 400, depth
        assert "nested more than 64 levels" in response.get_data(as_text=True)


def test_one_parser_one_limit_for_bodies_and_files():
    assert loads_json(nested(64)) == loads_json(nested(64))
    for text in (nested(65), nested(2000), '{"a": NaN}', "[1e400]"):
        with pytest.raises(JSONInputError):
            loads_json(text)


def test_a_nan_in_an_api_body_is_refused(client, token):
    response = client.post("/api/v1/people", data='{"phone": "13800000000", "name": NaN}',
                           headers={**token("admin"), "Content-Type": "application/json"})
    assert response.status_code == 400


def grid_lattice(n: int) -> list[dict]:
    """n code-less grids in a lattice inside community 450203008001 (400 m x 300 m)."""
    k = int(np.ceil(np.sqrt(n)))
    side = 290.0 / k
    cells = [box(X0 + (i % k) * side, Y0 + (i // k) * side, X0 + (i % k + 1) * side, Y0 + (i // k + 1) * side)
             for i in range(n)]
    lonlat = shapely.set_precision(np.asarray(to_lonlat(shapely.GeometryCollection(cells)).geoms), 1e-9)  # one transform
    return [{"type": "Feature", "properties": {"name": f"g{i}", "community": COMMUNITY},
             "geometry": shapely.geometry.mapping(cell)} for i, cell in enumerate(lonlat)]


def test_a_thousand_new_grids_in_one_community_are_refused_naming_the_999_rule(loaded, engine, tmp_path):
    path = tmp_path / "many.geojson"
    path.write_bytes(feature_collection(grid_lattice(1000)))
    before = register_state(engine)
    message = refusal(engine, loaded, "grids", path, dry_run=False)
    assert "at most 999 grids" in message and "995 remain" in message  # the tiny city uses 001..004
    assert register_state(engine) == before


def test_the_api_import_of_a_thousand_grids_is_a_422(loaded, engine, token, tmp_path):
    response = loaded.test_client().post("/api/v1/import/grids", data=feature_collection(grid_lattice(1000)),
                                         headers={**token("admin"), "Content-Type": "application/geo+json"})
    assert response.status_code == 422 and "at most 999 grids" in response.get_data(as_text=True)


def test_a_hundred_thousand_features_are_refused_by_the_feature_cap(loaded, engine, tmp_path):
    side = 1e-6
    cells = [{"type": "Polygon", "coordinates": [[[LON + i % 300 * side, LAT + i // 300 * side],
                                                  [LON + i % 300 * side + side, LAT + i // 300 * side],
                                                  [LON + i % 300 * side + side, LAT + i // 300 * side + side],
                                                  [LON + i % 300 * side, LAT + i // 300 * side]]]} for i in range(100_000)]
    for cell in cells:
        cell["coordinates"][0].append(cell["coordinates"][0][0])
    message = refusal(engine, loaded, "grids", lonlat_file(tmp_path / "100k.geojson", cells))
    assert "100,000 features" in message and "50,000" in message and "SANIGRID_MAX_IMPORT_FEATURES" in message


def zigzag(n: int) -> dict:
    xs = np.linspace(LON, LON + 0.001, n - 3)
    top = np.column_stack([xs, LAT + 0.0005 + np.where(np.arange(n - 3) % 2, 0.0002, 0.0)])
    return {"type": "Polygon", "coordinates": [np.vstack([[[LON, LAT]], top, [[LON + 0.001, LAT]], [[LON, LAT]]])]}


def square(n: int) -> dict:
    t = np.linspace(0, 0.001, n // 4, endpoint=False)
    one, zero = np.full_like(t, 0.001), np.zeros_like(t)
    ring = np.vstack([np.column_stack([t, zero]), np.column_stack([one, t]), np.column_stack([0.001 - t, one]),
                      np.column_stack([zero, 0.001 - t]), [[0.0, 0.0]]]) + [LON, LAT]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def geos_spy(monkeypatch):
    """Record the largest vertex count any call of GEOS's expensive functions received (calls pass through)."""
    seen = {}
    for name in ("set_precision", "make_valid", "is_valid", "is_valid_reason", "orient_polygons", "intersection"):
        real = getattr(shapely, name)

        def spy(geom, *args, _real=real, _name=name, **kwargs):
            counts = shapely.get_num_coordinates(np.asarray(geom, dtype=object).ravel()) if geom is not None else [0]
            seen[_name] = max(seen.get(_name, 0), int(max(counts, default=0)))
            return _real(geom, *args, **kwargs)
        monkeypatch.setattr(shapely, name, spy)
    return seen


@pytest.mark.parametrize("shape", [zigzag, square])
def test_a_million_vertex_polygon_is_refused_before_geos_works_on_it(loaded, engine, tmp_path, geos_spy, shape):
    path = lonlat_file(tmp_path / "big.geojson", [shape(1_000_000)])
    message = refusal(engine, loaded, "grids", path)
    assert "vertices; at most 50,000 are accepted (setting SANIGRID_MAX_VERTICES_PER_GEOMETRY)" in message
    assert max(geos_spy.values(), default=0) <= 50_000, geos_spy


def test_the_per_file_vertex_cap_refuses_the_whole_file(settings, files, tmp_path):
    from gis_app import create_app
    from gis_app.storage import upgrade
    app = create_app({**settings, "SANIGRID_MAX_VERTICES_PER_FILE": 19})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    message = refusal(app.extensions["sanigrid.engine"], app, "grids", files["grids"])  # 4 grids x 5 vertices
    assert "20 vertices; at most 19" in message and "SANIGRID_MAX_VERTICES_PER_FILE" in message


def test_metres_read_as_lonlat_are_refused_naming_the_feature_and_suggesting_a_crs(loaded, engine, tmp_path):
    path = tmp_path / "metres.geojson"
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "a", "community": COMMUNITY},
         "geometry": shapely.geometry.mapping(box(X0, Y0, X0 + 100, Y0 + 100))}]}))
    message = refusal(engine, loaded, "grids", path)
    assert "feature 0" in message and "look like metres" in message and "--crs EPSG:4545" in message
    given = refusal(engine, loaded, "grids", path, crs="EPSG:4545")  # read right, it overlaps grid 001
    assert "overlaps grid 450203008001003" in given and "metres" not in given


def test_a_zone_prefix_gives_the_crs_away():
    assert "--crs EPSG:4524" in suggest_crs(36_642_000.0, 2_690_000.0)  # CGCS2000 3-degree zone 36 (CM 108°E)
    assert "--crs EPSG:4497" in suggest_crs(19_540_000.0, 2_690_000.0)  # CGCS2000 6-degree zone 19 (CM 111°E)


@pytest.mark.parametrize("crs, x, y, words", [
    (None, 1e308, 1.0, "neither longitude/latitude nor metres"),
    ("EPSG:4545", 1e308, 1.0, "outside the area of use of EPSG:4545"),
    ("EPSG:4545", 108.5, 24.3, "they look like degrees"),
    (None, 24.3, 109.4, "are longitude and latitude swapped"),
])
def test_impossible_coordinates_are_refused_with_a_message(loaded, engine, tmp_path, crs, x, y, words):
    ring = [[x, y], [x + 1e-3, y], [x + 1e-3, y + 1e-3], [x, y + 1e-3], [x, y]]
    path = lonlat_file(tmp_path / "bad.geojson", [{"type": "Polygon", "coordinates": [ring]}])
    message = refusal(engine, loaded, "grids", path, crs=crs)
    assert "feature 0" in message and words in message


def test_a_grid_outside_the_metric_crs_area_of_use_is_refused(settings, files, tmp_path):
    from gis_app import create_app
    from gis_app.storage import upgrade
    app = create_app({**settings, "SANIGRID_METRIC_CRS": "EPSG:4545"})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    ring = [[120.0, 30.0], [120.001, 30.0], [120.001, 30.001], [120.0, 30.0]]
    path = lonlat_file(tmp_path / "far.geojson", [{"type": "Polygon", "coordinates": [ring]}])
    message = refusal(app.extensions["sanigrid.engine"], app, "grids", path)
    assert "outside the area of use of the metric CRS EPSG:4545" in message
