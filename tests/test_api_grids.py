"""/api/v1/grids: list, filters, paging, read, create, replace, patch, retire, history, ETags."""
import pytest

from conftest import COMMUNITY, X0, Y0, feature

from shapely.geometry import box

G1 = f"{COMMUNITY}001"
URL = "/api/v1/grids"


def _etag(client, code=G1):
    return client.get(f"{URL}/{code}").headers["ETag"]


def test_list_is_a_feature_collection(loaded, client):
    body = client.get(URL).get_json()
    assert body["type"] == "FeatureCollection"
    assert [f["id"] for f in body["features"]] == [f"{COMMUNITY}00{i}" for i in range(1, 5)]


def test_list_pages_with_a_cursor_and_next_link(loaded, client):
    first = client.get(f"{URL}?limit=3").get_json()
    assert len(first["features"]) == 3 and "cursor=450203008001003" in first["next"]
    second = client.get(first["next"]).get_json()
    assert [f["id"] for f in second["features"]] == [f"{COMMUNITY}004"] and second["next"] is None


def test_filtered_pages_chain_to_every_match_and_count_what_they_hold(loaded, client):
    """bbox, district and status together, two per page: the pages join to the whole match, in code order."""
    seen, url = [], f"{URL}?limit=2&bbox=-180,-90,180,90&district=450203&status=unstaffed"
    while url:
        page = client.get(url).get_json()
        assert page["numberReturned"] == len(page["features"]) <= 2
        seen += [f["id"] for f in page["features"]]
        url = page["next"]
    assert seen == [f"{COMMUNITY}00{i}" for i in range(1, 5)]


def test_list_refuses_a_page_size_over_the_limit(loaded, client):
    resp = client.get(f"{URL}?limit=100000")
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"


def test_list_filters_by_bbox(loaded, client):
    grid = client.get(f"{URL}/{G1}").get_json()
    ring = grid["geometry"]["coordinates"][0][:4]
    x, y = sum(p[0] for p in ring) / 4, sum(p[1] for p in ring) / 4
    inner = f"{x - 1e-4},{y - 1e-4},{x + 1e-4},{y + 1e-4}"
    assert [f["id"] for f in client.get(f"{URL}?bbox={inner}").get_json()["features"]] == [G1]


@pytest.mark.parametrize("query, count", [("district=450203", 4), ("district=450204", 0),
                                          ("community=450203008002", 0), ("type=residential", 4),
                                          ("type=park", 0), ("status=unstaffed", 4), ("status=complete", 0)])
def test_list_filters(loaded, client, query, count):
    assert len(client.get(f"{URL}?{query}").get_json()["features"]) == count


def test_simplify_keeps_every_grid(loaded, client):
    assert len(client.get(f"{URL}?simplify=50").get_json()["features"]) == 4


def test_get_one_has_an_etag_and_304(loaded, client):
    resp = client.get(f"{URL}/{G1}")
    assert resp.headers["ETag"] == f'"{G1}-v1"' and resp.mimetype == "application/geo+json"
    assert client.get(f"{URL}/{G1}", headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304


def test_unknown_grid_is_404(loaded, client):
    assert client.get(f"{URL}/450203008001999").status_code == 404


def test_create_assigns_the_next_code(loaded, client, token):
    # Community 002 is empty: a grid covering its western half gets sequence 001.
    new = feature({"name": "新圩1", "community": "450203008002", "households": 10}, box(X0 + 400, Y0, X0 + 600, Y0 + 300))
    resp = client.post(URL, json=new, headers=token())
    assert resp.status_code == 201 and resp.get_json()["id"] == "450203008002001"


def test_create_refuses_overlap_with_problems(loaded, client, token):
    new = feature({"name": "重叠", "community": COMMUNITY}, box(X0, Y0, X0 + 100, Y0 + 100))
    resp = client.post(URL, json=new, headers=token())
    assert resp.status_code == 422 and resp.get_json()["problems"]


def test_create_an_existing_code_conflicts(loaded, client, token):
    grid = client.get(f"{URL}/{G1}").get_json()
    assert client.post(URL, json=grid, headers=token()).status_code == 409


def test_put_with_the_etag_changes_the_grid(loaded, client, token):
    grid = client.get(f"{URL}/{G1}").get_json()
    grid["properties"]["name"] = "改名"
    resp = client.put(f"{URL}/{G1}", json=grid, headers={**token(), "If-Match": _etag(client)})
    assert resp.status_code == 200 and resp.headers["ETag"] == f'"{G1}-v2"'
    assert resp.get_json()["properties"]["name"] == "改名"


def test_put_with_a_stale_etag_is_412_and_changes_nothing(loaded, client, token):
    stale = _etag(client)
    client.patch(f"{URL}/{G1}", json={"properties": {"name": "先改"}}, headers={**token(), "If-Match": stale})
    grid = client.get(f"{URL}/{G1}").get_json()
    resp = client.put(f"{URL}/{G1}", json={**grid, "properties": {**grid["properties"], "name": "后改"}},
                      headers={**token(), "If-Match": stale})
    assert resp.status_code == 412
    assert client.get(f"{URL}/{G1}").get_json()["properties"]["name"] == "先改"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_without_if_match_are_428(loaded, client, token, method):
    grid = client.get(f"{URL}/{G1}").get_json()
    body = {"put": grid, "patch": {"properties": {"households": 1}}, "delete": None}[method]
    resp = getattr(client, method)(f"{URL}/{G1}", json=body, headers=token())
    assert resp.status_code == 428 and resp.mimetype == "application/problem+json"


def test_patch_changes_only_what_it_names(loaded, client, token):
    resp = client.patch(f"{URL}/{G1}", json={"properties": {"households": 250}},
                        headers={**token(), "If-Match": _etag(client)})
    props = resp.get_json()["properties"]
    assert (props["households"], props["name"], props["version"]) == (250, "阳和社区第1网格", 2)


def test_patch_refusing_geometry_outside_the_community(loaded, client, token):
    outside = feature({}, box(X0 - 300, Y0 + 150, X0 + 200, Y0 + 300))["geometry"]
    resp = client.patch(f"{URL}/{G1}", json={"geometry": outside}, headers={**token(), "If-Match": _etag(client)})
    assert resp.status_code == 422 and client.get(f"{URL}/{G1}").headers["ETag"] == f'"{G1}-v1"'


def test_delete_retires_and_keeps_history(loaded, client, token):
    assert client.delete(f"{URL}/{G1}", headers={**token(), "If-Match": _etag(client)}).status_code == 204
    assert client.get(f"{URL}/{G1}").status_code == 404
    actions = [v["action"] for v in client.get(f"{URL}/{G1}/history").get_json()]
    assert actions == ["create", "retire"]


def test_history_of_an_unused_code_is_404(loaded, client):
    assert client.get(f"{URL}/450203008001999/history").status_code == 404


def test_a_body_over_the_limit_is_413(loaded, app, client, token):
    app.config["SANIGRID_API_MAX_BODY_BYTES"] = 1000
    grid = client.get(f"{URL}/{G1}").get_json()
    grid["properties"]["note"] = "x" * 2000
    resp = client.put(f"{URL}/{G1}", json=grid, headers={**token(), "If-Match": _etag(client)})
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"


def test_a_name_over_200_characters_is_refused(loaded, client, token):
    resp = client.patch(f"{URL}/{G1}", json={"properties": {"name": "长" * 201}},
                        headers={**token(), "If-Match": _etag(client)})
    assert resp.status_code == 422


def test_a_list_is_304_until_the_register_changes(loaded, client, token):
    etag = client.get(f"{URL}?limit=2").headers["ETag"]
    assert client.get(f"{URL}?limit=2", headers={"If-None-Match": etag}).status_code == 304
    client.patch(f"{URL}/{G1}", json={"properties": {"households": 5}}, headers={**token(), "If-Match": _etag(client)})
    assert client.get(f"{URL}?limit=2", headers={"If-None-Match": etag}).status_code == 200


def test_a_write_racing_past_the_first_check_is_412_inside_the_transaction(loaded, client, token, monkeypatch):
    from gis_app.api import grid_edits
    stale = _etag(client)
    client.patch(f"{URL}/{G1}", json={"properties": {"name": "先改"}}, headers={**token(), "If-Match": stale})
    monkeypatch.setattr(grid_edits, "_expected", lambda engine, code, if_match: 1)  # the early check missed it
    resp = client.patch(f"{URL}/{G1}", json={"properties": {"name": "后改"}}, headers={**token(), "If-Match": stale})
    assert resp.status_code == 412
    assert client.get(f"{URL}/{G1}").get_json()["properties"]["name"] == "先改"
    assert len(client.get(f"{URL}/{G1}/history").get_json()) == 2
