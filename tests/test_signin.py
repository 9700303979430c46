"""Private reads mean private: every route asks for a sign-in; users, sessions, CSRF, scopes, sign-out."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from conftest import COMMUNITY, DISTRICT

from gis_app.users import create_user, disable_user

G1 = f"{COMMUNITY}001"
OTHER = "450204"          # a district with no data: a user scoped to it sees nothing of 450203
PASSWORD = "correct horse 电池"
# A value for every URL argument the app's rules take.
ARGS = {"code": G1, "layer": "grids", "z": 13, "x": 6585, "y": 3525, "fmt": "geojson", "collection_id": "grids",
        "feature_id": G1, "role": "leader", "phone": "13800000001", "filename": "viewer/viewer.js",
        "name": "0123456789abcdef0123456789abcdef.jpg", "ref": "F-1", "inspection_id": "XC00000001",
        "case_id": "AJ00000001", "month": "2026-10"}
REGION_RULES = ("/gaps/<code>", "/api/v1/regions/<string(minlength=6, maxlength=12):code>")
OPEN = {"static", "signin.login_form", "signin.login", "signin.logout", "api-docs.openapi_json"}
MACHINE = ("/api/", "/ogc", "/tiles/")
QUERIES = {"where.locate_point": "?lon=109.3998&lat=24.30897", "search.search": "?q=阳和",
           "kpis.kpi_report": "?month=2026-10", "evaluations.list_evaluations": "?month=2026-10"}


@pytest.fixture
def private(loaded):
    loaded.config["SANIGRID_PUBLIC_READS"] = False
    return loaded


@pytest.fixture
def user(engine):
    """Make a user and return its name: ``user("editor", district="450203")``."""
    def make(role="editor", district=None, name=None):
        name = name or f"{role}-{district or 'city'}"
        create_user(engine, name, PASSWORD, role, district=district)
        return name
    return make


def csrf_of(client, path="/login", **kw) -> str:
    page = client.get(path, **kw).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, name=None, password=PASSWORD, token=None, next_="/", **kw):
    form = {"csrf_token": csrf_of(client, **kw), "next": next_}
    form.update({"token": token} if token else {"name": name, "password": password})
    return client.post("/login", data=form, **kw)


def _urls(app):
    """Every rule of the app with a concrete URL, per method (HEAD and OPTIONS left to Flask)."""
    for rule in app.url_map.iter_rules():
        values = {a: (DISTRICT if rule.rule in REGION_RULES else ARGS[a]) for a in rule.arguments}
        url = app.url_map.bind("localhost").build(rule.endpoint, values) + QUERIES.get(rule.endpoint, "")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method, url


def _is_page(rule, url):
    return url.startswith("/api/v1/docs") or not url.startswith(MACHINE)


def test_every_rule_asks_an_anonymous_visitor_to_sign_in(private):
    client, seen = private.test_client(), set()
    for rule, method, url in _urls(private):
        seen.add(rule.endpoint)
        response = client.open(url, method=method)
        response.close()
        if rule.endpoint in OPEN:
            assert response.status_code in (200, 303, 403), (method, url)   # 403: a sign-out form with no CSRF
        elif method != "GET":
            assert response.status_code == 401 and response.mimetype == "application/problem+json", (method, url)
        elif _is_page(rule, url):
            assert response.status_code == 303, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login?next="), url
        else:
            assert response.status_code == 401 and response.mimetype == "application/problem+json", (method, url)
    assert len(seen) == len({r.endpoint for r in private.url_map.iter_rules()}) > 30


def test_ogc_html_pages_redirect_and_json_answers_401(private):
    client = private.test_client()
    assert client.get("/ogc/collections?f=html").status_code == 303
    assert client.get("/ogc/collections", headers={"Accept": "text/html"}).status_code == 303
    assert client.get("/ogc/collections?f=json").status_code == 401


def _stored_photo(app, name):
    """Store a real photo through the upload path, under the name the URL table uses."""
    import io
    from PIL import Image
    from gis_app.storage.photos import photo_folder, store_photo
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    url = store_photo(app.config["SANIGRID_INSTANCE"], buffer.getvalue())
    folder = photo_folder(app.config["SANIGRID_INSTANCE"])
    (folder / url.rsplit("/", 1)[1]).rename(folder / name)


def _inspection_with_a_case(client, app, auth):
    from shapely.geometry import Point
    from conftest import X0, Y0, to_lonlat
    from gis_app.case_rules import checklist
    point = to_lonlat(Point(X0 + 100, Y0 + 225))
    results = {i["key"]: "pass" for i in checklist(app.config, "daily").items} | {"road_clean": "fail"}
    answer = client.post("/api/v1/inspections", headers=auth, json={
        "kind": "daily", "inspector": "张三", "at": "2026-09-30T10:00:00+08:00", "lon": point.x, "lat": point.y,
        "results": results})
    assert answer.status_code == 201 and [c["id"] for c in answer.get_json()["cases"]] == [ARGS["case_id"]]


def _frontage_and_place(app, tmp_path):
    """A frontage and a key place, both with the ref of ARGS, so that their one-item routes answer."""
    from shapely.geometry import LineString, Point

    from conftest import X0, Y0, feature, feature_collection
    from gis_app.imports import import_file
    engine = app.extensions["sanigrid.engine"]
    for layer, props, geom in (
            ("frontages", {"unit_name": "阳和百货", "unit_kind": "enterprise", "status": "signed"},
             LineString([(X0 + 20, Y0 + 290), (X0 + 80, Y0 + 290)])),
            ("places", {"kind": "public_toilet", "name": "阳和公厕"}, Point(X0 + 50, Y0 + 200))):
        path = tmp_path / f"{layer}.geojson"
        path.write_bytes(feature_collection([feature({"ref": ARGS["ref"], **props}, geom)]))
        import_file(engine, app.config, layer, path)


def test_signed_in_by_password_every_read_answers(private, user, token, tmp_path):
    client = private.test_client()
    client.put(f"/api/v1/grids/{G1}/roles", json={"roles": [{"phone": ARGS["phone"], "name": "张三", "role": "leader"}]},
               headers={**token(), "If-Match": "*"})
    _stored_photo(private, ARGS["name"])
    _frontage_and_place(private, tmp_path)
    _inspection_with_a_case(client, private, token())   # XC00000001 and its case AJ00000001
    assert sign_in(client, user("admin")).status_code == 303
    for rule, method, url in _urls(private):
        if method == "GET" and rule.endpoint not in OPEN:
            response = client.get(url)
            response.close()
            assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])


def test_signed_in_by_token_through_the_form(private, token):
    client = private.test_client()
    secret = token("viewer")["Authorization"].split()[1]
    assert sign_in(client, token=secret, next_="/register").headers["Location"] == "/register"
    assert client.get("/register").status_code == 200
    assert client.get(f"/api/v1/grids/{G1}").status_code == 200


def test_bearer_tokens_keep_working_without_a_session(private, token):
    assert private.test_client().get("/api/v1/grids", headers=token("viewer")).status_code == 200


@pytest.mark.parametrize("name, password", [("viewer-city", "wrong password"), ("nobody", PASSWORD), ("", "")])
def test_a_wrong_password_is_refused_on_the_page(private, user, name, password):
    user("viewer")
    client = private.test_client()
    response = sign_in(client, name, password)
    assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/register").status_code == 303


def test_the_sign_in_page_is_chinese_with_an_english_switch(private):
    client = private.test_client()
    assert "用户名" in client.get("/login").get_data(as_text=True)
    assert "User name" in client.get("/login?lang=en").get_data(as_text=True)
    assert "<script" not in client.get("/login").get_data(as_text=True)   # no inline script (CSP)


def test_a_disabled_user_is_signed_out_at_the_next_request(private, user, engine):
    client = private.test_client()
    sign_in(client, user("editor"))
    assert client.get("/register").status_code == 200
    disable_user(engine, "editor-city")
    assert client.get("/register").status_code == 303
    assert sign_in(client, "editor-city").status_code == 401


def test_a_revoked_token_ends_its_session(private, engine):
    from gis_app.auth import create_token, revoke_token
    token_id, secret = create_token(engine, "viewer")
    client = private.test_client()
    sign_in(client, token=secret)
    assert client.get("/register").status_code == 200
    revoke_token(engine, token_id)
    assert client.get("/register").status_code == 303


def test_sign_out_ends_the_session_and_needs_the_csrf_token(private, user):
    client = private.test_client()
    sign_in(client, user("viewer"))
    assert client.post("/logout").status_code == 403
    assert client.get("/register").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_of(client, "/register")})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/register").status_code == 303


def test_the_sign_in_form_needs_its_csrf_token(private, user):
    client = private.test_client()
    client.get("/login")
    response = client.post("/login", data={"name": user("viewer"), "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/register").status_code == 303


def test_a_new_session_on_every_sign_in(private, user):
    client = private.test_client()
    before = csrf_of(client)
    sign_in(client, user("viewer"))
    assert csrf_of(client, "/register") != before


@pytest.mark.parametrize("target, landing", [("/grids/" + G1 + "?lang=en", "/grids/" + G1 + "?lang=en"),
                                             ("//evil.example", "/"), ("/\\evil.example", "/"),
                                             ("https://evil.example", "/"), ("http:/evil.example", "/"),
                                             ("javascript:alert(1)", "/"), ("/\t/evil.example", "/"), ("", "/")])
def test_next_accepts_only_local_paths(private, user, target, landing):
    assert sign_in(private.test_client(), user("viewer"), next_=target).headers["Location"] == landing


def test_the_redirect_names_where_the_visitor_was_going(private, user):
    client = private.test_client()
    location = client.get(f"/grids/{G1}?lang=en").headers["Location"]
    assert location == f"/login?next=/grids/{G1}?lang%3Den"
    form_page = client.get(location).get_data(as_text=True)
    assert f'name="next" value="/grids/{G1}?lang=en"' in form_page


def test_passwords_are_stored_as_argon2_hashes(private, user, engine):
    user("viewer")
    with engine.connect() as conn:
        rows = conn.execute(text("select * from users")).all()
    assert PASSWORD not in str(rows) and rows[0].password_hash.startswith("$argon2id$")


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(private, user):
    name = user("viewer")
    plain = sign_in(private.test_client(), name).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = sign_in(private.test_client(), name, base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in secure


def test_x_forwarded_proto_counts_only_behind_a_trusted_proxy(settings, user, app):
    from gis_app import create_app
    name = user("viewer")
    for hops, secure in ((0, False), (1, True)):
        client = create_app({**settings, "SANIGRID_PROXY_HOPS": hops}).test_client()
        form = {"csrf_token": csrf_of(client), "name": name, "password": PASSWORD}
        cookie = client.post("/login", data=form, headers={"X-Forwarded-Proto": "https"}).headers["Set-Cookie"]
        assert ("Secure" in cookie) is secure


def test_the_secret_key_is_kept_in_the_instance_folder(settings, app):
    from gis_app import create_app
    from pathlib import Path
    key = Path(app.instance_path) / "secret_key"
    assert create_app(settings).secret_key == app.secret_key == key.read_text().strip()
    assert create_app({**settings, "SANIGRID_SECRET_KEY": "given"}).secret_key == "given"


def test_the_session_lasts_the_configured_hours(settings, app):
    from gis_app import create_app
    lifetime = create_app({**settings, "SANIGRID_SESSION_HOURS": 2}).permanent_session_lifetime
    assert lifetime.total_seconds() == 7200


# District scope: a user (or token) of one district sees only that district when reads are private.
SCOPED_OUT = [f"/grids/{G1}", f"/gaps/{DISTRICT}", f"/api/v1/grids/{G1}", f"/api/v1/grids/{G1}/roles",
              f"/api/v1/regions/{DISTRICT}", f"/api/v1/gaps?district={DISTRICT}", f"/api/v1/staffing?street={DISTRICT}008",
              f"/api/v1/export/grids?district={DISTRICT}", "/api/v1/people", "/ogc/collections", "/api/v1/audit",
              "/tiles/grids/13/6585/3525.mvt", "/api/v1/locate?lon=109.3998&lat=24.30897"]


@pytest.mark.parametrize("url", SCOPED_OUT)
def test_a_district_user_is_refused_other_districts(private, user, url):
    client = private.test_client()
    sign_in(client, user("admin", district=OTHER))
    assert client.get(url).status_code in (403, 404), url


def _tile(client):
    return client.get(f"/tiles/grids/13/{ARGS['x']}/{ARGS['y']}.geojson").get_json()["features"]


def test_a_district_user_sees_only_its_district_in_lists_tiles_and_search(private, user):
    inside, outside = private.test_client(), private.test_client()
    sign_in(inside, user("viewer", district=DISTRICT))
    sign_in(outside, user("viewer", district=OTHER))
    assert len(inside.get("/api/v1/grids").get_json()["features"]) == 4
    assert outside.get("/api/v1/grids").get_json()["features"] == []
    assert len(_tile(inside)) == 4 and _tile(outside) == []
    assert len(inside.get("/api/v1/search?q=阳和").get_json()) == 4
    assert outside.get("/api/v1/search?q=阳和").get_json() == []
    assert G1 in inside.get("/register").get_data(as_text=True)
    assert G1 not in outside.get("/register").get_data(as_text=True)
    assert inside.get(f"/grids/{G1}").status_code == 200


def test_a_district_token_reads_like_a_district_user(private, token):
    headers = token("viewer", district=OTHER)
    client = private.test_client()
    assert client.get(f"/api/v1/grids/{G1}", headers=headers).status_code == 403
    assert client.get("/api/v1/grids", headers=headers).get_json()["features"] == []


def test_with_public_reads_a_district_user_reads_the_city_as_anyone_does(loaded, user):
    client = loaded.test_client()
    sign_in(client, user("viewer", district=OTHER))
    assert len(client.get("/api/v1/grids").get_json()["features"]) == 4


# CSRF on cookie writes.
def _patch(client, **headers):
    etag = client.get(f"/api/v1/grids/{G1}").headers["ETag"]
    return client.patch(f"/api/v1/grids/{G1}", json={"properties": {"households": 7}},
                        headers={"If-Match": etag, **headers})


def test_a_cookie_write_needs_the_csrf_header(loaded, user):
    client = loaded.test_client()
    sign_in(client, user("editor", district=DISTRICT))
    assert _patch(client).status_code == 403
    assert _patch(client, **{"X-CSRF-Token": "forged"}).status_code == 403
    assert loaded.test_client().get(f"/api/v1/grids/{G1}").get_json()["properties"]["households"] == 120
    response = _patch(client, **{"X-CSRF-Token": csrf_of(client, "/")})
    assert response.status_code == 200 and response.get_json()["properties"]["households"] == 7


def test_a_cookie_write_is_audited_under_the_user(loaded, user, token):
    client = loaded.test_client()
    sign_in(client, user("editor"))
    _patch(client, **{"X-CSRF-Token": csrf_of(client, "/")})
    entry = client.get("/api/v1/audit", headers=token("admin")).get_json()["entries"][-1]
    assert entry["actor"] == "user:1:editor-city"


def test_bearer_writes_need_no_csrf_token(loaded, token):
    assert _patch(loaded.test_client(), **token("editor")).status_code == 200


def test_a_viewer_session_cannot_write(loaded, user):
    client = loaded.test_client()
    sign_in(client, user("viewer"))
    assert _patch(client, **{"X-CSRF-Token": csrf_of(client, "/")}).status_code == 403


def test_public_reads_stay_open_and_writes_still_need_a_sign_in(loaded):
    client = loaded.test_client()
    assert client.get("/register").status_code == 200 and client.get(f"/grids/{G1}").status_code == 200
    assert _patch(client).status_code == 401


# The CLI.
def test_user_commands_create_list_and_disable(runner, app):
    from gis_app.cli import cli
    result = runner.invoke(cli, ["user", "create", "李雷", "--role", "editor", "--district", DISTRICT],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    listed = runner.invoke(cli, ["user", "list"]).output
    assert "李雷\teditor\t450203\tactive" in listed
    assert runner.invoke(cli, ["user", "disable", "李雷"]).exit_code == 0
    assert "李雷\teditor\t450203\tdisabled" in runner.invoke(cli, ["user", "list"]).output
    assert runner.invoke(cli, ["user", "disable", "李雷"]).exit_code == 1


@pytest.mark.parametrize("args, password", [(["--role", "editor"], "short"), (["--role", "boss"], PASSWORD),
                                            (["--role", "editor", "--district", "4502"], PASSWORD)])
def test_user_create_refuses_bad_input_clearly(runner, app, args, password):
    from gis_app.cli import cli
    result = runner.invoke(cli, ["user", "create", "韩梅梅", *args], input=password + "\n")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "韩梅梅" not in runner.invoke(cli, ["user", "list"]).output


def test_the_password_is_never_a_flag():
    from click.testing import CliRunner

    from gis_app.cli import cli
    assert "password" not in CliRunner().invoke(cli, ["user", "create", "--help"]).output.split("Options:")[1]


def test_api_cookie_writes_take_the_token_from_the_header_only(loaded, user):
    import io
    client = loaded.test_client()
    sign_in(client, user("editor"))
    form = {"csrf_token": csrf_of(client, "/"), "file": (io.BytesIO(b"{}"), "grids.geojson")}
    answer = client.post("/api/v1/import/grids?dry_run=true", data=form, content_type="multipart/form-data")
    assert answer.status_code == 403
