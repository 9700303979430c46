"""The map viewer in Debian's Chromium with no internet: grids drawn, popup, search, click to locate."""
from __future__ import annotations

from browser_fixtures import browse, chromium, live  # noqa: F401  (fixtures)

IDLE = "() => window.sanigrid && sanigrid.stats.idle && sanigrid.stats.tiles > 0"


def _viewer(browse, path="/"):
    recorded = browse(path)
    recorded.page.wait_for_function(IDLE)
    return recorded


def test_viewer_draws_every_grid_and_asks_nothing_outside(browse):
    recorded = _viewer(browse)
    page = recorded.page
    assert page.evaluate("sanigrid.stats.drawn") == 4
    assert page.evaluate("Object.keys(sanigrid.grids._codes).sort()") == [f"450203008001{i:03d}" for i in range(1, 5)]
    assert page.locator(".leaflet-control-layers-overlays label").count() >= 5
    assert "齐全" in page.inner_text(".sg-legend") and "无人" in page.inner_text(".sg-legend")
    recorded.screenshot("viewer")
    assert any("/tiles/grids/" in u for u in recorded.requests)
    assert not recorded.outside
