"""The viewer's server side: the page, grid tiles with caching headers, search, the layer registry."""
from __future__ import annotations

import json
import re

import mercantile
import orjson
import pytest

from conftest import BACKEND, COMMUNITY
from gis_app.storage.tiles import tile_bounds

G1 = f"{COMMUNITY}001"


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    tile = mercantile.tile(lon, lat, z)
    return tile.x, tile.y


def _tiny_city_tile(client, z: int):
    box = client.get(f"/api/v1/grids/{G1}").get_json()["geometry"]["coordinates"][0][0]
    x, y = _tile_of(box[0], box[1], z)
    return f"/tiles/grids/{z}/{x}/{y}.geojson"


def test_viewer_page_loads_only_local_assets(loaded):
    text = loaded.test_client().get("/").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', text)
    assert urls and all(u.startswith(("/", "?")) for u in urls), urls
    assert "cdn" not in text.lower() and "@latest" not in text


def test_empty_register_viewer_says_so(client):
    assert "登记册为空" in client.get("/").get_data(as_text=True)


def test_tile_holds_the_grids_it_touches_with_their_status(loaded):
    client = loaded.test_client()
    body = orjson.loads(client.get(_tiny_city_tile(client, 14)).data)
    assert sorted(f["properties"]["code"] for f in body["features"]) == [f"{COMMUNITY}{i:03d}" for i in range(1, 5)]
    assert {f["properties"]["status"] for f in body["features"]} == {"unstaffed"}


def test_tile_far_away_is_empty(loaded):
    body = orjson.loads(loaded.test_client().get("/tiles/grids/14/0/0.geojson").data)
    assert body == {"type": "FeatureCollection", "features": []}


def test_low_zoom_tiles_are_simplified_and_high_zoom_tiles_exact(loaded):
    client = loaded.test_client()
    stored = client.get(f"/api/v1/grids/{G1}").get_json()["geometry"]["coordinates"][0]
    exact = orjson.loads(client.get(_tiny_city_tile(client, 18)).data)
    rings = {f["properties"]["code"]: f["geometry"]["coordinates"][0] for f in exact["features"]}
    assert rings[G1] == stored
    coarse = orjson.loads(client.get(_tiny_city_tile(client, 8)).data)
    text = orjson.dumps(coarse["features"][0]["geometry"]).decode()
    assert max(len(d) for d in re.findall(r"\.(\d+)", text)) <= 4


def test_tile_caching_headers_and_revalidation(loaded, token):
    client = loaded.test_client()
    path = _tiny_city_tile(client, 14)
    first = client.get(path + "?v=0")
    version = first.headers["ETag"].split("-")[0].removeprefix('W/"r')
    current = client.get(f"{path}?v={version}")
    assert current.headers["Cache-Control"] == "public, max-age=86400" and first.headers["Cache-Control"] == "no-cache"
    assert client.get(path, headers={"If-None-Match": current.headers["ETag"]}).status_code == 304
    etag = client.get(f"/api/v1/grids/{G1}").headers["ETag"]
    client.patch(f"/api/v1/grids/{G1}", json={"properties": {"name": "改名"}}, headers={**token(), "If-Match": etag})
    assert client.get(path, headers={"If-None-Match": current.headers["ETag"]}).status_code == 200


@pytest.mark.parametrize("path", ["/tiles/grids/3/0/0.geojson", "/tiles/grids/14/16384/0.geojson",
                                  "/tiles/grids/21/0/0.geojson", "/tiles/grids/14/0/16384.mvt",
                                  "/tiles/grids/4/0/0.mvt"])
def test_impossible_tiles_are_refused_as_problems(client, path):
    response = client.get(path)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/tiles/grids/14/-1/0.geojson", "/tiles/grids/14/0/0.pbf",
                                  "/tiles/grids/x/0/0.mvt"])
def test_tile_urls_the_server_does_not_have_are_not_found(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_vector_tiles_need_postgis(loaded):
    client = loaded.test_client()
    response = client.get(_tiny_city_tile(client, 14).replace(".geojson", ".mvt"))
    if BACKEND == "sqlite":
        assert response.status_code == 501 and response.mimetype == "application/problem+json"
        assert "PostGIS" in response.get_json()["detail"]
    else:  # decoded and compared with the GeoJSON tile in test_viewer_sql_tiles.py
        assert response.status_code == 200 and response.mimetype == "application/vnd.mapbox-vector-tile"
        assert G1.encode() in response.data


def test_tile_bounds_of_the_whole_world():
    west, south, east, north = tile_bounds(5, 0, 0)
    assert west == -180 and east == -180 + 360 / 32 and north == pytest.approx(85.0511, abs=1e-4) and south < north


def test_search_by_code_name_and_person(loaded, engine, tmp_path):
    from gis_app.imports import import_file
    from test_people_and_locate import people_csv
    import_file(engine, loaded.config, "people", people_csv(tmp_path))
    client = loaded.test_client()
    assert [h["code"] for h in client.get(f"/api/v1/search?q={COMMUNITY}00").get_json()] == \
        [f"{COMMUNITY}{i:03d}" for i in range(1, 5)]
    assert [h["code"] for h in client.get("/api/v1/search?q=第2网格").get_json()] == [f"{COMMUNITY}002"]
    hit, = client.get("/api/v1/search?q=赵磊").get_json()
    assert hit["code"] == f"{COMMUNITY}002" and hit["people"] == ["赵磊"]
    west, south, east, north = hit["bbox"]
    assert west < hit["point"][0] < east and south < hit["point"][1] < north


def test_search_treats_wildcards_as_text(loaded):
    client = loaded.test_client()
    assert client.get("/api/v1/search?q=%25").get_json() == []
    assert client.get("/api/v1/search?q=_").get_json() == []
    assert client.get("/api/v1/search?q=").status_code == 422


def test_a_registered_layer_appears_in_the_viewer(loaded):
    import folium

    from layers import registry

    @registry.register("test_places", "测试图层", show=False)
    def places(context):
        return folium.FeatureGroup()
    try:
        text = loaded.test_client().get("/").get_data(as_text=True)
        assert json.dumps("测试图层") in text
    finally:
        registry._REGISTRY.pop("test_places")
    assert json.dumps("测试图层") not in loaded.test_client().get("/").get_data(as_text=True)


def test_a_layer_name_cannot_be_registered_twice():
    from layers import registry
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("grids", "again")(lambda context: None)


def test_register_tables_stay_reachable(loaded):
    text = loaded.test_client().get("/register").get_data(as_text=True)
    assert G1 in text and "网格登记册" in text


@pytest.mark.parametrize("extra, statuses", [
    ([], {"short", "unstaffed"}),
    ([f"张伟,13800000001,,{COMMUNITY}{i:03d},网格长," for i in (2, 3, 4)], {"short"}),   # 张伟 leads four grids
])
def test_tile_status_is_the_staffing_reports(loaded, engine, tmp_path, extra, statuses):
    from gis_app.imports import import_file
    from gis_app.register import staffing_report
    from test_people_and_locate import ROWS, people_csv
    import_file(engine, loaded.config, "people", people_csv(tmp_path, ROWS + extra))
    client = loaded.test_client()
    body = orjson.loads(client.get(_tiny_city_tile(client, 14)).data)
    table, _ = staffing_report(engine, loaded.config)
    assert {f["properties"]["code"]: f["properties"]["status"] for f in body["features"]} == \
        dict(zip(table["code"], table["status"]))
    assert set(table["status"]) == statuses


def test_tile_cache_keeps_to_its_byte_budget(loaded, monkeypatch):
    from gis_app.storage import tiles
    from gis_app.storage.cache import ByteCache
    monkeypatch.setattr(tiles, "_tiles", ByteCache("tiny", 1))
    client = loaded.test_client()
    first = client.get(_tiny_city_tile(client, 14)).data
    client.get(_tiny_city_tile(client, 15))
    assert len(tiles._tiles) == 0 and tiles._tiles.currsize == 0
    assert client.get(_tiny_city_tile(client, 14)).data == first


def test_private_reads_keep_tiles_behind_a_viewer_token(settings, files):
    from gis_app import create_app
    from gis_app.auth import create_token
    from gis_app.storage import upgrade
    app = create_app({**settings, "SANIGRID_PUBLIC_READS": False})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    client = app.test_client()
    assert client.get("/tiles/grids/14/0/0.geojson").status_code == 401
    secret = create_token(app.extensions["sanigrid.engine"], "viewer")[1]
    assert client.get("/tiles/grids/14/0/0.geojson", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
