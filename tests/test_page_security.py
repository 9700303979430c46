"""Security headers on every response; inline scripts only with the request's nonce; map data inert."""
from __future__ import annotations

import os
import re

import pytest

from conftest import COMMUNITY, DISTRICT
from gis_app.security import content_security_policy, tile_sources

G1 = f"{COMMUNITY}001"
PAGES = ["/", f"/grids/{G1}", f"/gaps/{DISTRICT}", "/register", "/api/v1/docs", "/ogc?f=html",
         f"/ogc/collections/grids/items/{G1}?f=html", "/ogc/api?f=html", "/inspect", "/no/such/page",
         "/evaluation"]
OTHERS = ["/api/v1/grids", "/api/v1/openapi.json", "/static/viewer/viewer.js", "/tiles/grids/14/13341/7102.geojson",
          "/api/v1/grids/999999999999999", "/ogc/collections?f=json"]


def _get(client, path, **kwargs):
    """GET and close the response (a static file streams from an open file)."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def _policy(response) -> dict:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


@pytest.mark.parametrize("path", PAGES + OTHERS)
def test_every_response_carries_the_policy_and_nosniff(loaded, client, path):
    response = _get(client, path, headers={"Accept": "text/html"} if path in PAGES else {})
    policy = _policy(response)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["frame-ancestors"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and policy["script-src"][1].startswith("'nonce-")
    assert not any("unsafe" in source for sources in policy.values() for source in sources)


def test_an_unexpected_error_page_carries_the_policy_too(loaded, client, monkeypatch):
    from gis_app.views import pages
    monkeypatch.setattr(pages, "region_tree", lambda *a: 1 / 0)
    response = client.get("/register", headers={"Accept": "text/html"})
    assert response.status_code == 500 and "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("path", PAGES)
def test_inline_scripts_and_styles_carry_this_requests_nonce(loaded, client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    nonce = _policy(response)["script-src"][1][len("'nonce-"):-1]
    html = response.get_data(as_text=True)
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        assert f'nonce="{nonce}"' in tag or " src=" in tag, tag
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"<[a-z][^>]*\sstyle=", html), "inline style attribute"
    again = client.get(path, headers={"Accept": "text/html"})
    assert _policy(again)["script-src"][1] != _policy(response)["script-src"][1]


@pytest.mark.parametrize("template, sources", [
    ("none", []), ("", []), ("/basemap/{z}/{x}/{y}.png", []),
    ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://*.tile.openstreetmap.org"]),
    ("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}",
     ["https://webrd0a.is.autonavi.com", "https://webrd0b.is.autonavi.com", "https://webrd0c.is.autonavi.com"]),
    ("http://10.0.0.5:8080/tiles/{z}/{x}/{y}.png", ["http://10.0.0.5:8080"]),
])
def test_the_basemap_host_is_named_in_img_src(template, sources):
    assert tile_sources(template) == sources
    images = content_security_policy("n", template).split("img-src ")[1].split(";")[0].split()
    assert images == ["'self'", "data:", *sources]


def test_the_configured_basemap_reaches_the_header(settings):
    from gis_app import create_app
    app = create_app({**settings, "SANIGRID_TILES": "https://{s}.tile.example.org/{z}/{x}/{y}.png"})
    response = _get(app.test_client(), "/static/viewer/viewer.js")
    assert "https://*.tile.example.org" in response.headers["Content-Security-Policy"]


def test_map_data_is_never_evaluated_as_a_template():
    """branca renders every script twice, the second time as Jinja: data must reach it inert."""
    from shapely.geometry import box

    from layers.base import offline_map
    from layers.geojson import TextGeoJson
    names = ["{{ lipsum.__globals__.os.getpid() }}", "{% if %}", "{# x", "</script><script>alert(1)</script>"]
    fmap = offline_map((109.0, 24.0, 109.1, 24.1))
    features = [{"type": "Feature", "properties": {"name": n}, "geometry": box(109, 24, 109.1, 24.1).__geo_interface__}
                for n in names]
    TextGeoJson({"type": "FeatureCollection", "features": features}, {"color": "#888"}, fields=["name"]).add_to(fmap)
    html = fmap.get_root().render()
    assert f'"name": "{os.getpid()}"' not in html and "\\u007b{ lipsum.__globals__.os.getpid() }}" in html
    assert "\\u007b% if %}" in html and "\\u007b# x" in html and "</script><script>alert" not in html


def test_a_grid_named_like_a_template_keeps_every_map_page_up(loaded, client, token):
    etag = client.get(f"/api/v1/grids/{G1}").headers["ETag"]
    answer = client.patch(f"/api/v1/grids/{G1}", json={"properties": {"name": "{% if %}{{7*7}}"}},
                          headers={**token(), "If-Match": etag})
    assert answer.status_code == 200
    for path in ("/", f"/grids/{G1}", f"/grids/{COMMUNITY}002", f"/gaps/{DISTRICT}"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "\\u007b% if %}\\u007b{7*7}}" in client.get(f"/grids/{COMMUNITY}002").get_data(as_text=True)
