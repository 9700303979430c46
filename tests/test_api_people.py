"""/api/v1/people and /api/v1/grids/{code}/roles: people, roles, A/B cleaner posts."""
from conftest import COMMUNITY

G1 = f"{COMMUNITY}001"
ROLES = f"/api/v1/grids/{G1}/roles"
LEADER = {"phone": "13800000001", "name": "张三", "role": "leader"}
CLEANER_A = {"phone": "13800000002", "name": "李四", "role": "cleaner", "backup": "13800000003"}
CLEANER_B = {"phone": "13800000003", "name": "王五", "role": "cleaner"}


ANY = {"If-Match": "*"}


def _put(client, token, roles):
    return client.put(ROLES, json={"roles": roles}, headers={**token(), **ANY})


def test_replace_roles_pairs_a_and_b_posts(loaded, client, token):
    resp = _put(client, token, [LEADER, CLEANER_A, CLEANER_B])
    assert resp.status_code == 200
    pairs = {(r["phone"], r["role"], r["backup"]) for r in resp.get_json()}
    assert ("13800000002", "cleaner", "13800000003") in pairs


def test_a_backup_must_be_another_known_person(loaded, client, token):
    resp = _put(client, token, [{**CLEANER_A, "backup": "13900000000"}])
    assert resp.status_code == 422 and "backup" in resp.get_json()["problems"][0]["reason"]
    assert client.get(ROLES).get_json() == []


def test_two_leaders_are_refused(loaded, client, token):
    resp = _put(client, token, [LEADER, {**LEADER, "phone": "13800000009", "name": "赵六"}])
    assert resp.status_code == 422


def test_add_and_remove_one_role(loaded, client, token):
    _put(client, token, [LEADER])
    assert client.post(ROLES, json=CLEANER_B, headers={**token(), **ANY}).status_code == 201
    assert client.post(ROLES, json=CLEANER_B, headers={**token(), **ANY}).status_code == 409
    resp = client.delete(f"{ROLES}/cleaner/13800000003", headers={**token(), **ANY})
    assert [r["role"] for r in resp.get_json()] == ["leader"]
    assert client.delete(f"{ROLES}/cleaner/13800000003", headers={**token(), **ANY}).status_code == 404


def test_empty_role_list_clears_the_grid(loaded, client, token):
    _put(client, token, [LEADER])
    assert _put(client, token, []).get_json() == []


def test_roles_of_an_unknown_grid_are_404(loaded, client):
    assert client.get("/api/v1/grids/450203008001999/roles").status_code == 404


def test_people_crud(loaded, client, token):
    person = {"phone": "13700000000", "name": "钱七"}
    assert client.post("/api/v1/people", json=person, headers=token()).status_code == 201
    assert client.post("/api/v1/people", json=person, headers=token()).status_code == 409
    resp = client.patch("/api/v1/people/13700000000", json={"name": "钱八"}, headers=token())
    assert resp.get_json()["name"] == "钱八"
    assert client.delete("/api/v1/people/13700000000", headers=token()).status_code == 204
    assert client.get("/api/v1/people/13700000000").status_code == 404


def test_a_person_still_serving_cannot_be_removed(loaded, client, token):
    _put(client, token, [LEADER])
    assert client.delete("/api/v1/people/13800000001", headers=token()).status_code == 409


def test_people_list_pages_with_after(loaded, client, token):
    _put(client, token, [LEADER, CLEANER_A, CLEANER_B])
    first = client.get("/api/v1/people?limit=2").get_json()
    assert [p["phone"] for p in first["people"]] == ["13800000001", "13800000002"]
    assert [p["phone"] for p in client.get(first["next"]).get_json()["people"]] == ["13800000003"]


def test_a_bad_phone_is_refused(loaded, client, token):
    assert client.post("/api/v1/people", json={"phone": "abc", "name": "x"}, headers=token()).status_code == 422


def test_roles_never_rename_a_known_person(loaded, client, token):
    _put(client, token, [LEADER])
    _put(client, token, [{**LEADER, "name": "改名"}])
    assert client.get("/api/v1/people/13800000001").get_json()["name"] == "张三"
