"""门前三包 frontages and key places in the viewer, Debian's Chromium, no internet: the demo city at street zoom."""
from __future__ import annotations

import geopandas as gpd
import pytest

from browser_fixtures import LiveServer, RecordedPage, chromium  # noqa: F401  (fixture)
from grids.demo import METRIC_CRS
from layers.styles import FRONTAGE_STATUS_COLORS

IDLE = "() => window.sanigrid && sanigrid.stats.idle && sanigrid.stats.tiles > 0"
FEATURES = ("() => sanigrid.stats.frontages.idle && sanigrid.stats.places.idle && sanigrid.stats.frontages.drawn > 0"
            " && sanigrid.stats.places.drawn > 0")
HOSTILE = '<img src=x onerror=alert(1)>{{7*7}}'


@pytest.fixture(scope="module")
def city_db(tmp_path_factory):
    """The 600-grid demo city loaded once for the module (SQLite), one unit renamed to a hostile name."""
    from gis_app import create_app
    from gis_app.demo_loader import load_demo
    from gis_app.imports import import_frames
    from gis_app.storage import session_scope, upgrade
    from gis_app.storage.frontages import load_frontages, load_places
    folder = tmp_path_factory.mktemp("frontage-demo")
    settings = {"SANIGRID_INSTANCE": str(folder), "SANIGRID_DATABASE_URL": f"sqlite:///{folder}/demo.sqlite"}
    app = create_app(settings)
    upgrade(settings["SANIGRID_DATABASE_URL"])
    engine = app.extensions["sanigrid.engine"]
    load_demo(engine, app.config, n_grids=600, seed=0, replace=False)
    with session_scope(engine) as session:
        frontages, places = load_frontages(session), load_places(session)
    low, row = _lowest_signed_grid(frontages)
    clear = row.to_crs(METRIC_CRS).centroid.distance(places.to_crs(METRIC_CRS).union_all()) > 30  # no icon over it
    hostile = row[clear.to_numpy()].iloc[[0]][["ref", "unit_name", "unit_kind", "status", "geometry"]].assign(unit_name=HOSTILE)
    import_frames(engine, app.config, "frontages", hostile.reset_index(drop=True), by="test")
    yield app, low, row.total_bounds, hostile["ref"].iloc[0]
    engine.dispose()


def _lowest_signed_grid(frontages: gpd.GeoDataFrame):
    """The grid with the lowest signed share of frontage length (what the gap report finds), and its units."""
    metric = frontages.to_crs(METRIC_CRS)
    one = metric[metric["grids"].map(len) == 1].assign(grid=lambda f: f["grids"].str[0], m=lambda f: f.length)
    share = one[one["effective_status"] == "signed"].groupby("grid")["m"].sum() / one.groupby("grid")["m"].sum()
    low = share.fillna(0).idxmin()
    return low, frontages.loc[one.index[one["grid"] == low]]


@pytest.fixture(scope="module")
def server(city_db):
    live = LiveServer(city_db[0])
    yield live
    live.stop()


@pytest.fixture
def street(chromium, server, city_db):  # noqa: F811
    """The viewer, zoomed to the low grid's row of units once the city view is idle; the page's checks after."""
    recorded = RecordedPage(chromium, server.url)
    page = recorded.page
    page.goto(server.url + "/")
    page.wait_for_function(IDLE)
    asked_at_city_zoom = page.evaluate("[sanigrid.stats.frontages.requests, sanigrid.stats.places.requests]")
    minx, miny, maxx, maxy = city_db[2]
    page.evaluate("""([w, s, e, n]) => { sanigrid.map.fitBounds([[s, w], [n, e]], {maxZoom: 17, animate: false}); }""",
                  [minx, miny, maxx, maxy])
    page.wait_for_function(FEATURES)
    page.wait_for_function(IDLE)
    yield recorded, asked_at_city_zoom
    outside = list(recorded.outside)
    recorded.close()
    assert not outside, f"requests outside the app's origin: {outside}"
    assert not recorded.errors and not recorded.dialogs and not recorded.csp_problems, (
        recorded.errors, recorded.dialogs, recorded.csp_problems)


def _unit_on_screen(page, ref: str | None = None):
    """(unit name, x, y) of a frontage drawn in the view (``ref``, else a signed one): the middle of its line."""
    return page.evaluate("""(ref) => { let found = null, icons = [];
        const box = sanigrid.map.getContainer().getBoundingClientRect(), view = sanigrid.map.getBounds().pad(-0.1);
        sanigrid.layers.places._group.eachLayer(function seen(l) {
            if (l.eachLayer) { l.eachLayer(seen); } else if (l.getIcon) { icons.push(sanigrid.map.latLngToContainerPoint(l.getLatLng())); }
        });
        sanigrid.layers.frontages._group.eachLayer(g => g.eachLayer(l => {
            const p = l.feature.properties, ll = l.getLatLngs(), mid = L.latLng((ll[0].lat + ll[1].lat) / 2,
                                                                             (ll[0].lng + ll[1].lng) / 2);
            if (found || !view.contains(mid) || (ref ? p.ref !== ref : p.effective_status !== "signed")) { return; }
            const xy = sanigrid.map.latLngToContainerPoint(mid);
            if (icons.some(i => i.distanceTo(xy) < 20)) { return; }     // an icon would take the click
            found = [p.unit_name, box.left + xy.x, box.top + xy.y];
        }));
        return found; }""", ref)


def test_street_zoom_draws_frontage_lines_and_place_icons_from_the_viewport(street, server):
    recorded, asked_at_city_zoom = street
    page = recorded.page
    assert asked_at_city_zoom == [0, 0]                       # nothing is asked below street zoom
    assert page.evaluate("sanigrid.map.getZoom()") >= 16
    drawn = page.evaluate("sanigrid.stats.frontages.drawn")
    assert page.locator("path.sg-frontage").count() == drawn > 5
    strokes = page.evaluate("""() => { const out = {};
        document.querySelectorAll("path.sg-frontage").forEach(p => {
            const status = [...p.classList].find(c => c.startsWith("sg-frontage-")).slice(12);
            out[status] = p.getAttribute("stroke"); });
        return out; }""")
    assert len(strokes) >= 2 and all(FRONTAGE_STATUS_COLORS[s] == c for s, c in strokes.items())
    icons = page.evaluate("""() => [...document.querySelectorAll("img.sg-place")].map(i =>
        [new URL(i.src).pathname, i.complete && i.naturalWidth > 0])""")
    assert icons and all(loaded and path.startswith("/static/icons/places/") for path, loaded in icons)
    assert any(path.endswith("/refuse_point.svg") for path, _ in icons)
    legend = page.inner_text(".sg-legend")
    assert "门前三包" in legend and "已签" in legend and "未走访" in legend and "垃圾收集点" in legend
    asked = [u for u in recorded.requests if "/api/v1/frontages?" in u or "/api/v1/places?" in u]
    assert asked and all("bbox=" in u for u in asked)
    assert page.evaluate("[sanigrid.stats.frontages.errors, sanigrid.stats.places.errors]") == [0, 0]
    recorded.screenshot("viewer-frontages")


def test_a_click_on_a_frontage_opens_its_unit(street):
    recorded, _ = street
    page = recorded.page
    name, x, y = _unit_on_screen(page)
    page.mouse.click(x, y)
    page.wait_for_selector(".leaflet-popup-content .sg-frontage")
    text = page.inner_text(".leaflet-popup-content")
    assert name in text and "责任事项" in text and "到期日期" in text and "联系人" in text
    assert page.locator(".leaflet-popup-content .sg-popup[data-grid]").count() == 0    # not the grid's popup
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    recorded.screenshot("viewer-frontage-popup")


def test_a_hostile_unit_name_shows_as_text(street, city_db):
    recorded, _ = street
    page = recorded.page
    name, x, y = _unit_on_screen(page, city_db[3])
    page.mouse.click(x, y)

    page.wait_for_selector(".leaflet-popup-content .sg-frontage")
    assert name == HOSTILE and HOSTILE in page.inner_text(".leaflet-popup-content")
    assert page.locator(".leaflet-popup-content img").count() == 0
