"""The OpenAPI document and the interactive docs page (local assets only)."""
import re

import pytest

PATHS = ["/api/v1/regions", "/api/v1/regions/{code}", "/api/v1/grids", "/api/v1/grids/{code}",
         "/api/v1/grids/{code}/history", "/api/v1/grids/{code}/roles", "/api/v1/people", "/api/v1/people/{phone}",
         "/api/v1/locate", "/api/v1/staffing", "/api/v1/import/{layer}", "/api/v1/export/{layer}", "/api/v1/audit",
         "/api/v1/gaps", "/api/v1/gaps/features"]


@pytest.mark.parametrize("path", PATHS)
def test_openapi_documents_the_endpoint(client, path):
    assert path in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_openapi_errors_are_problem_json(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "application/problem+json" in spec["components"]["responses"]["DEFAULT_ERROR"]["content"]


def test_docs_page_loads_only_local_assets(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") for u in urls)
    for url in urls:
        with client.get(url) as resp:
            assert resp.status_code == 200, url


def test_docs_page_turns_off_the_online_validator(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert re.search(r'"validatorUrl":\s*null', page)   # gis_app/templates/swagger_ui.html
