"""Queryables (OGC API – Features Part 3) and property filters on /ogc items, on both backends.

The tiny city plus one grid in the second community (新圩社区): filters alone and with bbox,
paging, crs and datetime; the JSON Schema document; bad and hostile values (400 or nothing, never
a 500, nothing changed); the filter goes into SQL with its value bound. OWSLib's ``Features``
client reads, pages and filters the 600-grid demo city on a live server.
"""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, quote, urlsplit

import orjson
import pytest
from shapely.geometry import box, shape
from sqlalchemy import event

from browser_fixtures import served  # noqa: F401  (fixture: the demo on a live server)
from conftest import COMMUNITY, X0, Y0, feature, feature_collection, to_lonlat
from test_viewer_sql_tiles import demo  # noqa: F401  (fixture: the 600-grid demo city)

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
OTHER = "450203008002"                  # 新圩社区, east of 阳和社区
GRIDS = [f"{COMMUNITY}{i:03d}" for i in range(1, 5)]
EAST = f"{OTHER}001"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
COLLECTIONS = ("regions", "grids", "gaps")


def _get(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    return response


def _ids(client, url) -> list[str]:
    return [f["id"] for f in _get(client, url).get_json()["features"]]


def _path(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.fixture
def city(loaded, engine, tmp_path):
    """The tiny city and grid 450203008002001 (200 m × 150 m, 300 households, a market) in 新圩社区."""
    from gis_app.imports import import_file
    path = tmp_path / "east.geojson"
    path.write_bytes(feature_collection([feature(
        {"code": EAST, "name": "新圩社区第1网格", "households": 300, "population": 900, "type": "market"},
        box(X0 + 400, Y0, X0 + 600, Y0 + 150))]))
    import_file(engine, loaded.config, "grids", path)
    return loaded


# ---- the Queryables resource ----------------------------------------------------------------------

@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_queryables_are_a_json_schema_of_the_simple_properties(city, collection_id):
    client = city.test_client()
    response = _get(client, f"/ogc/collections/{collection_id}/queryables?lang=en")
    assert response.mimetype == "application/schema+json"
    doc = response.get_json()
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == f"http://localhost/ogc/collections/{collection_id}/queryables"  # no query string
    assert doc["type"] == "object" and doc["additionalProperties"] is False
    assert doc["title"] == _get(client, f"/ogc/collections/{collection_id}?lang=en").get_json()["title"]
    assert doc["properties"]
    for name, prop in doc["properties"].items():
        assert prop["type"] in ("string", "integer", "number", "boolean"), name
        assert prop["title"] and prop["description"], name
    # every queryable is a property of the features, and every simple property is queryable
    features = _get(client, f"/ogc/collections/{collection_id}/items?limit=1000").get_json()["features"]
    assert features
    properties = {k for f in features for k in f["properties"]}
    assert set(doc["properties"]) <= properties
    assert properties - set(doc["properties"]) <= {"end_date"}  # always null for the grids served
    zh = _get(client, f"/ogc/collections/{collection_id}/queryables").get_json()
    assert zh["title"] != doc["title"] and set(zh["properties"]) == set(doc["properties"])


def test_grid_queryables_declare_types_and_constraints(city):
    props = _get(city.test_client(), "/ogc/collections/grids/queryables").get_json()["properties"]
    assert props["community"] == {"type": "string", "title": "所属社区", "description": "所属社区的12位编码",
                                  "pattern": r"^\d{12}$"}
    assert props["households"]["type"] == "integer" and props["area_m2"]["type"] == "number"
    assert props["type"]["enum"][0] == "residential" and props["name"]["maxLength"] == 200
    assert props["start_date"]["format"] == "date"


def test_collection_links_its_queryables_and_items_name_them_in_a_link_header(city):
    client = city.test_client()
    doc = _get(client, "/ogc/collections/grids").get_json()
    links = [link for link in doc["links"] if link["rel"] == QUERYABLES_REL]
    assert {link["type"] for link in links} == {"application/schema+json", "text/html"}
    for link in links:
        assert _get(client, _path(link["href"])).mimetype == link["type"]
    header = _get(client, "/ogc/collections/grids/items?limit=1").headers["Link"]
    assert header == (f'<http://localhost/ogc/collections/grids/queryables>; rel="{QUERYABLES_REL}"; '
                      'type="application/schema+json"')


def test_queryables_html_page_lists_every_property(city):
    client = city.test_client()
    page = _get(client, "/ogc/collections/gaps/queryables", headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and "可查询属性" in text and "<h1>" in text
    for name in _get(client, "/ogc/collections/gaps/queryables").get_json()["properties"]:
        assert f"<code>{name}</code>" in text
    english = _get(client, "/ogc/collections/grids/queryables?f=html&lang=en").get_data(as_text=True)
    assert "Queryables" in english and "Households" in english
    assert "可查询属性" in _get(client, "/ogc/collections/grids?f=html").get_data(as_text=True)
    _get(client, "/ogc/collections/nope/queryables", 404)
    _get(client, "/ogc/collections/grids/queryables?limit=3", 400)


def test_openapi_spells_out_each_collections_filters_and_the_queryables_path(city):
    spec = _get(city.test_client(), "/ogc/api").get_json()
    op = spec["paths"]["/collections/{collectionId}/queryables"]["get"]
    assert "application/schema+json" in op["responses"]["200"]["content"]
    for collection_id in COLLECTIONS:
        queryables = _get(city.test_client(), f"/ogc/collections/{collection_id}/queryables").get_json()["properties"]
        params = {p["name"]: p for p in spec["paths"][f"/collections/{collection_id}/items"]["get"]["parameters"]}
        for name, prop in queryables.items():
            assert params[name]["in"] == "query" and params[name]["style"] == "form"
            assert params[name]["explode"] is False and params[name]["schema"]["type"] == prop["type"]
        assert ("datetime" in params) == (collection_id == "grids")


# ---- filters --------------------------------------------------------------------------------------

def test_grids_filter_by_community_type_households_and_together(city):
    client = city.test_client()
    assert _ids(client, f"/ogc/collections/grids/items?community={OTHER}") == [EAST]
    assert _ids(client, f"/ogc/collections/grids/items?community={COMMUNITY}") == GRIDS
    assert _ids(client, "/ogc/collections/grids/items?type=market") == [EAST]
    assert _ids(client, "/ogc/collections/grids/items?households=120") == GRIDS[:1]
    assert _ids(client, "/ogc/collections/grids/items?households=-3530418668") == []   # beyond int32: nothing
    assert _ids(client, f"/ogc/collections/grids/items?community={COMMUNITY}&households=99") == GRIDS[1:2]
    assert _ids(client, f"/ogc/collections/grids/items?community={OTHER}&households=99") == []
    assert _ids(client, "/ogc/collections/grids/items?name=阳和社区第3网格") == GRIDS[2:3]
    assert _ids(client, f"/ogc/collections/grids/items?code={GRIDS[3]}") == GRIDS[3:]
    assert _ids(client, "/ogc/collections/grids/items?population=303") == GRIDS[3:]
    assert _ids(client, "/ogc/collections/grids/items?version=1") == GRIDS + [EAST]
    today = datetime.now(timezone.utc).date()
    assert _ids(client, f"/ogc/collections/grids/items?start_date={today.isoformat()}") == GRIDS + [EAST]
    assert _ids(client, f"/ogc/collections/grids/items?start_date={today - timedelta(days=1)}") == []


def test_a_number_filter_matches_the_value_the_feature_shows(city):
    client = city.test_client()
    east = _get(client, f"/ogc/collections/grids/items/{EAST}").get_json()["properties"]
    assert _ids(client, f"/ogc/collections/grids/items?area_m2={east['area_m2']!r}") == [EAST]
    assert _ids(client, f"/ogc/collections/grids/items?area_m2={east['area_m2'] + 0.5!r}") == []


def test_filters_combine_with_bbox_paging_and_crs(city):
    client = city.test_client()
    x0, y0, x1, y1 = to_lonlat(box(X0 + 50, Y0 + 10, X0 + 550, Y0 + 20)).bounds   # across grids 003, 004, east
    bbox = f"bbox={x0},{y0},{x1},{y1}"
    assert _ids(client, f"/ogc/collections/grids/items?{bbox}") == GRIDS[2:] + [EAST]
    assert _ids(client, f"/ogc/collections/grids/items?{bbox}&community={COMMUNITY}") == GRIDS[2:]
    assert _ids(client, f"/ogc/collections/grids/items?{bbox}&type=market") == [EAST]
    # paging: numberMatched counts the filtered grids, next links keep the filter
    seen, url = [], f"/ogc/collections/grids/items?community={COMMUNITY}&limit=3"
    while url:
        page = _get(client, url).get_json()
        assert page["numberMatched"] == 4
        seen += [f["id"] for f in page["features"]]
        nxt = [link for link in page["links"] if link["rel"] == "next"]
        if nxt:
            assert parse_qs(urlsplit(nxt[0]["href"]).query)["community"] == [COMMUNITY]
        url = _path(nxt[0]["href"]) if nxt else None
    assert seen == GRIDS
    assert _ids(client, f"/ogc/collections/grids/items?community={COMMUNITY}&offset=3") == GRIDS[3:]
    # crs: the metric CRS in northing/easting order, filtered
    metric = _get(client, "/ogc/collections/grids/items?type=market&crs=EPSG:4545").get_json()["features"]
    assert [f["id"] for f in metric] == [EAST]
    northing, easting = shape(metric[0]["geometry"]).centroid.coords[0]
    assert abs(easting - (X0 + 500)) < 0.01 and abs(northing - (Y0 + 75)) < 0.01


def test_filters_apply_to_the_register_as_it_stood(city):
    client = city.test_client()
    now = (datetime.now(timezone.utc) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # after the imports
    assert _ids(client, f"/ogc/collections/grids/items?datetime={now}&community={OTHER}") == [EAST]
    assert _ids(client, f"/ogc/collections/grids/items?datetime={now}&households=101&version=1") == GRIDS[3:]
    today = datetime.now(timezone.utc).date().isoformat()
    assert _ids(client, f"/ogc/collections/grids/items?datetime={now}&start_date={today}&type=market") == [EAST]


def test_regions_filter_by_level_parent_code_and_name(city):
    client = city.test_client()
    assert _ids(client, "/ogc/collections/regions/items?level=community") == [COMMUNITY, OTHER]
    assert _ids(client, "/ogc/collections/regions/items?parent=450203008") == [COMMUNITY, OTHER]
    assert _ids(client, "/ogc/collections/regions/items?level=district") == ["450203"]
    assert _ids(client, "/ogc/collections/regions/items?name=新圩社区") == [OTHER]
    assert _ids(client, "/ogc/collections/regions/items?code=450203008&level=street") == ["450203008"]
    assert _ids(client, "/ogc/collections/regions/items?code=450203008&level=community") == []


def test_gaps_filter_by_kind_and_region_as_the_gap_report_finds_them(city):
    client = city.test_client()
    report = _get(client, "/api/v1/gaps/features").get_json()["features"]
    kinds = {f["properties"]["kind"] for f in report}
    assert {"hole", "understaffed"} <= kinds  # the east community is half covered; nobody is assigned
    for kind in kinds:
        served = _get(client, f"/ogc/collections/gaps/items?kind={kind}&limit=1000").get_json()
        expected = [f for f in report if f["properties"]["kind"] == kind]
        assert served["numberMatched"] == len(expected) > 0
        assert sorted(orjson.dumps(f["properties"]) for f in served["features"]) == \
            sorted(orjson.dumps(f["properties"]) for f in expected)
    short = _get(client, f"/ogc/collections/gaps/items?kind=understaffed&code={EAST}").get_json()["features"]
    assert [f["properties"]["households"] for f in short] == [300]
    assert _ids(client, "/ogc/collections/gaps/items?kind=understaffed&households=300") == [f["id"] for f in short]
    holes = _get(client, f"/ogc/collections/gaps/items?kind=hole&region={OTHER}").get_json()["features"]
    assert holes and all(f["properties"]["region"] == OTHER for f in holes)
    assert _ids(client, "/ogc/collections/gaps/items?kind_label=空洞") == _ids(client, "/ogc/collections/gaps/items?kind=hole")


# ---- bad and hostile values ---------------------------------------------------------------------

@pytest.mark.parametrize("query, words", [
    ("households=abc", "not an integer"), ("households=1.5", "not an integer"), ("households=", "not an integer"),
    ("households=123456789012345678901", "not an integer"), ("households=0x10", "not an integer"),
    ("area_m2=nan", "finite number"), ("area_m2=inf", "finite number"), ("area_m2=1e999", "finite number"),
    ("area_m2=1_000", "finite number"), ("start_date=2024-13-01", "not a date"), ("start_date=today", "not a date"),
    ("type=castle", "not one of: residential"), ("community=12", r"\d{12}"),
    (f"community={COMMUNITY}&community={OTHER}", "given 2 times"),
    ("kind=hole", "property filters (its queryables): code, name, community"),
    ("name=%E9%98%B3%00", "U+0000 (NUL)"), ("name=a%1Bb", "U+001B (ESC)"), ("name=a%E2%80%AEb", "U+202E"),
    ("name=" + "长" * 201, "at most 200"),
])
def test_bad_filter_values_are_400_problems(city, query, words):
    response = _get(city.test_client(), f"/ogc/collections/grids/items?{query}", 400)
    assert response.mimetype == "application/problem+json"
    assert words in response.get_json()["detail"]


def test_a_property_of_another_collection_is_an_unknown_parameter(city):
    detail = _get(city.test_client(), "/ogc/collections/regions/items?households=1", 400).get_json()["detail"]
    assert "unknown query parameter(s): households" in detail and "level, parent" in detail


HOSTILE = ["' OR '1'='1", "阳和社区第1网格' --", "x'; DROP TABLE grids; --", '" OR ""="', "%", "_", "*", "\\",
           "%' OR 1=1 --", "1 OR 1=1", "1; SELECT 1", "0x31", "NULL", "null", "true", "′ OR ′1′=′1",
           "a" * 5000, "𠀀" * 300, "\t", "\n", "\r\n", "\x00", "\x7f", "\u2028", "\ufeff", "𝟏𝟐𝟑"]
# Sent as they are: a lone surrogate (CESU), bytes that are no UTF-8, an overlong '/', a bare '%'.
RAW = ["%ED%A0%80", "%FF%FE", "%C0%AF", "%", "%2", "%%32%30"]


@pytest.mark.parametrize("collection_id", COLLECTIONS)
def test_hostile_filter_values_are_refused_or_match_nothing_and_change_nothing(city, collection_id):
    client = city.test_client()
    names = list(_get(client, f"/ogc/collections/{collection_id}/queryables").get_json()["properties"])
    before = _get(client, "/api/v1/export/grids?format=geojson").data
    for name in names:
        for value in [quote(v, safe="") for v in HOSTILE] + RAW:
            response = client.get(f"/ogc/collections/{collection_id}/items?{name}={value}")
            assert response.status_code in (200, 400), (name, value, response.get_data(as_text=True))
            if response.status_code == 200:
                assert response.get_json()["numberMatched"] == 0, (name, value)
            else:
                assert response.mimetype == "application/problem+json" and response.get_json()["detail"]
    assert _get(client, "/api/v1/export/grids?format=geojson").data == before
    assert len(_ids(client, "/ogc/collections/grids/items")) == 5


def test_the_filter_is_sql_with_its_value_bound(city, engine):
    """The grids' filters go into the SQL WHERE clause as bound parameters, never into its text."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    value = "阳和社区第1网格' OR '1'='1"
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert _ids(city.test_client(), "/ogc/collections/grids/items", ) == GRIDS + [EAST]
        seen.clear()
        assert _get(city.test_client(), "/ogc/collections/grids/items", query_string={
            "community": COMMUNITY, "name": value}).get_json()["numberMatched"] == 0
    finally:
        event.remove(engine, "before_cursor_execute", record)
    queries = [(s, p) for s, p in seen if "grids.community" in s and "grids.name" in s]
    assert queries, [s for s, _ in seen]
    statement, parameters = queries[0]
    assert value not in statement and COMMUNITY not in statement
    bound = parameters.values() if isinstance(parameters, dict) else parameters
    assert value in bound and COMMUNITY in bound


# ---- the registry -------------------------------------------------------------------------------

def test_a_new_layer_declares_its_queryables_once(city, monkeypatch):
    import geopandas as gpd
    from shapely.geometry import Point

    from gis_app.ogc import collections as registry
    from gis_app.ogc.queryables import queryable
    frame = gpd.GeoDataFrame({"code": ["p1", "p2", "p3"], "kind": ["toilet", "refuse", "toilet"],
                              "open": [True, False, False], "staff": [2, 0, 5]},
                             geometry=[to_lonlat(Point(X0 + 10 * i, Y0 + 10)) for i in range(3)], crs="EPSG:4326")
    places = registry.frame_collection(
        id="places", title={"zh": "场所", "en": "Places"}, description={"zh": "测试", "en": "test"},
        load=lambda engine, settings: frame, extent=lambda engine, settings: registry.Extent(registry.bounds_of(frame)),
        queryables=(queryable("kind", "string", ("类别", "Kind"), ("场所类别", "kind of place"), enum=("toilet", "refuse")),
                    queryable("open", "boolean", ("开放", "Open"), ("是否开放", "open to the public")),
                    queryable("staff", "integer", ("人员", "Staff"), ("持健康证人数", "staff with health certificates"))))
    registry.check_queryables(places.id, places.queryables)
    monkeypatch.setitem(registry._REGISTRY, "places", places)
    client = city.test_client()
    assert _ids(client, "/ogc/collections/places/items?kind=toilet") == ["p1", "p3"]
    assert _ids(client, "/ogc/collections/places/items?kind=toilet&open=false") == ["p3"]
    assert _ids(client, "/ogc/collections/places/items?open=true&staff=2") == ["p1"]
    assert "true or false" in _get(client, "/ogc/collections/places/items?open=1", 400).get_json()["detail"]
    doc = _get(client, "/ogc/collections/places/queryables?lang=en").get_json()
    assert doc["properties"]["open"] == {"type": "boolean", "title": "Open", "description": "open to the public"}
    spec = _get(client, "/ogc/api").get_json()
    assert {"kind", "open", "staff"} <= {p["name"] for p in spec["paths"]["/collections/places/items"]["get"]["parameters"]}


@pytest.mark.parametrize("name, kind, words", [("limit", "string", "query parameter of /items"),
                                               ("kind", "date", "has type"), ("kind", "string", "twice")])
def test_a_queryable_the_api_cannot_serve_is_refused_at_registration(name, kind, words):
    from gis_app.ogc.queryables import check_queryables, queryable
    declared = [queryable(name, kind, ("甲", "A"), ("甲", "a"))]
    if words == "twice":
        declared *= 2
    with pytest.raises(ValueError, match=words):
        check_queryables("places", declared)


# ---- OWSLib's Features client on a live server --------------------------------------------------

def test_owslib_reads_pages_and_filters_the_demo_city(demo, served):  # noqa: F811
    from owslib.ogcapi.features import Features
    client = demo.test_client()
    exported = orjson.loads(client.get("/api/v1/export/grids?format=geojson").data)["features"]
    by_code = {f["properties"]["code"]: f for f in exported}
    assert len(by_code) == 600

    api = Features(f"{served.url}/ogc")
    assert {"regions", "grids", "gaps"} <= set(api.feature_collections())
    assert api.collection("grids")["title"] == "网格"
    conformance = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters" in conformance
    assert "/collections/{collectionId}/queryables" in api.api()["paths"]

    # page through every grid, 250 at a time
    seen, offset = [], 0
    while True:
        page = api.collection_items("grids", limit=250, offset=offset)
        assert page["numberMatched"] == 600
        seen += page["features"]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 250
    assert sorted(f["id"] for f in seen) == sorted(by_code)
    assert all(f["properties"] == by_code[f["id"]]["properties"] for f in seen)

    # the queryables, then a filter on each of two of them
    queryables = api.collection_queryables("grids")
    assert {"community", "type", "households"} <= set(queryables["properties"])
    assert queryables["additionalProperties"] is False
    community = exported[len(exported) // 2]["properties"]["community"]
    got = api.collection_items("grids", community=community, limit=10000)
    expected = sorted(code for code, f in by_code.items() if f["properties"]["community"] == community)
    assert sorted(f["id"] for f in got["features"]) == expected and got["numberMatched"] == len(expected) > 1
    market = api.collection_items("grids", type="market", community=community, limit=10000)
    assert sorted(f["id"] for f in market["features"]) == sorted(
        c for c in expected if by_code[c]["properties"]["type"] == "market")

    # gaps by kind, against the gap report
    report = orjson.loads(client.get("/api/v1/gaps/features").data)["features"]
    assert "kind" in api.collection_queryables("gaps")["properties"]
    for kind in sorted({f["properties"]["kind"] for f in report}):
        got = api.collection_items("gaps", kind=kind, limit=10000)
        assert got["numberMatched"] == sum(f["properties"]["kind"] == kind for f in report) > 0, kind

    # regions by level, against the REST export
    regions = orjson.loads(client.get("/api/v1/export/regions?format=geojson").data)["features"]
    streets = api.collection_items("regions", level="street", limit=10000)
    assert sorted(f["id"] for f in streets["features"]) == sorted(
        f["properties"]["code"] for f in regions if f["properties"]["level"] == "street")

    # a bad or hostile value: the client gets the 400 problem, the server stays up
    for bad in ({"households": "many"}, {"community": "' OR 1=1 --"}, {"name": "x\x00"}, {"colour": "red"}):
        with pytest.raises(RuntimeError, match="Invalid parameter"):
            api.collection_items("grids", **bad)
    assert api.collection_items("grids", name="%", limit=5)["numberMatched"] == 0
    assert api.collection_items("grids", limit=1)["numberMatched"] == 600


def _gdal_codes(url: str, where: str) -> list[str]:
    """The grid codes GDAL's OAPIF driver (pyogrio's GDAL) reads with an attribute filter: in a
    child process, as GDAL holds the GIL while it reads and the live server is a thread of this one."""
    script = ("import json, sys, pyogrio; frame = pyogrio.read_dataframe(sys.argv[1], layer='grids', "
              "where=sys.argv[2], read_geometry=False); print(json.dumps(sorted(frame['code'])))")
    done = subprocess.run([sys.executable, "-c", script, f"OAPIF:{url}/ogc", where], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return orjson.loads(done.stdout)


def test_gdal_sends_an_attribute_filter_to_the_server_as_property_parameters(demo, served):  # noqa: F811
    """GDAL's OAPIF driver reads the filters each items path takes from /ogc/api and turns
    ``-where "community = '…' AND type = '…'"`` into ``?community=…&type=…``."""
    exported = orjson.loads(demo.test_client().get("/api/v1/export/grids?format=geojson").data)["features"]
    community, kind = (exported[len(exported) // 3]["properties"][k] for k in ("community", "type"))
    expected = sorted(f["properties"]["code"] for f in exported if f["properties"]["community"] == community)
    assert _gdal_codes(served.url, f"community = '{community}'") == expected and len(expected) > 1
    assert any(r.startswith("/ogc/collections/grids/items?") and f"community={community}" in r
               for r in served.requests)
    both = _gdal_codes(served.url, f"community = '{community}' AND type = '{kind}'")
    assert both == sorted(f["properties"]["code"] for f in exported if (
        f["properties"]["community"], f["properties"]["type"]) == (community, kind)) != []
    assert any(f"community={community}" in r and f"type={kind}" in r for r in served.requests)
