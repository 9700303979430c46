"""OGC API – Features under /ogc on the tiny city: documents, paging, bbox, CRS (Part 2), HTML, errors."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pyproj
import pytest
import shapely
from shapely.geometry import Point, box, shape

from conftest import COMMUNITY, METRIC, X0, Y0, to_lonlat

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
GRIDS = [f"{COMMUNITY}{i:03d}" for i in range(1, 5)]


def _get(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def _path(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _rel(doc, rel):
    return [link for link in doc["links"] if link["rel"] == rel]


def test_landing_page_links_the_api_definition_conformance_and_collections(loaded):
    doc = _get(loaded.test_client(), "/ogc").get_json()
    rels = {link["rel"]: link for link in doc["links"]}
    assert {"self", "alternate", "service-desc", "conformance", "data"} <= set(rels)
    for rel in ("service-desc", "conformance", "data"):
        _get(loaded.test_client(), _path(rels[rel]["href"]))
    assert "网格" in doc["title"]


def test_conformance_claims_core_geojson_html_oas30_crs_and_queryables(client):
    claims = set(_get(client, "/ogc/conformance").get_json()["conformsTo"])
    assert claims == {f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}" for c in
                      ("core", "geojson", "html", "oas30")} | {
                          "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"} | {
                          f"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/{c}"
                          for c in ("queryables", "queryables-query-parameters")}


def test_openapi_definition_describes_every_ogc_route(app):
    spec = _get(app.test_client(), "/ogc/api").get_json()
    assert spec["openapi"].startswith("3.0")
    routes = {rule.rule.removeprefix("/ogc").replace("<collection_id>", "{collectionId}")
              .replace("<feature_id>", "{featureId}") or "/"
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("ogc.")}
    ids = [c["id"] for c in _get(app.test_client(), "/ogc/collections").get_json()["collections"]]
    # the generic paths are the routes; each collection's items path is spelled out with its filters
    assert set(spec["paths"]) == routes | {f"/collections/{i}/items" for i in ids}
    limit = next(p for p in spec["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
                 if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 10_000 and limit["schema"]["default"] == 100


def test_collections_list_regions_grids_gaps_with_extent_and_crs(loaded):
    doc = _get(loaded.test_client(), "/ogc/collections").get_json()
    by_id = {c["id"]: c for c in doc["collections"]}
    assert {"regions", "grids", "gaps"} <= set(by_id)
    grids = by_id["grids"]
    assert grids["storageCrs"] == CRS84
    assert grids["crs"] == [CRS84, EPSG.format(4490), EPSG.format(4545)]  # the tiny city lies in GK zone 108°E
    expected = to_lonlat(box(X0, Y0, X0 + 400, Y0 + 300)).bounds   # the four grids' outline
    assert grids["extent"]["spatial"]["bbox"][0] == pytest.approx(expected, abs=1e-6)
    assert grids["extent"]["temporal"]["interval"][0][1] is None       # still running
    assert "temporal" not in by_id["regions"]["extent"]
    assert {link["rel"] for link in grids["links"]} >= {"self", "items"}


def test_metric_crs_setting_is_the_offered_metric_crs(settings, tmp_path):
    from gis_app import create_app
    from gis_app.storage import upgrade
    app = create_app({**settings, "SANIGRID_METRIC_CRS": "EPSG:4546"})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    doc = _get(app.test_client(), "/ogc/collections/grids").get_json()
    assert doc["crs"][-1] == EPSG.format(4546)


def test_one_collection_and_unknown_collection(loaded):
    client = loaded.test_client()
    assert _get(client, "/ogc/collections/grids").get_json()["id"] == "grids"
    problem = _get(client, "/ogc/collections/nope", 404)
    assert problem.mimetype == "application/problem+json"
    assert "regions" in problem.get_json()["detail"]


def test_items_are_geojson_with_counts_timestamp_links_and_content_crs(loaded):
    response = _get(loaded.test_client(), "/ogc/collections/grids/items")
    doc = response.get_json()
    assert response.mimetype == "application/geo+json"
    assert response.headers["Content-Crs"] == f"<{CRS84}>"
    assert doc["type"] == "FeatureCollection"
    assert [f["id"] for f in doc["features"]] == GRIDS
    assert doc["numberMatched"] == doc["numberReturned"] == 4
    assert doc["timeStamp"].endswith("Z")
    assert not _rel(doc, "next") and not _rel(doc, "prev") and _rel(doc, "collection")
    props = doc["features"][0]["properties"]
    assert props["code"] == GRIDS[0] and props["households"] == 120 and props["name"] == "阳和社区第1网格"


def test_paging_with_next_and_prev_links_visits_every_grid_once(loaded):
    client = loaded.test_client()
    doc = _get(client, "/ogc/collections/grids/items?limit=3").get_json()
    assert doc["numberMatched"] == 4 and doc["numberReturned"] == 3 and not _rel(doc, "prev")
    nxt = _rel(doc, "next")[0]
    assert parse_qs(urlsplit(nxt["href"]).query)["offset"] == ["3"]
    last = _get(client, _path(nxt["href"])).get_json()
    assert [f["id"] for f in last["features"]] == GRIDS[3:] and not _rel(last, "next")
    back = _get(client, _path(_rel(last, "prev")[0]["href"])).get_json()
    assert [f["id"] for f in back["features"]] == GRIDS[:3]
    seen, url = [], "/ogc/collections/grids/items?limit=1"
    while url:
        page = _get(client, url).get_json()
        seen += [f["id"] for f in page["features"]]
        url = _path(_rel(page, "next")[0]["href"]) if _rel(page, "next") else None
    assert seen == GRIDS


def test_limit_above_the_maximum_is_served_as_the_maximum(loaded):
    doc = _get(loaded.test_client(), "/ogc/collections/grids/items?limit=50000&offset=1").get_json()
    assert doc["numberReturned"] == 3
    prev = _rel(doc, "prev")[0]
    assert parse_qs(urlsplit(prev["href"]).query)["limit"] == ["10000"]


def _inside_grid_1(metric_box=(X0 + 50, Y0 + 200, X0 + 60, Y0 + 210)):
    return box(*metric_box)


def test_bbox_selects_only_grids_it_touches(loaded):
    lonlat = to_lonlat(_inside_grid_1())
    x0, y0, x1, y1 = lonlat.bounds
    doc = _get(loaded.test_client(), f"/ogc/collections/grids/items?bbox={x0},{y0},{x1},{y1}").get_json()
    assert [f["id"] for f in doc["features"]] == GRIDS[:1] and doc["numberMatched"] == 1
    whole = to_lonlat(box(X0 + 10, Y0 + 10, X0 + 390, Y0 + 290)).bounds
    doc = _get(loaded.test_client(), "/ogc/collections/grids/items?bbox=" + ",".join(map(str, whole))).get_json()
    assert doc["numberMatched"] == 4


@pytest.mark.parametrize("epsg", [4545, 4490])
def test_bbox_crs_reads_the_box_in_that_crs_axis_order(loaded, epsg):
    corners = pyproj.Transformer.from_crs(METRIC, f"EPSG:{epsg}")  # authority order: northing/easting, lat/lon
    (a0, a1), (b0, b1) = corners.transform([Y0 + 200, Y0 + 210], [X0 + 50, X0 + 60])
    query = f"bbox={min(a0, a1)},{min(b0, b1)},{max(a0, a1)},{max(b0, b1)}&bbox-crs={EPSG.format(epsg)}"
    if epsg == 4545:
        assert min(a0, a1) > 2_000_000  # northing first: a box in x/y order would miss every grid
    doc = _get(loaded.test_client(), f"/ogc/collections/grids/items?{query}").get_json()
    assert [f["id"] for f in doc["features"]] == GRIDS[:1]


def _vertices(geometry):
    return sorted(tuple(round(v, 3) for v in xy) for xy in shape(geometry).exterior.coords[:-1])


def test_crs_metric_returns_northing_easting_of_the_grid(loaded):
    response = _get(loaded.test_client(), f"/ogc/collections/grids/items/{GRIDS[0]}?crs=EPSG:4545")
    assert response.headers["Content-Crs"] == f"<{EPSG.format(4545)}>"
    expected = [(y, x) for x, y in box(X0, Y0 + 150, X0 + 200, Y0 + 300).exterior.coords[:-1]]
    got = _vertices(response.get_json()["geometry"])
    assert len(got) == 4
    assert all(min(max(abs(g[0] - e[0]), abs(g[1] - e[1])) for g in got) < 0.01 for e in expected)


def test_crs_4490_is_lat_lon_of_the_crs84_coordinates(loaded):
    client = loaded.test_client()
    lonlat = _get(client, f"/ogc/collections/grids/items?crs={CRS84}").get_json()["features"]
    latlon = _get(client, f"/ogc/collections/grids/items?crs={EPSG.format(4490)}").get_json()["features"]
    for a, b in zip(lonlat, latlon):
        assert [[[y, x] for x, y in ring] for ring in a["geometry"]["coordinates"]] == b["geometry"]["coordinates"]


def test_single_item_and_unknown_item(loaded):
    client = loaded.test_client()
    feature = _get(client, f"/ogc/collections/grids/items/{GRIDS[1]}").get_json()
    assert feature["id"] == GRIDS[1] and feature["type"] == "Feature"
    assert {link["rel"] for link in feature["links"]} >= {"self", "collection"}
    assert _get(client, "/ogc/collections/grids/items/450203008001999", 404).mimetype == "application/problem+json"
    region = _get(client, f"/ogc/collections/regions/items/{COMMUNITY}").get_json()
    assert region["properties"]["name"] == "阳和社区"


def test_regions_are_the_rest_export_regions(loaded):
    client = loaded.test_client()
    exported = _get(client, "/api/v1/export/regions?format=geojson").get_json()["features"]
    served = _get(client, "/ogc/collections/regions/items").get_json()["features"]
    assert [f["properties"] for f in served] == [f["properties"] for f in exported]
    assert [f["geometry"] for f in served] == [f["geometry"] for f in exported]


def test_gaps_collection_serves_the_gap_report_features(loaded):
    client = loaded.test_client()
    expected = _get(client, "/api/v1/gaps/features").get_json()["features"]
    doc = _get(client, "/ogc/collections/gaps/items?limit=1000").get_json()
    assert doc["numberMatched"] == len(expected) > 0
    ids = [f["id"] for f in doc["features"]]
    assert len(set(ids)) == len(ids)
    assert sorted(f["properties"]["kind"] for f in doc["features"]) == sorted(f["properties"]["kind"] for f in expected)
    one = _get(client, f"/ogc/collections/gaps/items/{ids[0]}").get_json()
    assert one["properties"] == doc["features"][0]["properties"]


def test_a_new_layer_joins_with_one_registration(loaded, monkeypatch):
    import geopandas as gpd

    from gis_app.ogc import collections as registry
    frame = gpd.GeoDataFrame({"code": ["p1", "p2"], "name": ["公厕", "垃圾站"]},
                             geometry=[to_lonlat(Point(X0 + 10, Y0 + 10)), to_lonlat(Point(X0 + 500, Y0 + 10))],
                             crs="EPSG:4326")
    places = registry.frame_collection(
        id="places", title={"zh": "场所", "en": "Places"}, description={"zh": "测试", "en": "test"},
        load=lambda engine, settings: frame, extent=lambda engine, settings: registry.Extent(registry.bounds_of(frame)))
    monkeypatch.setitem(registry._REGISTRY, "places", places)
    client = loaded.test_client()
    assert "places" in [c["id"] for c in _get(client, "/ogc/collections").get_json()["collections"]]
    x0, y0, x1, y1 = to_lonlat(box(X0, Y0, X0 + 100, Y0 + 100)).bounds
    doc = _get(client, f"/ogc/collections/places/items?bbox={x0},{y0},{x1},{y1}").get_json()
    assert [f["properties"]["name"] for f in doc["features"]] == ["公厕"]
    assert _get(client, "/ogc/collections/places/items/p2").get_json()["properties"]["name"] == "垃圾站"
    _get(client, "/ogc/collections/places/items/p3", 404)
    _get(client, "/ogc/collections/places/items?datetime=2024-01-01", 400)   # not temporal


# ---- HTML -----------------------------------------------------------------------------------------

def test_html_by_accept_header_chinese_by_default_english_on_request(loaded):
    client = loaded.test_client()
    page = _get(client, "/ogc/collections", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "要素集合" in text and "网格" in text and "English" in text
    english = _get(client, "/ogc/collections?f=html&lang=en").get_data(as_text=True)
    assert "Collections" in english and "Grids" in english
    assert _get(client, "/ogc/collections", headers={"Accept": "*/*"}).mimetype == "application/json"


@pytest.mark.parametrize("url", ["/ogc?f=html", "/ogc/conformance?f=html", "/ogc/api?f=html", "/ogc/collections/grids?f=html",
                                 "/ogc/collections/grids/items?f=html&limit=2",
                                 f"/ogc/collections/grids/items/{COMMUNITY}001?f=html",
                                 "/ogc/collections/regions/items?f=html&lang=en",
                                 "/ogc/collections/gaps/items?f=html", "/ogc/collections/grids/queryables?f=html"])
def test_every_resource_has_an_html_page_with_only_local_assets(loaded, url):
    page = _get(loaded.test_client(), url)
    text = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and "<h1>" in text
    assert 'src="http' not in text and 'href="http' not in text.replace('href="http://localhost/', "")


def test_items_page_lists_the_features_and_pages_on(loaded):
    text = _get(loaded.test_client(), "/ogc/collections/grids/items?f=html&limit=2").get_data(as_text=True)
    assert GRIDS[0] in text and GRIDS[1] in text and GRIDS[2] not in text
    assert "offset=2" in text and "f=html" in text and "leaflet.js" in text


# ---- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, words", [
    ("bbox=1,2,3", "four"), ("bbox=a,b,c,d", "four"), ("bbox=110,25,109,24", "lower"),
    ("bbox=400000,2000000,500000,2100000", "longitude"), ("bbox=1,2,3,nan", "finite"),
    ("bbox=1,2,3,4&bbox-crs=EPSG:3857", "not offered"), ("bbox-crs=EPSG:4490", "without bbox"),
    ("crs=EPSG:3857", "not offered"), ("crs=nonsense", "not offered"),
    ("limit=0", "at least 1"), ("limit=ten", "integer"), ("offset=-1", "at least 0"),
    ("datetime=yesterday", "RFC 3339"), ("datetime=2024-05-01/2024-01-01", "ends before"),
    ("datetime=../..", "interval"), ("datetime=0001-01-01T00:00:00%2B08:00", "RFC 3339"), ("datetime=2024-01-01/2024-02-01/2024-03-01", "interval"),
    ("colour=red", "unknown query parameter"), ("f=xml", "json or html"), ("lang=fr", "zh"),
])
def test_bad_parameters_are_400_problems(client, query, words):
    response = _get(client, f"/ogc/collections/grids/items?{query}", 400)
    assert response.mimetype == "application/problem+json"
    assert words in response.get_json()["detail"]


def test_datetime_on_a_collection_without_time_is_400(loaded):
    response = _get(loaded.test_client(), "/ogc/collections/regions/items?datetime=2024-01-01", 400)
    assert "no time" in response.get_json()["detail"]


def test_unknown_parameter_on_other_resources_is_400(loaded):
    client = loaded.test_client()
    for url in ("/ogc/collections?bbox=1,2,3,4", f"/ogc/collections/grids/items/{GRIDS[0]}?limit=3",
                "/ogc/conformance?x=1"):
        assert _get(client, url, 400).mimetype == "application/problem+json"


def test_private_reads_need_a_token(settings, files):
    from gis_app import create_app
    from gis_app.auth import create_token
    from gis_app.storage import upgrade
    app = create_app({**settings, "SANIGRID_PUBLIC_READS": False})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    client = app.test_client()
    assert _get(client, "/ogc/collections", 401).mimetype == "application/problem+json"
    secret = create_token(app.extensions["sanigrid.engine"], "viewer")[1]
    _get(client, "/ogc/collections", headers={"Authorization": f"Bearer {secret}"})


def test_geometry_is_rfc7946_rounded_and_counter_clockwise(loaded):
    feature = _get(loaded.test_client(), f"/ogc/collections/grids/items/{GRIDS[0]}").get_json()
    ring = feature["geometry"]["coordinates"][0]
    assert all(round(v, 7) == v for xy in ring for v in xy)
    assert shapely.LinearRing(ring).is_ccw
