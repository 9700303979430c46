"""/api/v1/inspections, /api/v1/cases and /api/v1/kpis over HTTP, on SQLite and PostgreSQL.

Every route; an inspection with photos through to 销号; deadlines across National Day 2026 on a
frozen clock; two people acting on one case at once; hostile photos refused with nothing stored;
district-scoped tokens.
"""
from __future__ import annotations

import datetime as dt
import io
import threading
import zipfile

import pytest
from PIL import ExifTags, Image
from shapely.geometry import Point

from conftest import COMMUNITY, DISTRICT, X0, Y0, to_lonlat
from gis_app.casework import clock
from gis_app.storage.photos import photo_folder

G1, G4 = f"{COMMUNITY}001", f"{COMMUNITY}004"
DAILY = ["road_clean", "no_dumping", "no_stacking", "no_vending", "no_parking", "no_posters", "no_hanging", "bins_ok",
         "frontage_kept", "no_breeding"]
GEO = "application/geo+json"
PROBLEM = "application/problem+json"
PATHS = ["/api/v1/inspections", "/api/v1/inspections/{inspection_id}", "/api/v1/cases", "/api/v1/cases/{case_id}",
         "/api/v1/cases/{case_id}/actions", "/api/v1/kpis"]


@pytest.fixture
def frozen(monkeypatch):
    moment = {"now": dt.datetime(2026, 9, 30, 10, 5)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return lambda value: moment.update(now=value)


@pytest.fixture
def editor(token):
    return token("editor")


def body(*failed, x=100, y=225, **extra):
    point = to_lonlat(Point(X0 + x, Y0 + y))
    return {"kind": "daily", "inspector": "张三", "at": "2026-09-30T10:00:00+08:00", "lon": point.x, "lat": point.y,
            "results": {k: "fail" if k in failed else "pass" for k in DAILY}, **extra}


def jpeg(gps: bool = False, size=(64, 48)) -> bytes:
    exif = Image.Exif()
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (24.0, 18.0, 45.6),
                                      ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (109.0, 25.0, 12.0),
                                      ExifTags.GPS.GPSMapDatum: "WGS-84"}
    out = io.BytesIO()
    Image.new("RGB", size, (30, 160, 30)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def multipart(inspection: dict, *photos) -> dict:
    import orjson
    return {"inspection": orjson.dumps(inspection).decode(),
            "photo": [(io.BytesIO(data), f"p{i}.jpg") for i, data in enumerate(photos)]}


def post_form(client, url, data, headers):
    """POST multipart/form-data, closing the test client's spooled body (a large one is a temporary file)."""
    from flask.testing import EnvironBuilder
    builder = EnvironBuilder(client.application, path=url, method="POST", data=data, headers=headers,
                             content_type="multipart/form-data")
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def stored_photos(app) -> list:
    folder = photo_folder(app.config["SANIGRID_INSTANCE"])
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def record(client, auth, *failed, **extra):
    answer = client.post("/api/v1/inspections", json=body(*failed, **extra), headers=auth)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.mark.parametrize("path", PATHS)
def test_the_openapi_document_has_the_routes(client, path):
    assert path in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_an_inspection_with_a_photo_opens_its_case_and_goes_through_to_closed(loaded, client, editor, token,
                                                                             frozen):
    answer = post_form(client, "/api/v1/inspections", multipart(body("road_clean"), jpeg(gps=True)), editor)
    assert answer.status_code == 201 and answer.mimetype == GEO, answer.get_json()
    inspection = answer.get_json()
    assert answer.headers["Location"].endswith(f"/api/v1/inspections/{inspection['id']}")
    props = inspection["properties"]
    assert props["grid"] == G1 and props["score"] == 80.0 and props["exif"][0]["datum"] == "WGS-84"
    with client.get(props["photos"][0]) as served:
        assert served.status_code == 200 and not Image.open(io.BytesIO(served.data)).getexif()   # no GPS served
    (case,) = inspection["cases"]
    assert case["properties"]["deadline"] == "2026-10-08T10:00:00+08:00"    # across National Day
    assert client.get(f"/api/v1/inspections/{inspection['id']}").get_json()["properties"]["cases"] == [case["id"]]

    url = f"/api/v1/cases/{case['id']}"
    rectifier, verifier = token("editor"), token("editor")
    etag = client.get(url).headers["ETag"]
    steps = [(editor, {"action": "dispatch", "assignee": "13800000001"}, None),
             (rectifier, {"action": "rectify", "note": "已清理"}, jpeg()),
             (verifier, {"action": "verify"}, None), (verifier, {"action": "close"}, None)]
    for auth, fields, photo in steps:
        if photo is None:
            done = client.post(f"{url}/actions", json=fields, headers={**auth, "If-Match": etag})
        else:
            done = post_form(client, f"{url}/actions", {**fields, "photo": (io.BytesIO(photo), "after.jpg")},
                             {**auth, "If-Match": etag})
        assert done.status_code == 200, done.get_json()
        assert done.headers["ETag"] != etag
        etag = done.headers["ETag"]
    closed = client.get(url).get_json()["properties"]
    assert closed["state"] == "closed" and closed["version"] == 5 and closed["evidence"].startswith("/photos/")
    assert [h["action"] for h in closed["history"]] == ["register", "dispatch", "rectify", "verify", "close"]
    assert closed["history"][2]["note"] == "已清理"


def test_an_illegal_transition_is_a_409_naming_the_state_and_the_next_steps(loaded, client, editor, frozen):
    (case,) = record(client, editor, "road_clean")["cases"]
    url = f"/api/v1/cases/{case['id']}/actions"
    answer = client.post(url, json={"action": "verify"}, headers={**editor, "If-Match": f'"case-{case["id"]}-v1"'})
    assert answer.status_code == 409 and answer.mimetype == PROBLEM
    detail = answer.get_json()["detail"]
    assert "state registered (立案)" in detail and "allowed next: dispatch (派遣), defer (缓办)" in detail
    no_photo = client.post(url, json={"action": "dispatch", "assignee": "甲"},
                           headers={**editor, "If-Match": f'"case-{case["id"]}-v1"'})
    assert no_photo.status_code == 200
    rectify = client.post(url, json={"action": "rectify"}, headers={**editor, "If-Match": no_photo.headers["ETag"]})
    assert rectify.status_code == 422 and "evidence photo" in rectify.get_json()["detail"]
    assert client.post(url, json={"action": "rectify"}, headers=editor).status_code == 428
    defer = client.post(url, json={"action": "defer", "working_days": 2},
                        headers={**editor, "If-Match": no_photo.headers["ETag"]})
    assert defer.status_code == 422 and "supervisor" in defer.get_json()["detail"]
    unknown = client.post(url, json={"action": "burn"}, headers={**editor, "If-Match": no_photo.headers["ETag"]})
    assert unknown.status_code == 422
    assert client.post(url, data="action=close", content_type="text/plain", headers=editor).status_code == 415
    assert client.post("/api/v1/cases/AJ99999999/actions", json={"action": "close"},
                       headers={**editor, "If-Match": '"case-AJ99999999-v1"'}).status_code == 404


def test_two_people_acting_on_one_case_at_once_one_wins_and_the_other_gets_409(loaded, editor, token, frozen):
    (case,) = record(loaded.test_client(), editor, "road_clean")["cases"]
    url, tag = f"/api/v1/cases/{case['id']}/actions", f'"case-{case["id"]}-v1"'
    admin = token("admin")
    start, answers = threading.Barrier(2), []

    def act(auth, fields):
        client = loaded.test_client()
        start.wait()
        answer = client.post(url, json=fields, headers={**auth, "If-Match": tag})
        answers.append((answer.status_code, answer.get_json()))

    threads = [threading.Thread(target=act, args=(editor, {"action": "dispatch", "assignee": "甲"})),
               threading.Thread(target=act, args=(admin, {"action": "defer", "working_days": 3}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == [200, 409]
    winner = next(b for s, b in answers if s == 200)
    loser = next(b for s, b in answers if s == 409)
    assert "now at version 2" in loser["detail"] and loser["title"] == "Conflict"
    stored = loaded.test_client().get(f"/api/v1/cases/{case['id']}").get_json()["properties"]
    assert stored["version"] == 2 and [h["action"] for h in stored["history"]][1] == winner["properties"][
        "history"][1]["action"]
    assert len(stored["history"]) == 2


def test_deferral_deadline_and_overdue_escalation_on_a_frozen_clock(loaded, client, editor, token, frozen):
    first, second = record(client, editor, "road_clean", "no_stacking")["cases"]
    assert second["properties"]["deadline"] == "2026-10-09T10:00:00+08:00"   # stacking: 2 working days
    deferred = client.post(f"/api/v1/cases/{first['id']}/actions", json={"action": "defer", "working_days": 2},
                           headers={**token("admin"), "If-Match": f'"case-{first["id"]}-v1"'})
    # 2 more working days from Thursday 8 October: Friday 9, Saturday 10 (an adjusted working day)
    assert deferred.status_code == 200 and deferred.get_json()["properties"]["deadline"] == "2026-10-10T10:00:00+08:00"
    frozen(dt.datetime(2026, 10, 9, 12, 0))
    late = client.get("/api/v1/cases?overdue=true").get_json()["features"]
    assert [f["id"] for f in late] == [second["id"]]
    assert late[0]["properties"]["answering_level"] == "community"
    on_time = client.get("/api/v1/cases?overdue=false&state=registered").get_json()["features"]
    assert [f["id"] for f in on_time] == [first["id"]]
    kpis = client.get("/api/v1/kpis?month=2026-10&community=" + COMMUNITY).get_json()
    community = next(r for r in kpis["rows"] if r["level"] == "community")
    assert (community["due"], community["deferred"], community["closed"]) == (2, 1, 0)
    assert community["closure_rate"] == 0.0 and kpis["region"] == COMMUNITY


def test_lists_filter_page_and_answer_304(loaded, client, editor, frozen):
    for x in (100, 300):
        record(client, editor, "road_clean", "no_dumping", x=x)
    page = client.get(f"/api/v1/cases?grid={G1}&limit=1")
    assert page.status_code == 200 and page.mimetype == GEO
    first = page.get_json()
    assert first["numberReturned"] == 1 and first["next"]
    rest = client.get(first["next"].replace("http://localhost", "")).get_json()
    assert [f["properties"]["grid"] for f in rest["features"]] == [G1]
    assert client.get("/api/v1/cases?category=littering").get_json()["numberReturned"] == 2
    again = client.get("/api/v1/cases?category=littering", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 200
    tag = client.get("/api/v1/cases?category=littering").headers["ETag"]
    assert client.get("/api/v1/cases?category=littering", headers={"If-None-Match": tag}).status_code == 304
    inspections = client.get("/api/v1/inspections?kind=daily&since=2026-09-30T00:00:00").get_json()
    assert inspections["numberReturned"] == 2
    assert client.get("/api/v1/inspections?since=yesterday").status_code == 422
    assert client.get("/api/v1/inspections/XC99999999").status_code == 404
    assert client.get("/api/v1/kpis?month=2026-13").status_code == 422
    assert client.get("/api/v1/kpis").status_code == 422


def test_bad_inspections_are_refused_with_problem_json_and_write_nothing(loaded, client, editor, frozen):
    cases = [
        (body("road_clean", x=5000), 422, "no grid holds the point"),
        ({**body(), "results": {"road_clean": "fail"}}, 422, "no result for item"),
        (body("road_clean", emergency=["no_posters"]), 422, "did not fail"),
        ({**body(), "at": "2026-10-02T10:00:00+08:00"}, 422, "in the future"),
        ({**body(), "kind": "hourly"}, 422, None),
    ]
    for sent, status, words in cases:
        answer = client.post("/api/v1/inspections", json=sent, headers=editor)
        assert answer.status_code == status and answer.mimetype == PROBLEM, (sent, answer.get_json())
        assert words is None or words in answer.get_json()["detail"]
    assert client.post("/api/v1/inspections", data=b"{", content_type="application/json",
                       headers=editor).status_code == 422
    assert client.post("/api/v1/inspections", json=body()).status_code == 401
    assert client.get("/api/v1/inspections").get_json()["numberReturned"] == 0


def _zip_as_jpg() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.txt", "not a photo")
    return out.getvalue()


def _over_ten_mb() -> bytes:
    return jpeg() + b"\0" * (10 * 1024 * 1024)      # a real JPEG with 10 MB of trailing bytes


def _bomb_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")   # 400 million pixels in a few kilobytes
    return out.getvalue()


@pytest.mark.parametrize("hostile, words", [(_zip_as_jpg, "not a readable"), (_over_ten_mb, "larger than 10 MB"),
                                            (_bomb_png, "pixels")])
def test_hostile_photos_are_refused_and_nothing_is_stored(loaded, client, editor, frozen, hostile, words):
    data = hostile()
    answer = post_form(client, "/api/v1/inspections", multipart(body("road_clean"), jpeg(), data), editor)
    assert answer.status_code == 422 and answer.mimetype == PROBLEM and words in answer.get_json()["detail"]
    assert "photo 2" in answer.get_json()["detail"]
    assert stored_photos(loaded) == []
    assert client.get("/api/v1/inspections").get_json()["numberReturned"] == 0
    assert client.get("/api/v1/cases").get_json()["numberReturned"] == 0
    (case,) = record(client, editor, "road_clean")["cases"]
    url, tag = f"/api/v1/cases/{case['id']}/actions", f'"case-{case["id"]}-v1"'
    assert client.post(url, json={"action": "dispatch", "assignee": "甲"},
                       headers={**editor, "If-Match": tag}).status_code == 200
    evidence = post_form(client, url, {"action": "rectify", "photo": (io.BytesIO(data), "after.jpg")},
                         {**editor, "If-Match": f'"case-{case["id"]}-v2"'})
    assert evidence.status_code in (413, 422) and evidence.mimetype == PROBLEM
    assert stored_photos(loaded) == []
    assert client.get(f"/api/v1/cases/{case['id']}").get_json()["properties"]["state"] == "dispatched"


def test_a_district_token_records_and_acts_only_in_its_district(loaded, client, token, frozen):
    outside = token("editor", district="450204")
    answer = client.post("/api/v1/inspections", json=body("road_clean"), headers=outside)
    assert answer.status_code == 403 and answer.mimetype == PROBLEM
    inside = token("editor", district=DISTRICT)
    (case,) = record(client, inside, "road_clean")["cases"]
    acted = client.post(f"/api/v1/cases/{case['id']}/actions", json={"action": "dispatch", "assignee": "甲"},
                        headers={**outside, "If-Match": f'"case-{case["id"]}-v1"'})
    assert acted.status_code == 403


def test_private_reads_keep_a_district_reader_in_its_district(loaded, client, editor, token, frozen):
    (case,) = record(client, editor, "road_clean")["cases"]
    loaded.config["SANIGRID_PUBLIC_READS"] = False
    outside, inside = token("viewer", district="450204"), token("viewer", district=DISTRICT)
    assert client.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases", headers=outside).get_json()["numberReturned"] == 0
    assert client.get("/api/v1/cases", headers=inside).get_json()["numberReturned"] == 1
    assert client.get(f"/api/v1/cases/{case['id']}", headers=outside).status_code == 404
    assert client.get(f"/api/v1/cases?grid={G4}", headers=outside).status_code == 403
    assert client.get("/api/v1/kpis?month=2026-10", headers=outside).get_json()["rows"] == []
    assert client.get("/api/v1/kpis?month=2026-10", headers=inside).get_json()["region"] == DISTRICT
