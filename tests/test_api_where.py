"""/api/v1/regions, /api/v1/locate and /api/v1/staffing."""
import numpy as np
import pytest
import shapely

from conftest import COMMUNITY, X0, Y0, to_lonlat
from grids.crs import wgs84_to_gcj02

G1 = f"{COMMUNITY}001"


def _inside_g1():
    return to_lonlat(shapely.Point(X0 + 100, Y0 + 225))


def test_regions_list_filters_by_level_and_parent(loaded, client):
    assert [r["code"] for r in client.get("/api/v1/regions?level=community").get_json()] == [
        COMMUNITY, "450203008002"]
    assert [r["code"] for r in client.get("/api/v1/regions?parent=450203").get_json()] == ["450203008"]


def test_region_is_a_feature_with_its_boundary(loaded, client):
    body = client.get("/api/v1/regions/450203008").get_json()
    assert body["properties"]["name"] == "阳和街道" and body["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize("code, status", [("450299", 404), ("4502031", 422)])
def test_region_errors(loaded, client, code, status):
    assert client.get(f"/api/v1/regions/{code}").status_code == status


def test_locate_names_grid_regions_and_people(loaded, client, token):
    client.put(f"/api/v1/grids/{G1}/roles", json={"roles": [{"phone": "13800000001", "name": "张三",
                                                             "role": "leader"}]}, headers={**token(), "If-Match": "*"})
    p = _inside_g1()
    body = client.get(f"/api/v1/locate?lon={p.x}&lat={p.y}").get_json()
    assert (body["grid"]["code"], body["community"]["name"], body["district"]["code"]) == (G1, "阳和社区", "450203")
    assert body["people"][0]["name"] == "张三"


def test_locate_converts_gcj02(loaded, client):
    p = _inside_g1()
    lon, lat = wgs84_to_gcj02(np.array([p.x]), np.array([p.y]))
    body = client.get(f"/api/v1/locate?lon={lon[0]}&lat={lat[0]}&crs=gcj02").get_json()
    assert body["grid"]["code"] == G1 and abs(body["lon"] - p.x) < 1e-6


@pytest.mark.parametrize("query, status", [("lon=0&lat=0", 404), ("lon=abc&lat=1", 422), ("lat=1", 422),
                                           ("lon=500&lat=1", 422), ("lon=1&lat=1&crs=nonsense", 422),
                                           ("lon=nan&lat=1", 422)])
def test_locate_errors(loaded, client, query, status):
    resp = client.get(f"/api/v1/locate?{query}")
    assert resp.status_code == status and resp.mimetype == "application/problem+json"


def test_staffing_rolls_up(loaded, client):
    body = client.get("/api/v1/staffing?street=450203008").get_json()
    assert len(body["grids"]) == 4 and {g["status"] for g in body["grids"]} == {"unstaffed"}
    assert {r["level"] for r in body["rollup"]} >= {"street", "community"}


@pytest.mark.parametrize("query, status", [("district=450299", 404), ("district=450203&street=450203008", 422),
                                           ("community=12", 422)])
def test_staffing_errors(loaded, client, query, status):
    assert client.get(f"/api/v1/staffing?{query}").status_code == status


def test_locate_follows_role_changes(loaded, client, token):
    p = _inside_g1()
    assert client.get(f"/api/v1/locate?lon={p.x}&lat={p.y}").get_json()["people"] == []
    client.put(f"/api/v1/grids/{G1}/roles", json={"roles": [{"phone": "13800000001", "name": "张三",
                                                             "role": "leader"}]}, headers={**token(), "If-Match": "*"})
    assert client.get(f"/api/v1/locate?lon={p.x}&lat={p.y}").get_json()["people"][0]["phone"] == "13800000001"


def test_cached_locate_answers_like_the_register(loaded, engine, client, token):
    from gis_app.api.where_query import locate_cached
    from gis_app.register import locate
    client.put(f"/api/v1/grids/{G1}/roles", json={"roles": [
        {"phone": "13800000001", "name": "张三", "role": "leader"},
        {"phone": "13800000002", "name": "李四", "role": "cleaner", "backup": "13800000001"}]}, headers={**token(), "If-Match": "*"})
    for x, y in [(100, 225), (300, 225), (100, 75), (300, 75)]:
        p = to_lonlat(shapely.Point(X0 + x, Y0 + y))
        assert locate_cached(engine, p.x, p.y) == locate(engine, p.x, p.y)
