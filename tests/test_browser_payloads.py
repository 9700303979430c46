"""Stored script never runs: payloads in every text a page shows, every page opened, hovered and clicked.

The register gets XSS payloads as region, grid, person and token names and as attribute names
and values, through the imports and the API. Every page is then opened in Chromium twice: with
the app's Content-Security-Policy switched off (the escaping alone must hold: no dialog, no
injected element or handler, every payload shown as literal text) and with it on (no page breaks
the policy: no violation reported by the page or the console). ``browse`` fails on any dialog.
"""
from __future__ import annotations

import csv

import orjson
import pytest
import shapely

from browser_fixtures import browse, chromium, live, screen_point  # noqa: F401  (fixtures)
from conftest import COMMUNITY, DISTRICT, STREET, X0, Y0, feature_collection, tiny_grids, tiny_regions, to_lonlat

IDLE = "() => window.sanigrid && sanigrid.stats.idle && sanigrid.stats.tiles > 0"
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(2)>',
    "</script><script>alert(3)</script>",
    "javascript:alert(4)",
    "{{7*7}}",
    "onmouseover=alert(6) x",
    "${alert(7)}",
    "x'-alert(8)-'<b>",   # a leading ' would be read as the spreadsheet text marker and dropped
    "</style><style>*{display:none}</style>",
    "<a href=javascript:alert(10)>10</a>",
]
G1, G2, G4 = f"{COMMUNITY}001", f"{COMMUNITY}002", f"{COMMUNITY}004"
# which text each payload lands in (the fixture below stores them)
NAMES = {
    "district": PAYLOADS[0], "street": PAYLOADS[1], "community": PAYLOADS[2], "community2": PAYLOADS[9],
    "grid1": PAYLOADS[3], "grid2": PAYLOADS[4], "grid3": PAYLOADS[5], "grid4": PAYLOADS[6],
    "leader": PAYLOADS[7], "cleaner": PAYLOADS[8], "backup": PAYLOADS[0], "attr_key": PAYLOADS[1],
    "attr_value": PAYLOADS[2], "token": PAYLOADS[7],
}

# Fires mouseover and click on every feature of every Leaflet map of the page (folium's maps are
# globals named map_<hex>; the viewer's is sanigrid.map) and returns the text of each tooltip.
HOVER_ALL = """() => {
    const maps = Object.keys(window).filter(k => k.startsWith("map_") && window[k] instanceof L.Map).map(k => window[k]);
    if (window.sanigrid && sanigrid.map && !maps.includes(sanigrid.map)) { maps.push(sanigrid.map); }
    const seen = [];
    const visit = (layer, map) => {
        if (layer.eachLayer) { layer.eachLayer(child => visit(child, map)); }
        if (!layer.feature) { return; }
        const at = layer.getBounds ? layer.getBounds().getCenter() : map.getCenter();
        layer.fire("mouseover", {latlng: at}, true);
        document.querySelectorAll(".leaflet-tooltip").forEach(t => seen.push(t.textContent));
        layer.fire("mouseout", {latlng: at}, true);
        layer.fire("click", {latlng: at}, true);
    };
    maps.forEach(map => map.eachLayer(layer => visit(layer, map)));
    return seen;
}"""
# Anything the payloads would have injected: handlers, script URLs, stray elements.
INJECTED = """() => {
    const found = [];
    document.querySelectorAll("*").forEach(el => {
        for (const a of el.attributes) {
            if (a.name.startsWith("on")) { found.push(el.tagName + " " + a.name); }
            if (/^\\s*javascript:/i.test(a.value) && ["href", "src", "action", "formaction"].includes(a.name)) {
                found.push(el.tagName + " " + a.name + "=" + a.value);
            }
        }
    });
    document.querySelectorAll("img[src='x'], svg[onload], body script:not([src]):not([nonce]), head script:not([src]):not([nonce])")
        .forEach(el => found.push("element " + el.outerHTML.slice(0, 80)));
    return found;
}"""


def _write_people(path):
    rows = [["name", "phone", "photo", "grid", "role", "backup"],
            [NAMES["leader"], "13800000001", "", G1, "leader", ""],
            [NAMES["cleaner"], "13800000002", "", G1, "cleaner", "13800000003"],
            [NAMES["backup"], "13800000003", "", G1, "patroller", ""],
            [NAMES["cleaner"], "13800000002", "", G2, "cleaner", ""]]
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return path


@pytest.fixture
def hostile(app, engine, tmp_path, client, token):
    """The tiny city with a payload in every text a page shows (imports and the API)."""
    from gis_app.auth import create_token
    from gis_app.imports import import_file
    regions = tiny_regions()
    for f, key in zip(regions, ("district", "street", "community", "community2")):
        f["properties"]["name"] = NAMES[key]
    grids = tiny_grids()
    for i, f in enumerate(grids):
        f["properties"]["name"] = NAMES[f"grid{i + 1}"]
    grids[0]["properties"][NAMES["attr_key"]] = NAMES["attr_value"]
    (tmp_path / "regions.geojson").write_bytes(feature_collection(regions))
    (tmp_path / "grids.geojson").write_bytes(feature_collection(grids))
    import_file(engine, app.config, "regions", tmp_path / "regions.geojson")
    import_file(engine, app.config, "grids", tmp_path / "grids.geojson")
    import_file(engine, app.config, "people", _write_people(tmp_path / "people.csv"))
    editor = {"Authorization": f"Bearer {create_token(engine, 'editor', name=NAMES['token'])[1]}"}
    etag = client.get(f"/api/v1/grids/{G4}").headers["ETag"]
    answer = client.patch(f"/api/v1/grids/{G4}", json={"properties": {"households": 150}},
                          headers={**editor, "If-Match": etag})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return app


@pytest.fixture
def loaded(hostile):
    """The live server (browser_fixtures.live) serves the hostile register."""
    return hostile


PAGES = ["/register", f"/grids/{G1}", f"/grids/{G4}", f"/gaps/{DISTRICT}", f"/gaps/{STREET}", f"/gaps/{COMMUNITY}",
         "/ogc?f=html", "/ogc/collections?f=html", "/ogc/collections/grids?f=html",
         "/ogc/collections/grids/items?f=html", f"/ogc/collections/grids/items/{G1}?f=html",
         "/ogc/collections/regions/items?f=html", f"/ogc/collections/regions/items/{DISTRICT}?f=html",
         "/ogc/collections/gaps/items?f=html", "/ogc/api?f=html", "/api/v1/docs",
         "/grids/450203008001999", "/gaps/" + "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "/no/such/page"]


def _shown(recorded) -> str:
    """Every text the page shows (closed <details> opened first), tooltips hovered on every map."""
    page = recorded.page
    page.wait_for_load_state("load")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    tooltips = page.evaluate(HOVER_ALL) if page.evaluate("() => typeof L !== 'undefined'") else []
    return page.inner_text("body") + "\n" + "\n".join(tooltips)


def _check(recorded) -> str:
    text = _shown(recorded)
    injected = recorded.page.evaluate(INJECTED)
    assert not injected, f"{recorded.page.url}: injected markup {injected}"
    return text


def _viewer_texts(recorded) -> str:
    """Hover and click everything in the viewer: boundaries, the gap layer, search hits, a grid's popup."""
    page = recorded.page
    page.wait_for_function(IDLE)
    page.locator(".leaflet-control-layers-overlays label", has_text="覆盖缺口").locator("input").check()
    page.wait_for_function("() => { let n = 0; sanigrid.map.eachLayer(l => { if (l.feature && l.feature.properties"
                           " && l.feature.properties.kind) { n++; } }); return n > 0; }")
    texts = [_check(recorded)]
    # one hit each (a grid's name, a person's name): the list shows it, then the map flies to its popup
    for query, code in (("7*7", G2), ("alert(8)", G1), ("alert(7)", G4)):
        page.fill("#sg-search", query)
        page.wait_for_selector(f"#sg-results li.sg-hit[data-code='{code}']")
        texts.append(page.inner_text("#sg-results"))
        page.wait_for_selector(f".sg-popup[data-grid='{code}']")
        texts.append(page.inner_text(".leaflet-popup-content"))
    point = to_lonlat(shapely.Point(X0 + 50, Y0 + 250))
    page.evaluate("([lon, lat]) => sanigrid.map.setView([lat, lon], 17, {animate: false})", [point.x, point.y])
    page.wait_for_function(IDLE)
    page.mouse.click(*screen_point(page, point.x, point.y))
    page.wait_for_selector(f".sg-popup[data-grid='{G1}']")
    texts.append(page.inner_text(".leaflet-popup-content"))
    texts.append(_check(recorded))
    return "\n".join(texts)


def _all_texts(browse, bypass_csp: bool) -> str:
    texts = [_viewer_texts(browse("/", bypass_csp=bypass_csp))]
    for path in PAGES:
        recorded = browse(path, bypass_csp=bypass_csp)
        texts.append(_check(recorded))
        if path.startswith("/grids/"):
            recorded.page.emulate_media(media="print")   # the signboard as printed
            texts.append(_check(recorded))
    return "\n".join(texts)


def test_payloads_are_shown_as_text_and_never_run(browse, hostile):
    shown = _all_texts(browse, bypass_csp=True)
    missing = {key: value for key, value in NAMES.items() if value.strip() not in shown}
    assert not missing, f"payloads not shown literally anywhere: {missing}"


def test_grid_page_tooltips_show_neighbour_names_as_text(browse, hostile):
    recorded = browse(f"/grids/{G1}", bypass_csp=True)
    page = recorded.page
    page.wait_for_load_state("load")
    name = page.evaluate("() => Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map)")
    neighbour = to_lonlat(shapely.Point(X0 + 204, Y0 + 225))   # grid 002, just east of 001
    xy = page.evaluate("""([name, lon, lat]) => { const map = window[name], p = map.latLngToContainerPoint([lat, lon]);
        const box = map.getContainer().getBoundingClientRect(); return [box.left + p.x, box.top + p.y]; }""",
                       [name, neighbour.x, neighbour.y])
    page.mouse.move(*xy)
    page.wait_for_selector(".leaflet-tooltip")
    assert NAMES["grid2"] in page.inner_text(".leaflet-tooltip")
    assert page.evaluate("() => document.querySelector('.leaflet-tooltip').querySelectorAll('img, svg, b').length") == 0


def test_every_page_keeps_the_content_security_policy(browse, hostile):
    """The policy on: every page still works (map drawn, swagger UI rendered) and nothing is refused."""
    _all_texts(browse, bypass_csp=False)   # browse fails on any violation or dialog
    recorded = browse("/api/v1/docs")
    recorded.page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    recorded = browse("/ogc/api?f=html")
    recorded.page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    recorded = browse(f"/gaps/{DISTRICT}")
    assert recorded.page.locator(".leaflet-interactive").count() > 0


def test_api_answers_keep_the_payloads_as_given(client, hostile):
    """Escaping happens where text is inserted into a page, never in storage: the API gives the text back."""
    grid = orjson.loads(client.get(f"/api/v1/grids/{G1}").data)
    assert grid["properties"]["name"] == NAMES["grid1"]
    assert grid["properties"][NAMES["attr_key"]] == NAMES["attr_value"]
