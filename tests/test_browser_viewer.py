"""The map viewer in Debian's Chromium with no internet: grids drawn, popup, search, click to locate."""
from __future__ import annotations

import shapely

from browser_fixtures import browse, chromium, live, screen_point, staffed  # noqa: F401  (fixtures)
from conftest import COMMUNITY, X0, Y0, to_lonlat

IDLE = "() => window.sanigrid && sanigrid.stats.idle && sanigrid.stats.tiles > 0"
G1, G3 = f"{COMMUNITY}001", f"{COMMUNITY}003"


def _viewer(browse, path="/"):
    recorded = browse(path)
    recorded.page.wait_for_function(IDLE)
    return recorded


def _click(page, x_metric: float, y_metric: float):
    point = to_lonlat(shapely.Point(x_metric, y_metric))
    page.mouse.click(*screen_point(page, point.x, point.y))
    page.wait_for_selector(".leaflet-popup-content .sg-popup")
    return page.inner_text(".leaflet-popup-content")


def test_viewer_draws_every_grid_and_asks_nothing_outside(browse):
    recorded = _viewer(browse)
    page = recorded.page
    assert page.evaluate("sanigrid.stats.drawn") == 4
    assert page.evaluate("Object.keys(sanigrid.grids._codes).sort()") == [f"{COMMUNITY}{i:03d}" for i in range(1, 5)]
    overlays = page.inner_text(".leaflet-control-layers-overlays")
    assert all(name in overlays for name in ("区县边界", "街道边界", "社区边界", "网格", "覆盖缺口"))
    assert "齐全" in page.inner_text(".sg-legend") and "无人" in page.inner_text(".sg-legend")
    recorded.screenshot("viewer")
    assert any("/tiles/grids/" in u for u in recorded.requests)
    assert not recorded.outside


def test_grids_are_coloured_by_staffing_status(browse, staffed):
    page = _viewer(browse).page
    colours = page.evaluate("""() => { const out = {};
        sanigrid.grids._group.eachLayer(g => g.eachLayer(l => { out[l.feature.properties.status] = l.options.fillColor; }));
        return out; }""")
    assert set(colours) == {"short", "unstaffed"} and colours["short"] != colours["unstaffed"]


def test_click_on_a_grid_shows_its_people_and_phones(browse, staffed):
    recorded = _viewer(browse)
    text = _click(recorded.page, X0 + 50, Y0 + 250)
    assert G1 in text and "阳和社区第1网格" in text and "120" in text
    assert "网格长 张伟 13800000001" in text and "保洁员 李娜 13800000002" in text and "B岗 王芳" in text
    recorded.screenshot("viewer-popup")


def test_click_outside_every_grid_says_so(browse):
    page = _viewer(browse).page
    assert "此处不在任何网格内" in _click(page, X0 + 600, Y0 + 150)


def test_search_flies_to_the_grid_and_opens_it(browse, staffed):
    recorded = _viewer(browse)
    page = recorded.page
    page.fill("#sg-search", "第3网格")
    page.wait_for_selector(f".leaflet-popup-content .sg-popup[data-grid='{G3}']")
    assert "阳和社区第3网格" in page.inner_text(".leaflet-popup-content")
    assert page.evaluate("sanigrid.map.getZoom()") >= 15
    page.fill("#sg-search", "李娜")
    page.wait_for_selector(f"#sg-results li[data-code='{G1}']")
    recorded.screenshot("viewer-search")


def test_gap_layer_loads_when_switched_on(browse):
    recorded = _viewer(browse)
    page = recorded.page
    with page.expect_response(lambda r: "/api/v1/gaps/features" in r.url) as answer:
        page.locator(".leaflet-control-layers").get_by_text("覆盖缺口").click()   # the header names it too
    assert answer.value.ok


def test_english_viewer(browse):
    page = _viewer(browse, "/?lang=en").page
    assert "Staffing" in page.inner_text(".sg-legend") and "Districts" in page.inner_text(".leaflet-control-layers")


def test_with_the_basemap_unreachable_every_overlay_still_draws(chromium, settings, files):
    """SANIGRID_TILES names a tile server the intranet cannot reach: tiles fail, grids and boundaries draw."""
    from browser_fixtures import LiveServer, RecordedPage
    from gis_app import create_app
    from gis_app.imports import import_file
    from gis_app.storage import upgrade
    app = create_app({**settings, "SANIGRID_TILES": "https://tiles.example.invalid/{z}/{x}/{y}.png"})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    for layer in ("regions", "grids"):
        import_file(app.extensions["sanigrid.engine"], app.config, layer, files[layer])
    server = LiveServer(app)
    recorded = RecordedPage(chromium, server.url)
    try:
        recorded.page.goto(server.url + "/")
        recorded.page.wait_for_function(IDLE)
        assert recorded.page.evaluate("sanigrid.stats.drawn") == 4
        assert recorded.outside and all(u.startswith("https://tiles.example.invalid/") for u in recorded.outside)
        assert recorded.page.locator(".leaflet-overlay-pane canvas").count() >= 1
    finally:
        recorded.close()
        server.stop()


def test_with_private_reads_the_map_needs_a_signed_in_token(chromium, settings, files):
    from browser_fixtures import LiveServer, RecordedPage
    from gis_app import create_app
    from gis_app.auth import create_token
    from gis_app.imports import import_file
    from gis_app.storage import upgrade
    app = create_app({**settings, "SANIGRID_PUBLIC_READS": False})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    engine = app.extensions["sanigrid.engine"]
    for layer in ("regions", "grids"):
        import_file(engine, app.config, layer, files[layer])
    server = LiveServer(app)
    recorded = RecordedPage(chromium, server.url)
    page = recorded.page
    try:
        page.goto(server.url + "/")
        page.wait_for_function("() => window.sanigrid && sanigrid.stats.idle && sanigrid.stats.errors > 0")
        assert page.evaluate("sanigrid.stats.drawn") == 0
        page.click("#sg-signin summary")
        page.fill("#sg-token", create_token(engine, "viewer")[1])
        page.click("#sg-signin-button")
        page.wait_for_function("() => sanigrid.stats.idle && sanigrid.stats.drawn === 4")
        assert not recorded.outside
    finally:
        recorded.close()
        server.stop()
