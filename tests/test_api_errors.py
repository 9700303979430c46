"""One error shape (RFC 9457 problem+json) for every failing API path: pinned here."""
import pytest

from conftest import COMMUNITY

G1 = f"{COMMUNITY}001"


def _assert_problem(resp, status):
    body = resp.get_json(force=True)
    assert resp.status_code == status and resp.mimetype == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    assert "Traceback" not in resp.get_data(as_text=True)
    return body


def _stale(client, token):
    etag = client.get(f"/api/v1/grids/{G1}").headers["ETag"]
    client.patch(f"/api/v1/grids/{G1}", json={"properties": {"households": 1}}, headers={**token(), "If-Match": etag})
    return {**token(), "If-Match": etag}


CASES = [
    ("get", "/api/v1/nothing", None, lambda c, t: {}, 404),
    ("post", "/api/v1/locate", None, lambda c, t: {}, 405),
    ("get", "/api/v1/grids/450203008001999", None, lambda c, t: {}, 404),
    ("get", "/api/v1/grids?bbox=1,2,3", None, lambda c, t: {}, 422),
    ("get", "/api/v1/grids?bbox=3,3,1,1", None, lambda c, t: {}, 422),
    ("post", "/api/v1/grids", {"type": "Feature", "properties": {"name": "x", "community": COMMUNITY},
                               "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}},
     lambda c, t: t(), 422),
    ("post", "/api/v1/grids", {"type": "Feature"}, lambda c, t: t(), 422),
    ("patch", f"/api/v1/grids/{G1}", {"properties": {"households": 1}}, _stale, 412),
    ("patch", f"/api/v1/grids/{G1}", {"properties": {"households": 1}}, lambda c, t: t(), 428),
    ("patch", f"/api/v1/grids/{G1}", {"properties": {"households": 1}}, lambda c, t: t("editor", "450204"), 403),
    ("patch", f"/api/v1/grids/{G1}", {"properties": {"households": 1}}, lambda c, t: {}, 401),
]


@pytest.mark.parametrize("method, url, body, headers, status", CASES)
def test_every_failure_is_a_problem(loaded, client, token, method, url, body, headers, status):
    _assert_problem(getattr(client, method)(url, json=body, headers=headers(client, token)), status)


def test_validation_lists_every_field(loaded, client):
    body = _assert_problem(client.get("/api/v1/grids?limit=0&simplify=-1"), 422)
    assert {p["code"] for p in body["problems"]} == {"query.limit", "query.simplify"}


def test_invalid_json_is_400(loaded, client, token):
    resp = client.post("/api/v1/grids", data=b"{", content_type="application/json", headers=token())
    _assert_problem(resp, 400)


def test_an_unexpected_error_is_500_without_a_trace(loaded, client, monkeypatch):
    from gis_app.api import where

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(where, "locate_answer", boom)
    body = _assert_problem(client.get("/api/v1/locate?lon=1&lat=1"), 500)
    assert "secret" not in body["detail"]


DOMAIN_CASES = [  # the domain's typed errors, raised as they are and rendered by the one handler
    ("/api/v1/locate?lon=109.4&lat=24.3&crs=EPSG:99999", "CRSError", "EPSG:99999"),
    ("/api/v1/regions/4502030", "CodeError", "4502030"),
    ("/api/v1/staffing?district=450203&street=450203008", "RegionChoiceError", "at most one of district, street"),
    ("/api/v1/gaps?district=450203&street=450203008", "RegionChoiceError", "at most one of district=, street="),
]


@pytest.mark.parametrize("url, kind, named", DOMAIN_CASES)
def test_a_domain_error_is_a_422_problem_naming_the_culprit(loaded, client, token, url, kind, named):
    body = _assert_problem(client.get(url, headers=token("viewer")), 422)
    assert body["title"] == "Validation failed" and named in body["detail"] and body["problems"] == []


def test_the_handler_takes_any_domain_error_with_its_own_status(loaded, client, monkeypatch):
    from gis_app.api import where
    from grids.errors import DomainError

    class Later(DomainError):  # a typed error another module adds later
        status, title = 409, "Conflict"

    def refuse(*args, **kwargs):
        raise Later("the register says no")
    monkeypatch.setattr(where, "locate_answer", refuse)
    body = _assert_problem(client.get("/api/v1/locate?lon=1&lat=1"), 409)
    assert (body["title"], body["detail"]) == ("Conflict", "the register says no")


def test_no_view_or_import_step_converts_a_domain_error_by_hand():
    import re
    from conftest import REPO
    names = "|".join(("CRSError", "CodeError", "GeoJSONError", "FileFormatError", "RegionChoiceError", "DomainError"))
    pattern = re.compile(rf"except \(?[^:]*\b({names})\b[^:]*:\s*\n\s*raise (ValidationFailed|SanigridError)")
    culprits = [str(p.relative_to(REPO)) for p in (REPO / "gis_app").rglob("*.py") if pattern.search(p.read_text())]
    assert culprits == []
