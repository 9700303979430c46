"""Tokens, roles, district scoping and the audit log: every write endpoint refuses another district."""
import pytest

from conftest import COMMUNITY, X0, Y0, feature
from shapely.geometry import box

from gis_app.auth import create_token, revoke_token

G1 = f"{COMMUNITY}001"
OTHER = "450204"
ANY = {"If-Match": "*"}


def _writes(client):
    """Every write endpoint with a body that would succeed for the right token."""
    grid = client.get(f"/api/v1/grids/{G1}").get_json()
    etag = {"If-Match": client.get(f"/api/v1/grids/{G1}").headers["ETag"]}
    new = feature({"name": "新", "community": "450203008002"}, box(X0 + 400, Y0, X0 + 600, Y0 + 300))
    role = {"phone": "13800000001", "name": "张三", "role": "leader"}
    return [("post", "/api/v1/grids", new, {}), ("put", f"/api/v1/grids/{G1}", grid, etag),
            ("patch", f"/api/v1/grids/{G1}", {"properties": {"households": 1}}, etag),
            ("delete", f"/api/v1/grids/{G1}", None, etag),
            ("put", f"/api/v1/grids/{G1}/roles", {"roles": [role]}, ANY),
            ("post", f"/api/v1/grids/{G1}/roles", role, ANY),
            ("delete", f"/api/v1/grids/{G1}/roles/leader/13800000001", None, ANY),
            ("post", "/api/v1/people", {"phone": "13800000002", "name": "李四"}, {}),
            ("patch", "/api/v1/people/13800000001", {"name": "王五"}, {}),
            ("delete", "/api/v1/people/13800000001", None, {}),
            ("post", "/api/v1/import/grids", {"type": "FeatureCollection", "features": [new]}, {})]


def _state(client, token):
    return (client.get("/api/v1/grids").get_data(), client.get(f"/api/v1/grids/{G1}/roles").get_data(),
            client.get("/api/v1/people").get_data(), client.get("/api/v1/audit", headers=token("admin")).get_data())


def test_every_write_needs_a_token(loaded, client):
    for method, url, body, headers in _writes(client):
        assert getattr(client, method)(url, json=body, headers=headers).status_code == 401, (method, url)


def test_a_viewer_cannot_write(loaded, client, token):
    for method, url, body, headers in _writes(client):
        resp = getattr(client, method)(url, json=body, headers={**headers, **token("viewer")})
        assert resp.status_code == 403, (method, url)


def test_an_editor_of_another_district_gets_403_and_changes_nothing(loaded, client, token):
    client.put(f"/api/v1/grids/{G1}/roles", json={"roles": [{"phone": "13800000001", "name": "张三",
                                                             "role": "leader"}]}, headers={**token("admin"), **ANY})
    before = _state(client, token)
    for method, url, body, headers in _writes(client):
        resp = getattr(client, method)(url, json=body, headers={**headers, **token("editor", OTHER)})
        assert resp.status_code == 403 and resp.mimetype == "application/problem+json", (method, url)
    assert _state(client, token) == before


def test_an_editor_of_the_district_may_write_its_grids(loaded, client, token):
    grid = client.get(f"/api/v1/grids/{G1}").get_json()
    etag = client.get(f"/api/v1/grids/{G1}").headers["ETag"]
    resp = client.put(f"/api/v1/grids/{G1}", json=grid, headers={**token("editor", "450203"), "If-Match": etag})
    assert resp.status_code == 200


def test_an_unknown_or_revoked_token_is_401(loaded, client, engine):
    token_id, secret = create_token(engine, "admin")
    revoke_token(engine, token_id)
    for header in ("Bearer nope", f"Bearer {secret}", "Basic abc"):
        resp = client.get("/api/v1/audit", headers={"Authorization": header})
        assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_tokens_are_stored_hashed(loaded, engine):
    from sqlalchemy import text
    _, secret = create_token(engine, "viewer")
    with engine.connect() as conn:
        assert secret not in str(conn.execute(text("select * from api_tokens")).all())


def test_reads_need_a_token_when_not_public(loaded, client, app, token):
    app.config["SANIGRID_PUBLIC_READS"] = False
    assert client.get("/api/v1/grids").status_code == 401
    assert client.get("/api/v1/grids", headers=token("viewer")).status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_audit_is_for_admins_only(loaded, client, token):
    assert client.get("/api/v1/audit", headers=token("editor")).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


def test_audit_records_who_and_before_after(loaded, client, token):
    etag = client.get(f"/api/v1/grids/{G1}").headers["ETag"]
    client.patch(f"/api/v1/grids/{G1}", json={"properties": {"households": 7}},
                 headers={**token("editor", "450203"), "If-Match": etag})
    entry = client.get("/api/v1/audit", headers=token("admin")).get_json()["entries"][-1]
    assert (entry["action"], entry["target"], entry["actor"]) == ("patch", G1, "token:1:editor@450203")
    assert (entry["before"]["households"], entry["after"]["households"]) == (120, 7)


@pytest.mark.parametrize("args, exit_code", [(["--role", "admin"], 0), (["--role", "editor", "--district", "450203"], 0),
                                             (["--role", "root"], 2), (["--role", "editor", "--district", "45"], 1)])
def test_token_create_command(runner, app, args, exit_code):
    from gis_app.cli import cli
    result = runner.invoke(cli, ["token", "create", *args])
    assert result.exit_code == exit_code


def test_token_revoke_command(runner, app, engine):
    from gis_app.cli import cli
    token_id, _ = create_token(engine, "viewer")
    assert runner.invoke(cli, ["token", "revoke", str(token_id)]).exit_code == 0
    assert runner.invoke(cli, ["token", "revoke", str(token_id)]).exit_code == 1


def test_a_district_editor_creates_a_grid_without_a_code(loaded, client, token):
    new = feature({"name": "新", "community": "450203008002"}, box(X0 + 400, Y0, X0 + 600, Y0 + 300))
    assert client.post("/api/v1/grids", json=new, headers=token("editor", "450203")).status_code == 201
