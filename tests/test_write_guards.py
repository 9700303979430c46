"""Writes: roles take If-Match like grids, the caller is checked before the body, no answer shows a server path."""
from __future__ import annotations

import io
import threading

import pytest

from conftest import COMMUNITY, feature_collection, tiny_grids

G1 = f"{COMMUNITY}001"
ROLES = f"/api/v1/grids/{G1}/roles"
LEADER = {"phone": "13800000001", "name": "张三", "role": "leader"}
OTHER_LEADER = {"phone": "13800000009", "name": "赵六", "role": "leader"}
BAD_BODIES = [b"{not json", b'{"properties": 5}', b"[" * 5000 + b"]" * 5000]


# Item 3: the roles endpoints take If-Match.
def test_roles_carry_an_etag_that_changes_with_them(loaded, client, token):
    first = client.get(ROLES).headers["ETag"]
    answer = client.put(ROLES, json={"roles": [LEADER]}, headers={**token(), "If-Match": first})
    assert answer.status_code == 200 and answer.headers["ETag"] not in (first, None)
    assert client.get(ROLES).headers["ETag"] == answer.headers["ETag"]


def test_two_role_writes_from_the_same_read_one_wins_one_gets_412(loaded, client, token):
    etag = client.get(ROLES).headers["ETag"]
    first = client.put(ROLES, json={"roles": [LEADER]}, headers={**token(), "If-Match": etag})
    second = client.put(ROLES, json={"roles": [OTHER_LEADER]}, headers={**token(), "If-Match": etag})
    assert (first.status_code, second.status_code) == (200, 412)
    assert second.mimetype == "application/problem+json"
    assert [r["phone"] for r in client.get(ROLES).get_json()] == [LEADER["phone"]]


@pytest.mark.parametrize("method, url, body", [("put", ROLES, {"roles": [LEADER]}), ("post", ROLES, LEADER),
                                               ("delete", f"{ROLES}/leader/13800000001", None)])
def test_a_role_write_without_if_match_gets_428_like_grids(loaded, client, token, method, url, body):
    client.put(ROLES, json={"roles": [LEADER]}, headers={**token(), "If-Match": "*"})
    before = client.get(ROLES).get_json()
    assert getattr(client, method)(url, json=body, headers=token()).status_code == 428
    assert client.get(f"/api/v1/grids/{G1}", headers={}).status_code == 200
    grid = client.get(f"/api/v1/grids/{G1}").get_json()
    assert client.put(f"/api/v1/grids/{G1}", json=grid, headers=token()).status_code == 428   # the grid rule
    assert client.get(ROLES).get_json() == before


def test_post_and_delete_of_one_role_check_the_etag(loaded, client, token):
    stale = client.get(ROLES).headers["ETag"]
    fresh = client.post(ROLES, json=LEADER, headers={**token(), "If-Match": stale}).headers["ETag"]
    assert client.post(ROLES, json={**OTHER_LEADER, "role": "patroller"},
                       headers={**token(), "If-Match": stale}).status_code == 412
    assert client.delete(f"{ROLES}/leader/13800000001", headers={**token(), "If-Match": stale}).status_code == 412
    assert client.delete(f"{ROLES}/leader/13800000001", headers={**token(), "If-Match": fresh}).status_code == 200


def test_parallel_role_writes_from_one_read_let_exactly_one_through(loaded, token):
    """Both pass the early check; the re-check inside the serialised write transaction stops all but one."""
    etag = loaded.test_client().get(ROLES).headers["ETag"]
    auth = token()
    people = [{"phone": f"1380000010{i}", "name": f"人员{i}", "role": "leader"} for i in range(6)]
    start, statuses = threading.Barrier(len(people)), []

    def write(person):
        client = loaded.test_client()
        start.wait()
        statuses.append(client.put(ROLES, json={"roles": [person]}, headers={**auth, "If-Match": etag}).status_code)

    threads = [threading.Thread(target=write, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [412] * (len(people) - 1)
    assert len(loaded.test_client().get(ROLES).get_json()) == 1


# Item 4: authentication before the body.
def _write_rules(app):
    values = {"code": G1, "layer": "grids", "role": "leader", "phone": "13800000001", "ref": "F1",
              "case_id": "AJ00000001", "month": "2026-10"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("signin."):
            continue
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            url = app.url_map.bind("localhost").build(rule.endpoint, {a: values[a] for a in rule.arguments})
            yield method, url


@pytest.mark.parametrize("body", BAD_BODIES)
def test_a_bad_body_without_a_token_gets_401_on_every_write(loaded, client, body):
    writes = list(_write_rules(loaded))
    assert len(writes) >= 11
    for method, url in writes:
        answer = client.open(url, method=method, data=body, content_type="application/json")
        assert answer.status_code == 401 and answer.mimetype == "application/problem+json", (method, url)


def test_a_bad_body_from_a_viewer_gets_403_on_every_write(loaded, client, token):
    for method, url in _write_rules(loaded):
        answer = client.open(url, method=method, data=b"{not json", content_type="application/json",
                             headers=token("viewer"))
        assert answer.status_code == 403, (method, url)


def test_a_district_token_writing_outside_gets_403_before_422(loaded, client, token):
    outside = token("editor", district="450204")
    for method, url in _write_rules(loaded):
        if G1 not in url:
            continue
        answer = client.open(url, method=method, data=b'{"properties": 5}', content_type="application/json",
                             headers={**outside, "If-Match": "*"})
        assert answer.status_code == 403, (method, url)
    bad_new_grid = {"type": "Feature", "properties": {"community": COMMUNITY, "households": "many"}, "geometry": 1}
    assert client.post("/api/v1/grids", json=bad_new_grid, headers=outside).status_code == 403
    assert client.post("/api/v1/grids", json=bad_new_grid, headers=token("editor", "450203")).status_code == 422


def test_a_bad_body_from_the_right_editor_still_gets_422(loaded, client, token):
    answer = client.patch(f"/api/v1/grids/{G1}", data=b'{"properties": 5}', content_type="application/json",
                          headers={**token(), "If-Match": "*"})
    assert answer.status_code == 422


# Item 5: no server path in any answer.
def _server_paths(app) -> list[str]:
    from pathlib import Path
    return [app.config["SANIGRID_INSTANCE"], str(Path(app.root_path).parent), "/tmp"]


def _upload(client, token, name: str, content: bytes, **query):
    args = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(f"/api/v1/import/grids?{args}", data={"file": (io.BytesIO(content), name)},
                       headers=token(), content_type="multipart/form-data")


def test_an_import_report_names_the_sent_file_only(loaded, client, token):
    answer = _upload(client, token, "/home/li/网格.geojson", feature_collection(tiny_grids()), dry_run="true")
    assert answer.status_code == 200 and answer.get_json()["source"] == "网格.geojson"
    text = answer.get_data(as_text=True)
    assert not [p for p in _server_paths(loaded) if p in text]


@pytest.mark.parametrize("name, content", [("grids.gpkg", b"SQLite format 3\x00 but broken"),
                                           ("grids.zip", b"PK\x03\x04 not a zip"),
                                           ("grids.geojson", b'{"type": "FeatureCollection", "features": [1]}'),
                                           ("grids.xlsx", b"not a workbook"), ("grids.csv", b"\xff\xfe\x00bad")])
def test_import_errors_show_no_server_path(loaded, client, token, name, content):
    answer = _upload(client, token, name, content)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422, text
    assert not [p for p in _server_paths(loaded) if p in text], text


def test_error_pages_and_problems_hide_paths_under_the_server_folders(loaded):
    from gis_app.redact import hide_paths
    roots = ["/srv/sanigrid/instance", "/tmp"]
    assert hide_paths("'/srv/sanigrid/instance/uploads/tmpab12/upload.gpkg' not recognized",
                      roots) == "'upload.gpkg' not recognized"
    assert hide_paths("cannot open /tmp/x/y.zip: /tmpfoo stays", roots) == "cannot open y.zip: /tmpfoo stays"
    assert hide_paths("see /api/v1/grids/450203008001001", roots) == "see /api/v1/grids/450203008001001"
