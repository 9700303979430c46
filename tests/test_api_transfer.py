"""/api/v1/import/{layer} and /api/v1/export/{layer}: the CLI's code over HTTP."""
import io

import orjson
import pytest
from shapely.geometry import box

from conftest import COMMUNITY, X0, Y0, feature, feature_collection

NEW = feature({"name": "新圩1", "community": "450203008002"}, box(X0 + 400, Y0, X0 + 600, Y0 + 300))


def test_import_a_geojson_body(loaded, client, token):
    resp = client.post("/api/v1/import/grids", data=feature_collection([NEW]),
                       content_type="application/geo+json", headers=token())
    assert resp.status_code == 200 and resp.get_json()["created"] == ["450203008002001"]


def test_import_a_multipart_file_dry_run_writes_nothing(loaded, client, token):
    data = {"file": (io.BytesIO(feature_collection([NEW])), "grids.geojson")}
    resp = client.post("/api/v1/import/grids?dry_run=true", data=data, headers=token())
    assert resp.get_json()["dry_run"] is True and resp.get_json()["created"] == ["450203008002001"]
    assert len(client.get("/api/v1/grids").get_json()["features"]) == 4


def test_import_refusal_lists_per_feature_problems(loaded, client, token):
    bad = feature({"name": "重叠", "community": COMMUNITY}, box(X0, Y0, X0 + 100, Y0 + 100))
    resp = client.post("/api/v1/import/grids", data=feature_collection([NEW, bad]),
                       content_type="application/geo+json", headers=token())
    body = resp.get_json()
    assert resp.status_code == 422 and {p["index"] for p in body["problems"]} == {1}
    assert len(client.get("/api/v1/grids").get_json()["features"]) == 4


@pytest.mark.parametrize("data, kwargs", [(b"{not json", {"content_type": "application/geo+json"}),
                                          (b"NaN", {"content_type": "application/geo+json"}),
                                          (b"abc", {"content_type": "text/plain"})])
def test_import_hostile_bodies_are_4xx(loaded, client, token, data, kwargs):
    resp = client.post("/api/v1/import/grids", data=data, headers=token(), **kwargs)
    assert resp.status_code in (400, 422) and resp.mimetype == "application/problem+json"


def test_import_over_the_size_limit_is_413(loaded, app, client, token):
    app.config["MAX_CONTENT_LENGTH"] = 100
    resp = client.post("/api/v1/import/grids", data=feature_collection([NEW]),
                       content_type="application/geo+json", headers=token())
    assert resp.status_code == 413


def test_import_is_in_the_audit_log(loaded, client, token):
    client.post("/api/v1/import/grids", data=feature_collection([NEW]), content_type="application/geo+json",
                headers=token())
    entry = client.get("/api/v1/audit", headers=token("admin")).get_json()["entries"][-1]
    assert entry["action"] == "import" and entry["after"]["created"] == ["450203008002001"]


@pytest.mark.parametrize("fmt, mimetype", [("geojson", "application/geo+json"), ("csv", "text/csv"),
                                           ("gpkg", "application/geopackage+sqlite3"), ("shp", "application/zip")])
def test_export_formats(loaded, client, fmt, mimetype):
    resp = client.get(f"/api/v1/export/grids?format={fmt}")
    assert resp.status_code == 200 and resp.mimetype == mimetype and len(resp.data) > 100


def test_export_geojson_of_a_district(loaded, client):
    body = orjson.loads(client.get("/api/v1/export/grids?format=geojson&district=450203").data)
    assert len(body["features"]) == 4


@pytest.mark.parametrize("url, status", [("/api/v1/export/people?format=shp", 422),
                                         ("/api/v1/export/grids?format=pdf", 422),
                                         ("/api/v1/export/nothing", 404)])
def test_export_errors(loaded, client, url, status):
    assert client.get(url).status_code == status


def test_a_dry_run_of_another_district_is_403(loaded, client, token):
    resp = client.post("/api/v1/import/grids?dry_run=true", data=feature_collection([NEW]),
                       content_type="application/geo+json", headers=token("editor", "450204"))
    assert resp.status_code == 403


def test_make_valid_repairs_a_bow_tie(loaded, client, token):
    bow = {**NEW, "geometry": {"type": "Polygon", "coordinates": [[
        NEW["geometry"]["coordinates"][0][0], NEW["geometry"]["coordinates"][0][2],
        NEW["geometry"]["coordinates"][0][1], NEW["geometry"]["coordinates"][0][3],
        NEW["geometry"]["coordinates"][0][0]]]}}
    body = feature_collection([bow])
    refused = client.post("/api/v1/import/grids?dry_run=true", data=body, content_type="application/geo+json",
                          headers=token())
    repaired = client.post("/api/v1/import/grids?dry_run=true&make_valid=true", data=body,
                           content_type="application/geo+json", headers=token())
    assert (refused.status_code, repaired.status_code) == (422, 200)
