"""Frontages (门前三包), places and roads as /ogc collections (OGC API – Features), on both backends.

The tiny city's street (tests/frontage_fixtures.py) with 23 frontages: the shop front across grids
001/002, the gate zone across 001/003, a commitment signed in 2019 that expired at the end of
2020 (status today: expired, nobody edited it) and 20 short fronts along the road in four states;
three places (a toilet, a market, a building site). Items, paging, filters against the REST API's,
bbox and crs, datetime, queryables, one item, bad and hostile filters (400, never a 500); OWSLib's
Features client and GDAL's ogrinfo on a live server.
"""
from __future__ import annotations

import shutil
import subprocess
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import shapely
from shapely.geometry import LineString, Point, box, shape

from browser_fixtures import served  # noqa: F401  (fixture: the ``demo`` app on a live server)
from conftest import COMMUNITY, X0, Y0, feature, to_lonlat
from frontage_fixtures import ROAD_Y, gate_zone, road_file, shop_front, toilet, write
from test_ogc_queryables import HOSTILE, RAW

NW, NE, SW, SE = (f"{COMMUNITY}{i:03d}" for i in range(1, 5))
STATES = [("signed", "2024-01-01", "2030-12-31"), ("signed", "2020-01-01", "2021-06-30"),
          ("not_visited", None, None), ("refused", None, None)]
KINDS = ["individual", "enterprise", "association", "government"]
SHORT = [f"F{10 + i}" for i in range(20)]
ALL = sorted(["F1", "F2", "F3", *SHORT])


def _short_front(i: int) -> dict:
    status, signed, expires = STATES[i % 4]
    x = X0 + 10 + i * 19
    return feature({"ref": SHORT[i], "unit_name": f"阳和大道{i + 2}号商户", "unit_kind": KINDS[i % 4], "status": status,
                    "signed_on": signed, "expires_on": expires, "address": f"阳和大道{i + 2}号"},
                   LineString([(x, ROAD_Y - 5), (x + 15, ROAD_Y - 5)]))


def _expired_front() -> dict:
    return feature({"ref": "F3", "unit_name": "阳和粮油公司", "unit_kind": "enterprise", "status": "signed",
                    "signed_on": "2019-01-01", "expires_on": "2020-12-31", "credit_code": None},
                   LineString([(X0 + 300, ROAD_Y + 10), (X0 + 380, ROAD_Y + 10)]))


@pytest.fixture
def demo(loaded, engine, tmp_path):
    """The tiny city with its road, 23 frontages and 3 places (named ``demo`` for ``served``)."""
    from gis_app.imports import import_file
    import_file(engine, loaded.config, "roads", road_file(tmp_path))
    fronts = [shop_front(), gate_zone(), _expired_front(), *(_short_front(i) for i in range(20))]
    import_file(engine, loaded.config, "frontages", write(tmp_path, "f.geojson", fronts))
    places = [toilet(), feature({"ref": "P2", "kind": "farmers_market", "name": "阳和农贸市场", "staff": 12},
                                Point(X0 + 300, Y0 + 250)),
              feature({"ref": "P3", "kind": "construction_site", "name": "阳和小学扩建工地"},
                      box(X0 + 180, Y0 + 20, X0 + 380, Y0 + 60))]
    import_file(engine, loaded.config, "places", write(tmp_path, "p.geojson", places))
    return loaded


def _get(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:2000])
    return response


def _ids(client, url) -> list[str]:
    return [f["id"] for f in _get(client, url).get_json()["features"]]


def _rest_ids(client, url) -> list[str]:
    return [f["id"] for f in _get(client, url).get_json()["features"]]


def _path(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


# ---- collections, items, one item -----------------------------------------------------------------

def test_the_layers_are_collections_with_their_extents(demo):
    client = demo.test_client()
    listed = {c["id"]: c for c in _get(client, "/ogc/collections").get_json()["collections"]}
    assert {"regions", "grids", "gaps", "frontages", "places", "roads"} <= set(listed)
    assert listed["frontages"]["title"] == "门前三包责任区" and listed["places"]["title"] == "重点场所"
    assert all(listed[c]["crs"] == listed["grids"]["crs"] for c in ("frontages", "places", "roads"))
    fronts = _get(client, "/ogc/collections/frontages?lang=en").get_json()
    assert fronts["title"] == "Frontages (门前三包)"
    assert fronts["extent"]["temporal"]["interval"] == [["2019-01-01T00:00:00Z", "2030-12-31T23:59:59Z"]]
    x0, y0, x1, y1 = fronts["extent"]["spatial"]["bbox"][0]
    items = _get(client, "/ogc/collections/frontages/items").get_json()["features"]
    bounds = shapely.total_bounds([shape(f["geometry"]) for f in items])
    assert max(abs(a - b) for a, b in zip((x0, y0, x1, y1), bounds)) < 1e-7
    assert "temporal" not in _get(client, "/ogc/collections/places").get_json()["extent"]
    road = _get(client, "/ogc/collections/roads").get_json()["extent"]["spatial"]["bbox"][0]
    assert road[0] < x0 and road[2] > x1
    conformance = _get(client, "/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters" in conformance


def test_frontage_items_show_the_status_today_beside_the_recorded_one(demo):
    client = demo.test_client()
    page = _get(client, "/ogc/collections/frontages/items?limit=100").get_json()
    assert page["numberMatched"] == page["numberReturned"] == 23
    assert [f["id"] for f in page["features"]] == ALL
    by_id = {f["id"]: f for f in page["features"]}
    shop = by_id["F1"]["properties"]
    assert shop["ref"] == "F1" and shop["grids"] == [NW, NE] and shop["length_m"] == pytest.approx(120)
    assert shop["status"] == shop["recorded_status"] == "signed" and shop["items"] == ["sanitation", "order"]
    assert shop["unit_kind"] == "individual" and shop["expires_on"] == "2030-06-30" and shop["remark"] == "=老字号"
    assert by_id["F1"]["geometry"]["type"] == "LineString" and by_id["F2"]["geometry"]["type"] == "Polygon"
    old = by_id["F3"]["properties"]
    assert (old["status"], old["recorded_status"], old["grids"]) == ("expired", "signed", [NE])
    # the REST API says the same of every frontage
    rest = {f["id"]: f["properties"] for f in _get(client, "/api/v1/frontages?limit=1000").get_json()["features"]}
    assert {i: f["properties"]["status"] for i, f in by_id.items()} == {i: p["effective_status"] for i, p in rest.items()}
    assert {i: f["properties"]["grids"] for i, f in by_id.items()} == {i: p["grids"] for i, p in rest.items()}


def test_place_and_road_items_and_one_item_by_ref(demo):
    client = demo.test_client()
    places = {f["id"]: f["properties"] for f in _get(client, "/ogc/collections/places/items").get_json()["features"]}
    assert {i: p["kind"] for i, p in places.items()} == {"P1": "public_toilet", "P2": "farmers_market",
                                                          "P3": "construction_site"}
    assert {i: p["grid"] for i, p in places.items()} == {"P1": SW, "P2": NE, "P3": SE}
    assert places["P1"]["licence_expires"] == "2026-05-01" and places["P1"]["health_certs"] == 3
    assert _ids(client, "/ogc/collections/roads/items") == ["R1"]
    one = _get(client, "/ogc/collections/frontages/items/F3").get_json()
    assert one["id"] == "F3" and one["properties"]["status"] == "expired"
    assert any(link["rel"] == "collection" for link in one["links"])
    toilet_ = _get(client, "/ogc/collections/places/items/P1?crs=EPSG:4545")
    assert toilet_.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4545>"
    northing, easting = toilet_.get_json()["geometry"]["coordinates"]
    assert abs(easting - (X0 + 50)) < 0.01 and abs(northing - (Y0 + 50)) < 0.01
    assert _get(client, "/ogc/collections/roads/items/R1").get_json()["properties"]["name"] == "阳和大道"
    for url in ("/ogc/collections/frontages/items/NOPE", "/ogc/collections/places/items/F1",
                "/ogc/collections/roads/items/" + "x" * 300):
        assert _get(client, url, 404).mimetype == "application/problem+json"


def test_html_pages_of_the_layers(demo):
    client = demo.test_client()
    items = _get(client, "/ogc/collections/frontages/items?f=html&unit_kind=individual")
    text = items.get_data(as_text=True)
    assert items.mimetype == "text/html" and "柳州螺蛳粉店" in text and "阳和街道办事处" not in text
    assert "阳和公厕" in _get(client, "/ogc/collections/places/items/P1?f=html").get_data(as_text=True)
    english = _get(client, "/ogc/collections/frontages/queryables?f=html&lang=en").get_data(as_text=True)
    assert "<code>recorded_status</code>" in english and "Status today" in english


# ---- filters, paging, bbox, datetime ----------------------------------------------------------------

def test_status_is_the_status_today_and_matches_the_rest_apis_effective_status(demo):
    client = demo.test_client()
    expired = _ids(client, "/ogc/collections/frontages/items?status=expired")
    assert "F3" in expired and len(expired) == 6   # F3 and the 5 short fronts signed until mid-2021
    for status in ("signed", "expired", "refused", "not_visited"):
        assert _ids(client, f"/ogc/collections/frontages/items?status={status}&limit=1000") == \
            _rest_ids(client, f"/api/v1/frontages?effective_status={status}&limit=1000"), status
        assert _ids(client, f"/ogc/collections/frontages/items?recorded_status={status}&limit=1000") == \
            _rest_ids(client, f"/api/v1/frontages?status={status}&limit=1000"), status
    assert _ids(client, "/ogc/collections/frontages/items?recorded_status=signed&status=signed") == \
        sorted(["F1", *SHORT[0::4]])


FRONTAGE_FILTERS = [
    ("unit_kind=government", ["F2", *SHORT[3::4]]),
    (f"grid={SW}", ["F2"]),
    (f"grid={NE}&status=expired", ["F3", *(r for r in SHORT[1::4] if int(r[1:]) - 10 >= 10)]),
    (f"grid={SE}", []),
    ("liable=owner", ["F2"]),
    ("road=阳和大道&unit_kind=enterprise&status=expired", ["F3", *SHORT[1::4]]),
    ("signed_on=2019-01-01", ["F3"]), ("expires_on=2030-06-30", ["F1"]),
    ("unit_name=阳和粮油公司", ["F3"]), ("address=阳和大道1号", ["F1"]), ("item_set=三包", ALL),
    ("item_set=五包", []), ("version=1", ALL), ("version=2", []), ("updated_by=cli", ALL),
    ("phone=138 0000 1111", ["F1"]),
    ("version=3530418668", []), ("version=-999999999999999999", []),   # beyond the 32-bit column: nothing
]
PLACE_FILTERS = [
    ("kind=public_toilet", ["P1"]), ("kind=farmers_market&staff=12", ["P2"]), ("kind=school", []),
    (f"grid={SE}", ["P3"]), (f"grid={SE}&kind=public_toilet", []), ("health_certs=3", ["P1"]),
    ("licence_expires=2026-05-01", ["P1"]), ("name=阳和农贸市场", ["P2"]), ("operator=柳州市环卫处", ["P1"]),
    ("staff=-3530418668", []), ("health_certs=2147483648", []),
]


def test_frontage_place_and_road_filters(demo):
    client = demo.test_client()
    for query, expected in FRONTAGE_FILTERS:
        assert _ids(client, f"/ogc/collections/frontages/items?{query}&limit=1000") == sorted(expected), query
    for query, expected in PLACE_FILTERS:
        assert _ids(client, f"/ogc/collections/places/items?{query}") == expected, query
    assert _ids(client, "/ogc/collections/roads/items?kind=main&name=阳和大道") == ["R1"]
    assert _ids(client, "/ogc/collections/roads/items?kind=lane") == []


def test_the_grid_filter_agrees_with_the_rest_api_and_the_length_filter_with_the_feature(demo):
    client = demo.test_client()
    for grid in (NW, NE, SW, SE):
        assert _ids(client, f"/ogc/collections/frontages/items?grid={grid}&limit=1000") == \
            _rest_ids(client, f"/api/v1/frontages?grid={grid}&limit=1000"), grid
        assert _ids(client, f"/ogc/collections/places/items?grid={grid}") == \
            _rest_ids(client, f"/api/v1/places?grid={grid}"), grid
    length = _get(client, "/ogc/collections/frontages/items/F2").get_json()["properties"]["length_m"]
    assert _ids(client, f"/ogc/collections/frontages/items?length_m={length!r}") == ["F2"]
    assert _ids(client, f"/ogc/collections/frontages/items?length_m={length + 0.5!r}") == []


def test_paging_follows_next_links_keeping_the_filter(demo):
    client = demo.test_client()
    for query, expected in (("", ALL), ("unit_kind=individual&", sorted(["F1", *SHORT[0::4]])),
                            (f"grid={NW}&", _ids(client, f"/ogc/collections/frontages/items?grid={NW}&limit=1000"))):
        seen, url = [], f"/ogc/collections/frontages/items?{query}limit=4"
        while url:
            page = _get(client, url).get_json()
            assert page["numberMatched"] == len(expected) and page["numberReturned"] <= 4
            seen += [f["id"] for f in page["features"]]
            nxt = [link for link in page["links"] if link["rel"] == "next"]
            if nxt and query:
                name, value = query.rstrip("&").split("=")
                assert parse_qs(urlsplit(nxt[0]["href"]).query)[name] == [value]
            url = _path(nxt[0]["href"]) if nxt else None
        assert seen == expected and len(expected) > 4
    assert _ids(client, "/ogc/collections/frontages/items?offset=21") == ALL[21:]
    assert _ids(client, "/ogc/collections/places/items?limit=1&offset=1") == ["P2"]


def test_bbox_in_crs84_and_in_the_metric_crs_with_filters(demo):
    client = demo.test_client()
    corner = ",".join(str(v) for v in to_lonlat(box(X0 + 15, ROAD_Y - 25, X0 + 65, ROAD_Y - 10)).bounds)
    assert _ids(client, f"/ogc/collections/frontages/items?bbox={corner}") == ["F2"]
    east = ",".join(str(v) for v in to_lonlat(box(X0 + 290, ROAD_Y + 5, X0 + 400, ROAD_Y + 15)).bounds)
    assert _ids(client, f"/ogc/collections/frontages/items?bbox={east}") == ["F3"]
    assert _ids(client, f"/ogc/collections/frontages/items?bbox={east}&status=signed") == []
    assert _ids(client, f"/ogc/collections/frontages/items?bbox={east}&grid={NE}") == ["F3"]
    # EPSG:4545 is northing/easting
    metric = f"{ROAD_Y - 25},{X0 + 15},{ROAD_Y - 10},{X0 + 65}"
    assert _ids(client, f"/ogc/collections/frontages/items?bbox={metric}&bbox-crs=EPSG:4545") == ["F2"]
    assert _ids(client, f"/ogc/collections/places/items?bbox={Y0 + 40},{X0 + 40},{Y0 + 60},{X0 + 60}"
                        "&bbox-crs=EPSG:4545") == ["P1"]
    out = _get(client, "/ogc/collections/frontages/items?ref=F1&crs=EPSG:4545").get_json()["features"][0]
    (n0, e0), (n1, e1) = out["geometry"]["coordinates"]
    assert abs(e0 - (X0 + 140)) < 0.01 and abs(n0 - (ROAD_Y + 10)) < 0.01 and abs(e1 - (X0 + 260)) < 0.01


def test_datetime_keeps_the_commitments_in_effect_then(demo):
    client = demo.test_client()
    assert _ids(client, "/ogc/collections/frontages/items?datetime=2019-06-01") == ["F3"]
    in_2020 = _ids(client, "/ogc/collections/frontages/items?datetime=2020-06-01")
    assert in_2020 == sorted(["F3", *SHORT[1::4]])
    assert _ids(client, "/ogc/collections/frontages/items?datetime=2030-07-01T00:00:00Z/..") == sorted(SHORT[0::4])
    assert _ids(client, "/ogc/collections/frontages/items?datetime=../2018-12-31") == []
    assert _ids(client, f"/ogc/collections/frontages/items?datetime=2020-06-01&grid={NE}") == \
        sorted(["F3", *(r for r in SHORT[1::4] if r in _ids(client, f"/ogc/collections/frontages/items?grid={NE}"))])
    for collection_id in ("places", "roads"):
        detail = _get(client, f"/ogc/collections/{collection_id}/items?datetime=2020-06-01", 400).get_json()["detail"]
        assert "has no time" in detail


# ---- queryables, OpenAPI ------------------------------------------------------------------------

NOT_QUERYABLE = {"frontages": {"items", "grids", "updated_at", "remark"}, "places": {"updated_at"}, "roads": set()}


def test_queryables_are_the_simple_properties_and_openapi_parameters(demo):
    client = demo.test_client()
    for collection_id in ("frontages", "places", "roads"):
        _check_queryables(client, collection_id)
    props = _get(client, "/ogc/collections/frontages/queryables").get_json()["properties"]
    assert props["status"]["enum"] == ["signed", "expired", "refused", "not_visited"]
    assert props["unit_kind"]["enum"] == ["government", "association", "enterprise", "individual"]
    assert props["grid"]["pattern"] == r"^\d{15}$" and props["signed_on"]["format"] == "date"
    assert props["length_m"]["type"] == "number" and props["version"]["type"] == "integer"


def _check_queryables(client, collection_id: str) -> None:
    response = _get(client, f"/ogc/collections/{collection_id}/queryables?lang=en")
    assert response.mimetype == "application/schema+json"
    doc = response.get_json()
    assert doc["additionalProperties"] is False and doc["$id"].endswith(f"/collections/{collection_id}/queryables")
    features = _get(client, f"/ogc/collections/{collection_id}/items?limit=1000").get_json()["features"]
    properties = {k for f in features for k in f["properties"]}
    computed = {"grid"} if collection_id == "frontages" else set()   # grid: one of the feature's grids
    assert set(doc["properties"]) - computed <= properties
    assert properties - set(doc["properties"]) == NOT_QUERYABLE[collection_id]
    spec = _get(client, "/ogc/api").get_json()
    params = {p["name"]: p for p in spec["paths"][f"/collections/{collection_id}/items"]["get"]["parameters"]}
    for name, prop in doc["properties"].items():
        assert params[name]["in"] == "query" and params[name]["schema"]["type"] == prop["type"]
    assert ("datetime" in params) == (collection_id == "frontages")
    assert collection_id in spec["paths"]["/collections/{collectionId}"]["get"]["parameters"][0]["schema"]["enum"]


# ---- bad and hostile values -----------------------------------------------------------------------

BAD = [
    ("frontages/items?status=lost", "not one of: signed"), ("frontages/items?unit_kind=shop", "not one of"),
    ("frontages/items?grid=45", r"\d{15}"), ("frontages/items?length_m=long", "finite number"),
    ("frontages/items?signed_on=2024-13-01", "not a date"), ("frontages/items?version=1.5", "not an integer"),
    ("frontages/items?status=signed&status=expired", "given 2 times"),
    ("frontages/items?kind=public_toilet", "property filters (its queryables): ref, unit_name"),
    ("frontages/items?effective_status=signed", "unknown query parameter(s): effective_status"),
    ("places/items?kind=" + "k" * 33, "at most 32"), ("places/items?staff=many", "not an integer"),
    ("places/items?status=expired", "unknown query parameter(s): status"),
    ("roads/items?kind=motorway", "not one of: main, lane"), ("roads/items?width_m=nan", "finite number"),
    ("frontages/items?bbox=1,2,3", "four"), ("frontages/items?crs=EPSG:3857", "not offered"),
    ("frontages/items?datetime=2020-13-01", "RFC 3339"), ("places/items/P1?grid=" + NE, "unknown query parameter"),
]


def test_bad_filters_are_400_problems_and_hostile_values_match_nothing_and_change_nothing(demo):
    client = demo.test_client()
    for url, words in BAD:
        response = _get(client, f"/ogc/collections/{url}", 400)
        assert response.mimetype == "application/problem+json" and words in response.get_json()["detail"], url
    layers = ("/api/v1/frontages?limit=1000", "/api/v1/places?limit=1000", "/ogc/collections/roads/items")
    before = [_get(client, url).get_json()["features"] for url in layers]
    for collection_id in ("frontages", "places", "roads"):
        names = list(_get(client, f"/ogc/collections/{collection_id}/queryables").get_json()["properties"])
        for name in names:
            for value in [quote(v, safe="") for v in HOSTILE] + RAW:
                response = client.get(f"/ogc/collections/{collection_id}/items?{name}={value}")
                assert response.status_code in (200, 400), (name, value, response.get_data(as_text=True)[:500])
                if response.status_code == 200:
                    assert response.get_json()["numberMatched"] == 0, (collection_id, name, value)
                else:
                    assert response.mimetype == "application/problem+json" and response.get_json()["detail"]
    assert [_get(client, url).get_json()["features"] for url in layers] == before


def test_the_status_filter_is_sql_with_its_value_bound(demo, engine):
    from sqlalchemy import event
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        _ids(demo.test_client(), "/ogc/collections/frontages/items?status=expired&unit_kind=enterprise")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    queries = [(s, p) for s, p in seen if "frontages.status" in s and "frontages.unit_kind" in s]
    assert queries, [s for s, _ in seen]
    statement, parameters = queries[0]
    assert "expired" not in statement and "enterprise" not in statement
    bound = list(parameters.values() if isinstance(parameters, dict) else parameters)
    assert "expired" in bound and "enterprise" in bound


# ---- real clients on a live server -----------------------------------------------------------------

def test_owslib_reads_pages_and_filters_frontages_and_places(demo, served):  # noqa: F811
    from owslib.ogcapi.features import Features
    client = demo.test_client()
    api = Features(f"{served.url}/ogc")
    assert {"frontages", "places", "roads"} <= set(api.feature_collections())
    assert api.collection("frontages")["title"] == "门前三包责任区"
    seen, offset = [], 0
    while True:
        page = api.collection_items("frontages", limit=5, offset=offset)
        assert page["numberMatched"] == 23
        seen += [f["id"] for f in page["features"]]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 5
    assert seen == ALL
    queryables = api.collection_queryables("frontages")["properties"]
    assert {"status", "unit_kind", "grid", "recorded_status"} <= set(queryables)
    expired = api.collection_items("frontages", status="expired", limit=100)
    assert [f["id"] for f in expired["features"]] == \
        _rest_ids(client, "/api/v1/frontages?effective_status=expired&limit=1000")
    both = api.collection_items("frontages", status="expired", grid=NE, unit_kind="enterprise")
    assert {f["id"] for f in both["features"]} >= {"F3"} and all(
        NE in f["properties"]["grids"] and f["properties"]["unit_kind"] == "enterprise" for f in both["features"])
    assert "kind" in api.collection_queryables("places")["properties"]
    toilets = api.collection_items("places", kind="public_toilet")
    assert [f["id"] for f in toilets["features"]] == ["P1"] and toilets["features"][0]["properties"]["grid"] == SW
    assert [f["id"] for f in api.collection_items("places", limit=2, offset=2)["features"]] == ["P3"]
    with pytest.raises(RuntimeError, match="Invalid parameter"):
        api.collection_items("frontages", status="lost")
    assert any(r.startswith("/ogc/collections/frontages/items?") and "status=expired" in r for r in served.requests)


def test_ogrinfo_lists_and_counts_the_new_layers(demo, served):  # noqa: F811
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "ogrinfo (Debian gdal-bin) is missing: `make test` installs it"
    url = f"OAPIF:{served.url}/ogc"
    listed = subprocess.run([ogrinfo, "-ro", "-q", url], capture_output=True, text=True, timeout=300, check=True).stdout
    for line in ("frontages (title: 门前三包责任区)", "places (title: 重点场所)", "roads (title: 道路中心线)"):
        assert line in listed, listed
    summary = subprocess.run([ogrinfo, "-ro", "-so", url, "frontages"], capture_output=True, text=True, timeout=300,
                             check=True).stdout
    assert "Feature Count: 23" in summary and "recorded_status" in summary
    expired = subprocess.run([ogrinfo, "-ro", "-al", "-q", url, "frontages", "-where", "status = 'expired'"],
                             capture_output=True, text=True, timeout=300, check=True).stdout
    assert expired.count("OGRFeature(frontages)") == 6 and "阳和粮油公司" in expired
    assert any("/ogc/collections/frontages/items?" in r and "status=expired" in r for r in served.requests)
    places = subprocess.run([ogrinfo, "-ro", "-so", url, "places"], capture_output=True, text=True, timeout=300,
                            check=True).stdout
    assert "Feature Count: 3" in places
