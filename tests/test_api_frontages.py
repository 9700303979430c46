"""/api/v1/frontages and /api/v1/places: lists and filters, ETags, writes through the import checks, scopes."""
import pytest
from shapely.geometry import box

from conftest import COMMUNITY, X0, Y0, feature, to_lonlat
from frontage_fixtures import ROAD_Y, gate_zone, shop_front, streets, toilet  # noqa: F401

URL, PLACES = "/api/v1/frontages", "/api/v1/places"


def ids(resp):
    assert resp.status_code == 200, resp.get_json()
    return [f["id"] for f in resp.get_json()["features"]]


def test_the_list_is_a_feature_collection_with_the_derived_properties(streets, client):
    body = client.get(URL).get_json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == 2
    shop = body["features"][0]
    assert shop["id"] == "F1" and shop["geometry"]["type"] == "LineString"
    props = shop["properties"]
    assert props["grids"] == [f"{COMMUNITY}001", f"{COMMUNITY}002"] and props["length_m"] == pytest.approx(120)
    assert props["unit_kind_label"] == "个体商户" and props["effective_status"] == "signed"
    assert props["expires_on"] == "2030-06-30" and props["items"] == ["sanitation", "order"]
    assert props["remark"] == "=老字号" and props["road"] == "阳和大道"


@pytest.mark.parametrize("query, expected", [
    ("status=refused", ["F2"]), ("effective_status=signed", ["F1"]), ("unit_kind=government", ["F2"]),
    (f"grid={COMMUNITY}002", ["F1"]), ("district=450203", ["F1", "F2"]), ("district=450204", []),
    ("road=阳和大道&status=signed", ["F1"]), ("limit=1", ["F1"]), ("cursor=F1", ["F2"]),
])
def test_the_list_filters(streets, client, query, expected):
    assert ids(client.get(f"{URL}?{query}")) == expected


def test_the_list_filters_by_bbox_and_pages_with_a_next_link(streets, client):
    corner = ",".join(str(v) for v in to_lonlat(box(X0 + 15, ROAD_Y - 25, X0 + 65, ROAD_Y)).bounds)
    assert ids(client.get(f"{URL}?bbox={corner}")) == ["F2"]
    first = client.get(f"{URL}?limit=1").get_json()
    assert "cursor=F1" in first["next"] and ids(client.get(first["next"])) == ["F2"]


def test_list_and_feature_answer_304_to_their_etag(streets, client):
    etag = client.get(URL).headers["ETag"]
    assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304
    one = client.get(f"{URL}/F1")
    assert one.headers["ETag"] == '"F1-v1"'
    assert client.get(f"{URL}/F1", headers={"If-None-Match": '"F1-v1"'}).status_code == 304


def test_bad_queries_and_unknown_refs_are_problems(streets, client):
    for url, status in ((f"{URL}?status=lost", 422), (f"{URL}?grid=45", 422), (f"{URL}?bbox=1,2,3", 422),
                        (f"{URL}/NOPE", 404), (f"{PLACES}/NOPE", 404)):
        resp = client.get(url)
        assert resp.status_code == status and resp.mimetype == "application/problem+json", url


def test_create_replace_and_delete_with_if_match(streets, client, token):
    editor = token("editor")
    new = shop_front(ref="F9", unit_name="阳和五金店")
    created = client.post(URL, json=new, headers=editor)
    assert created.status_code == 201 and created.headers["ETag"] == '"F9-v1"', created.get_json()
    assert created.headers["Location"].endswith("/api/v1/frontages/F9")
    assert client.post(URL, json=new, headers=editor).status_code == 409
    changed = shop_front(ref="F9", unit_name="阳和五金店", status="refused")
    assert client.put(f"{URL}/F9", json=changed, headers=editor).status_code == 428
    assert client.put(f"{URL}/F9", json=changed, headers={**editor, "If-Match": '"F9-v7"'}).status_code == 412
    done = client.put(f"{URL}/F9", json=changed, headers={**editor, "If-Match": '"F9-v1"'})
    assert done.status_code == 200 and done.get_json()["properties"]["status"] == "refused"
    assert done.headers["ETag"] == '"F9-v2"'
    assert client.delete(f"{URL}/F9", headers={**editor, "If-Match": '"F9-v1"'}).status_code == 412
    assert client.delete(f"{URL}/F9", headers={**editor, "If-Match": '"F9-v2"'}).status_code == 204
    assert client.get(f"{URL}/F9").status_code == 404
    audit = client.get("/api/v1/audit?target=F9", headers=token("admin")).get_json()["entries"]
    assert [(e["action"], e["layer"]) for e in audit] == [("create", "frontages"), ("replace", "frontages"),
                                                          ("delete", "frontages")]
    assert audit[1]["before"]["status"] == "signed" and audit[1]["after"]["status"] == "refused"


def test_a_frontage_without_a_ref_gets_its_stable_one(streets, client, token):
    resp = client.post(URL, json=shop_front(ref=None, unit_name="无名小店"), headers=token("editor"))
    assert resp.status_code == 201 and resp.get_json()["id"].startswith("F") and len(resp.get_json()["id"]) == 13


def test_a_shop_point_posted_becomes_a_front_along_the_road(streets, client, token):
    shop = feature({"ref": "S1", "unit_name": "小卖部", "unit_kind": "individual", "front_m": 6},
                   __import__("shapely").Point(X0 + 300, ROAD_Y - 12))
    resp = client.post(URL, json=shop, headers=token("editor"))
    assert resp.status_code == 201, resp.get_json()
    props = resp.get_json()["properties"]
    assert resp.get_json()["geometry"]["type"] == "LineString" and props["length_m"] == pytest.approx(6, abs=0.01)
    assert props["road"] == "阳和大道"


def test_a_bad_frontage_is_refused_naming_its_fields_and_nothing_changes(streets, client, token):
    before = client.get(URL).get_json()
    bad = shop_front(ref="F8", unit_kind="商铺", credit_code="91450200MA5KXXXX1X", expires_on="2030-02-30")
    resp = client.post(URL, json=bad, headers=token("editor"))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    reasons = " | ".join(p["reason"] for p in resp.get_json()["problems"])
    assert "unit_kind '商铺'" in reasons and "credit_code" in reasons and "expires_on" in reasons
    assert client.get(URL).get_json() == before


def test_writes_need_an_editor_and_a_scoped_token_its_own_district(streets, client, token):
    new = shop_front(ref="F7")
    assert client.post(URL, json=new).status_code == 401
    assert client.post(URL, json=new, headers=token("viewer")).status_code == 403
    elsewhere = token("editor", district="450204")
    assert client.post(URL, json=new, headers=elsewhere).status_code == 403
    assert client.delete(f"{URL}/F1", headers={**elsewhere, "If-Match": '"F1-v1"'}).status_code == 403
    assert client.get(f"{URL}/F7").status_code == 404 and client.get(f"{URL}/F1").status_code == 200
    here = token("editor", district="450203")
    assert client.post(URL, json=new, headers=here).status_code == 201


def test_private_reads_of_a_scoped_caller_stay_in_its_district(streets, client, token):
    streets.config["SANIGRID_PUBLIC_READS"] = False
    assert client.get(URL).status_code == 401
    assert ids(client.get(URL, headers=token("viewer", district="450203"))) == ["F1", "F2"]
    other = token("viewer", district="450204")
    assert ids(client.get(URL, headers=other)) == []
    assert client.get(f"{URL}/F1", headers=other).status_code == 404
    assert client.get(f"{URL}?grid={COMMUNITY}001", headers=other).status_code == 403


def test_places_list_read_and_write(streets, client, token):
    body = client.get(f"{PLACES}?kind=public_toilet").get_json()
    (place,) = body["features"]
    assert place["id"] == "P1" and place["properties"]["grid"] == f"{COMMUNITY}003"
    assert place["properties"]["kind_label"] == "公共厕所" and place["properties"]["licence_expires"] == "2026-05-01"
    assert ids(client.get(f"{PLACES}?kind=school")) == [] and ids(client.get(f"{PLACES}?grid={COMMUNITY}003")) == ["P1"]
    editor = token("editor")
    moved = toilet(staff=5)
    resp = client.put(f"{PLACES}/P1", json=moved, headers={**editor, "If-Match": '"P1-v1"'})
    assert resp.status_code == 200 and resp.get_json()["properties"]["staff"] == 5
    bad = client.post(PLACES, json=toilet(ref="P2", kind="网吧"), headers=editor)
    assert bad.status_code == 422 and "kind '网吧'" in bad.get_json()["problems"][0]["reason"]
    unchanged = client.put(f"{PLACES}/P1", json=moved, headers={**editor, "If-Match": '"P1-v2"'})
    assert unchanged.status_code == 200 and unchanged.headers["ETag"] == '"P1-v2"'


def test_the_openapi_document_has_the_new_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (URL, f"{URL}/{{ref}}", PLACES, f"{PLACES}/{{ref}}"):
        assert path in paths
    assert set(paths[f"{URL}/{{ref}}"]) >= {"get", "put", "delete"}


def test_a_hostile_body_is_a_problem(streets, client, token):
    editor = token("editor")
    for body in (b'{"type": "Feature", "properties": {"unit_name": "x", "unit_kind": "individual"}, '
                 b'"geometry": {"type": "LineString", "coordinates": [[NaN, 1], [2, 3]]}}',
                 b"[" * 3000 + b"]" * 3000):
        resp = client.post(URL, data=body, headers={**editor, "Content-Type": "application/json"})
        assert resp.status_code in (400, 422) and resp.mimetype == "application/problem+json"
    zone = gate_zone(ref="F6")
    zone["geometry"] = {"type": "Polygon", "coordinates": [list(zone["geometry"]["coordinates"][0][:-1])]}  # unclosed
    resp = client.post(URL, json=zone, headers=editor)
    assert resp.status_code == 422 and "closed" in str(resp.get_json()).lower()


def test_locate_names_the_frontage_unit_and_the_place_responsible(streets, client, token):
    def at(x, y):
        lon, lat = to_lonlat(__import__("shapely").Point(x, y)).coords[0]
        resp = client.get(f"/api/v1/locate?lon={lon}&lat={lat}")
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()
    on_pavement = at(X0 + 150, ROAD_Y + 7)                  # 3 m south of the shop's front line
    assert on_pavement["frontage"]["ref"] == "F1" and on_pavement["frontage"]["distance_m"] == pytest.approx(3, abs=0.05)
    assert on_pavement["frontage"]["unit_name"] == "柳州螺蛳粉店" and on_pavement["frontage"]["effective_status"] == "signed"
    assert on_pavement["grid"]["code"] == f"{COMMUNITY}001" and on_pavement["place"] is None
    in_zone = at(X0 + 40, ROAD_Y - 10)
    assert in_zone["frontage"]["ref"] == "F2" and in_zone["frontage"]["distance_m"] == 0
    assert at(X0 + 150, ROAD_Y + 30)["frontage"] is None     # 20 m from the front: nobody's pavement
    assert at(X0 + 50, Y0 + 50)["place"] is None             # the toilet is a point: it holds no point
    market = feature({"ref": "P5", "kind": "farmers_market", "name": "阳和农贸市场"}, box(X0 + 300, Y0 + 20, X0 + 380, Y0 + 80))
    assert client.post(PLACES, json=market, headers=token("editor")).status_code == 201
    assert at(X0 + 340, Y0 + 50)["place"]["name"] == "阳和农贸市场"   # the index follows the write
    assert at(X0 + 340, Y0 + 50)["place"]["kind_label"] == "农贸市场"


def test_the_grid_page_and_signboard_list_the_grids_frontage_units(streets, client):
    page = client.get(f"/grids/{COMMUNITY}002").get_data(as_text=True)
    table = page.split('id="sg-frontages"')[1].split("</table>")[0]
    assert "柳州螺蛳粉店" in table and "卫生、秩序" in table and "已签" in table and "2030-06-30" in table
    assert "阳和街道办事处" not in table   # its zone lies in grids 001 and 003
    board = page.split('id="sg-sign-units"')[1].split("</div>")[0]
    assert "柳州螺蛳粉店" in board and "已签" in board
    other = client.get(f"/grids/{COMMUNITY}003").get_data(as_text=True).split('id="sg-frontages"')[1]
    assert "阳和街道办事处" in other and "拒签" in other and "柳州螺蛳粉店" not in other.split("</table>")[0]
    empty = client.get(f"/grids/{COMMUNITY}004?lang=en").get_data(as_text=True)
    assert "no frontage unit registered in this grid" in empty and 'id="sg-sign-units"' not in empty
    english = client.get(f"/grids/{COMMUNITY}001?lang=en").get_data(as_text=True)
    assert "sanitation, order" in english and "signed" in english
