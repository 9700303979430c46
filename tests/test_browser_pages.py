"""The pages as a person reads them, in Debian's Chromium at phone (390×844) and desktop (1280×800) sizes:
one header and navigation everywhere, titles that name the region, the viewer's controls apart,
and a finding of the gap report that moves the map to it when clicked."""
from __future__ import annotations

import pytest

from browser_fixtures import browse, chromium, live  # noqa: F401  (fixtures)
from conftest import COMMUNITY, DISTRICT

PHONE, DESKTOP = (390, 844), (1280, 800)
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
IDLE = "() => window.sanigrid && sanigrid.stats.idle && sanigrid.stats.tiles > 0"
G1 = f"{COMMUNITY}001"
NAV = ["/", "/register", "/gaps", "/inspect", "/cases", "/api/v1/docs"]
PAGES = ["/", "/register", "/gaps", f"/gaps/{DISTRICT}", f"/grids/{G1}", "/cases", "/ogc?f=html",
         "/ogc/collections?f=html",
         f"/ogc/collections/regions/items/{DISTRICT}?f=html", "/gaps/450299", "/inspect", "/api/v1/docs"]


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


def _apart(a: dict, b: dict) -> bool:
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def _inside(box: dict, width: int, height: int) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


@SIZES
def test_every_page_has_the_same_header_and_navigation(browse, size):
    for path in PAGES:
        page = browse(path, viewport=size).page
        header = page.locator("header.sg-header")
        assert header.count() == 1, path
        assert [a.get_attribute("href") for a in header.locator("nav a").all()] == NAV, path
        assert header.locator("nav").inner_text().split() == ["地图", "登记册", "覆盖缺口", "检查", "案件", "API"], path
        assert header.locator("a.sg-lang").inner_text() == "English", path
        box = header.bounding_box()
        assert box["x"] == 0 and box["width"] == size[0] and box["y"] == 0, path   # full width, at the top
        # Nothing of the header is cut off or scrolls sideways on a phone.
        assert page.evaluate("document.querySelector('header.sg-header').scrollWidth") <= size[0], path
        for link in header.locator("a").all():
            assert _inside(link.bounding_box(), size[0], size[1]), (path, link.inner_text())


@SIZES
def test_the_api_docs_render_every_operation_under_the_header(browse, live, size):
    """Swagger UI (vendored, no outside request, CSP intact) draws each operation of the OpenAPI document."""
    import json
    from urllib.request import urlopen
    with urlopen(live.url + "/api/v1/openapi.json") as response:
        spec = json.load(response)
    methods = {"get", "put", "post", "delete", "patch", "head", "options"}
    operations = sorted((m.upper(), path) for path, item in spec["paths"].items() for m in item if m in methods)
    recorded = browse("/api/v1/docs", viewport=size)
    page = recorded.page
    page.wait_for_selector(".swagger-ui .opblock")
    shown = sorted(page.evaluate("""() => [...document.querySelectorAll('.swagger-ui .opblock')].map(b => [
        b.querySelector('.opblock-summary-method').textContent.trim(),
        b.querySelector('.opblock-summary-path').getAttribute('data-path')])"""))
    assert [tuple(s) for s in shown] == operations and len(operations) >= 15
    assert spec["info"]["title"] in page.inner_text(".swagger-ui .info .title")
    header = page.locator("header.sg-header")
    assert header.locator("nav a[aria-current='page']").get_attribute("href") == "/api/v1/docs"
    assert _box(page, "header.sg-header")["y"] == 0
    assert _box(page, ".swagger-ui .info")["y"] >= _box(page, "header.sg-header")["height"]   # below it, not under it
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]   # no sideways scrolling on a phone
    # An operation opens on a click, as in any Swagger UI.
    page.locator(".swagger-ui .opblock-summary-control").first.click()
    page.wait_for_selector(".swagger-ui .opblock.is-open .opblock-body")
    recorded.screenshot(f"pages-api-docs-{size[0]}")


@SIZES
def test_titles_name_the_region_not_the_code(browse, size):
    names = {f"/gaps/{DISTRICT}": "鱼峰区", f"/gaps/{COMMUNITY}": "阳和社区", f"/grids/{G1}": "阳和社区第1网格",
             f"/ogc/collections/regions/items/{DISTRICT}?f=html": "鱼峰区"}
    for path, name in names.items():
        page = browse(path, viewport=size).page
        code = path.split("/")[-1].split("?")[0]
        assert name in page.title() and code not in page.title(), (path, page.title())
        heading = page.locator("h1").first
        assert name in heading.inner_text(), path
        assert heading.locator(".sg-code").inner_text() == code, path   # the code follows, in small type
        sizes = heading.evaluate("h => [parseFloat(getComputedStyle(h).fontSize),"
                                 " parseFloat(getComputedStyle(h.querySelector('.sg-code')).fontSize)]")
        assert sizes[1] < sizes[0] * 0.7, path
    assert browse(f"/gaps/{DISTRICT}", viewport=size).page.title() == "覆盖缺口报告 · 鱼峰区"


@SIZES
def test_search_layer_control_and_legend_do_not_overlap(browse, size):
    recorded = browse("/", viewport=size)
    page = recorded.page
    page.wait_for_function(IDLE)
    search, layers, legend = (_box(page, s) for s in (".sg-search", ".leaflet-control-layers", ".sg-legend"))
    assert _apart(search, layers) and _apart(search, legend) and _apart(layers, legend), (search, layers, legend)
    for box in (search, layers, legend):
        assert _inside(box, *size), box
    expanded = page.locator(".leaflet-control-layers-expanded").count() == 1
    assert expanded == (size == DESKTOP)   # a phone starts with the layer control collapsed to its icon
    # Nothing covers the search box: the point at its centre is the input itself.
    box = _box(page, "#sg-search")
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).id",
                        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    assert hit == "sg-search"
    recorded.screenshot(f"pages-viewer-{size[0]}")


def test_the_collapsed_layer_control_opens_on_a_tap(browse):
    page = browse("/", viewport=PHONE).page
    page.wait_for_function(IDLE)
    assert page.locator(".leaflet-control-layers-expanded").count() == 0
    page.locator(".leaflet-control-layers-toggle").dispatch_event("click")   # what a tap on the icon sends
    assert page.locator(".leaflet-control-layers-expanded").count() == 1
    assert "区县边界" in page.inner_text(".leaflet-control-layers-overlays")
    page.evaluate("sanigrid.map.fire('click', {latlng: sanigrid.map.getCenter()})")   # a tap on the map closes it
    assert page.locator(".leaflet-control-layers-expanded").count() == 0


def _map_view(page) -> dict:
    return page.evaluate("""() => { const m = sanigrid.gapMap, b = m.getBounds();
        return {zoom: m.getZoom(), west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth()}; }""")


def _contains(view: dict, bounds: list) -> bool:
    return (view["west"] <= bounds[0] and view["south"] <= bounds[1]
            and view["east"] >= bounds[2] and view["north"] >= bounds[3])


@SIZES
def test_clicking_a_finding_moves_the_map_to_it(browse, size):
    recorded = browse(f"/gaps/{DISTRICT}", viewport=size)
    page = recorded.page
    page.wait_for_function("() => window.sanigrid && sanigrid.gapMap")
    rows = page.locator("#sg-findings tr[data-bounds]")
    assert rows.count() >= 2
    hole = page.locator("#sg-findings tr[data-bounds]", has_text="空洞").first
    bounds = [float(v) for v in hole.get_attribute("data-bounds").split(",")]
    before = _map_view(page)
    hole.click()
    after = _map_view(page)
    assert after["zoom"] > before["zoom"] and _contains(after, bounds)
    centre = ((after["west"] + after["east"]) / 2, (after["south"] + after["north"]) / 2)
    assert bounds[0] <= centre[0] <= bounds[2] and bounds[1] <= centre[1] <= bounds[3]
    assert "空洞" in page.inner_text(".leaflet-popup-content")
    assert "sg-active" in hole.get_attribute("class")
    top = _box(page, "#sg-gap-map")["y"]
    assert -1 <= top < size[1] / 2   # the map was scrolled into view above the list
    recorded.screenshot(f"pages-gaps-finding-{size[0]}")
    # Another finding (a grid without people) moves the map again, with the keyboard too.
    other = rows.filter(has_not_text="空洞").first
    other_bounds = [float(v) for v in other.get_attribute("data-bounds").split(",")]
    other.focus()
    page.keyboard.press("Enter")
    assert _contains(_map_view(page), other_bounds) and _map_view(page) != after


def test_small_findings_are_marked_at_every_zoom(browse):
    page = browse(f"/gaps/{DISTRICT}", viewport=PHONE).page
    page.wait_for_function("() => window.sanigrid && sanigrid.gapMap")
    markers = page.evaluate("""() => { const out = [];
        sanigrid.gapMap.eachLayer(l => { if (l instanceof L.CircleMarker && l.feature) {
            const p = sanigrid.gapMap.latLngToContainerPoint(l.getLatLng());
            out.push({kind: l.feature.properties.kind_label, radius: l.getRadius(), fill: l.options.fillColor,
                      x: p.x, y: p.y}); } });
        return out; }""")
    kinds = {m["kind"] for m in markers}
    assert {"空洞", "人员不齐网格"} <= kinds
    width, height = page.evaluate("[sanigrid.gapMap.getSize().x, sanigrid.gapMap.getSize().y]")
    for m in markers:   # a circle of fixed screen size, inside the district's view
        assert m["radius"] >= 5 and 0 <= m["x"] <= width and 0 <= m["y"] <= height
    colours = {m["kind"]: m["fill"] for m in markers}
    assert colours["空洞"] != colours["人员不齐网格"]   # styled by kind


def test_the_english_switch_is_remembered_across_pages(browse):
    page = browse("/register", viewport=PHONE).page
    page.click("header a.sg-lang")
    page.wait_for_load_state()
    assert page.locator("header nav").inner_text().split()[0] == "Map"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.inner_text("h1") == "Grid management · grid register"
    page.click("header nav a[href='/gaps']")
    page.wait_for_load_state()
    assert "Coverage gaps" in page.inner_text("header nav") and page.inner_text("header a.sg-lang") == "中文"
    assert page.inner_text("h1") == "Full coverage, no blind spots · coverage gap report"
    page.click(f"a[href='/gaps/{DISTRICT}']")
    page.wait_for_function("() => window.sanigrid && sanigrid.gapMap")
    assert page.title() == "Coverage gap report · 鱼峰区"
    assert page.locator("#sg-findings th").first.inner_text() == "Finding"
    assert "Hole (" in page.inner_text(".leaflet-control-layers-overlays")
    page.click("header a.sg-lang")   # and back to Chinese
    page.wait_for_function("() => window.sanigrid && sanigrid.gapMap")
    assert page.locator("#sg-findings th").first.inner_text() == "问题" and page.title() == "覆盖缺口报告 · 鱼峰区"
