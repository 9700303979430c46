"""Editing in the viewer as an editor would: sign in with a token, draw a grid, see refusals in place, reshape, conflicts."""
from __future__ import annotations

import shapely

from browser_fixtures import browse, chromium, live, move_edge_west_and_save, screen_point  # noqa: F401  (fixtures)
from conftest import COMMUNITY, X0, Y0, to_lonlat

IDLE = "() => window.sanigrid && sanigrid.stats.idle && sanigrid.stats.tiles > 0"
G1, G4, NEW_COMMUNITY = f"{COMMUNITY}001", f"{COMMUNITY}004", "450203008002"


def _signed_in(browse, token, role="editor"):
    recorded = browse("/")
    page = recorded.page
    page.wait_for_function(IDLE)
    page.evaluate("""() => { sanigrid.map.setView([sanigrid.map.getCenter().lat, sanigrid.map.getCenter().lng], 16,
                             {animate: false}); }""")
    lonlat = to_lonlat(shapely.Point(X0 + 400, Y0 + 150))
    page.evaluate("([lon, lat]) => { sanigrid.map.setView([lat, lon], 16, {animate: false}); }", [lonlat.x, lonlat.y])
    page.wait_for_function(IDLE)
    page.click("#sg-signin summary")
    page.fill("#sg-token", token(role)["Authorization"].split()[1])
    page.click("#sg-signin-button")
    page.wait_for_selector("#sg-editor")
    return recorded


def _xy(page, x_metric, y_metric):
    point = to_lonlat(shapely.Point(x_metric, y_metric))
    return screen_point(page, point.x, point.y)


def _draw_rectangle(page, corner_a, corner_b):
    page.click(".leaflet-draw-draw-rectangle")
    # On a loaded machine the map may still be settling after sign-in; corners read from a moving map
    # drew a smaller rectangle overlapping the grids (a 422 instead of the save).
    page.wait_for_function(IDLE)
    page.mouse.move(*_xy(page, *corner_a))
    page.mouse.down()
    end = _xy(page, *corner_b)
    page.mouse.move(*end, steps=10)
    page.wait_for_timeout(50)   # let Leaflet.draw take the last position before the button goes up
    page.mouse.move(*end)
    page.mouse.up()
    page.wait_for_selector("#sg-new-name")


def _new_grid(page, name, community):
    page.fill("#sg-new-name", name)
    page.fill("#sg-new-community", community)
    page.click("#sg-save")


def _refused(browse, token, corner_a, corner_b, name, community, role="editor"):
    """Draw and save a grid that must be refused; return (recorded page, the panel's message)."""
    recorded = _signed_in(browse, token, role)
    page = recorded.page
    _draw_rectangle(page, corner_a, corner_b)
    _new_grid(page, name, community)
    page.wait_for_function("() => document.querySelector('#sg-messages').textContent.includes('未能保存')")
    return recorded, page.inner_text("#sg-messages")


def test_editor_draws_a_new_grid_and_it_is_saved(browse, token, loaded):
    recorded = _signed_in(browse, token)
    page = recorded.page
    _draw_rectangle(page, (X0 + 450, Y0 + 250), (X0 + 750, Y0 + 50))
    recorded.screenshot("edit-drawn")
    _new_grid(page, "新圩社区第1网格", NEW_COMMUNITY)
    page.wait_for_selector("#sg-messages.sg-ok")
    assert f"已保存 {NEW_COMMUNITY}001" in page.inner_text("#sg-messages")
    page.wait_for_function("() => sanigrid.stats.idle && sanigrid.stats.drawn === 5")
    saved = loaded.test_client().get(f"/api/v1/grids/{NEW_COMMUNITY}001").get_json()
    assert saved["properties"]["name"] == "新圩社区第1网格" and 50_000 < saved["properties"]["area_m2"] < 70_000
    recorded.screenshot("edit-saved")


def test_an_overlapping_grid_is_refused_with_the_grid_it_overlaps(browse, token, loaded):
    recorded, message = _refused(browse, token, (X0 + 50, Y0 + 250), (X0 + 150, Y0 + 200), "重叠网格", COMMUNITY)
    assert G1 in message and "overlap" in message.lower()
    assert G1 in recorded.page.inner_text(".sg-refusal")          # on the drawn shape too
    recorded.screenshot("edit-refused")
    assert loaded.test_client().get(f"/api/v1/grids/{COMMUNITY}005").status_code == 404


def test_a_viewer_token_cannot_save(browse, token):
    _, message = _refused(browse, token, (X0 + 450, Y0 + 250), (X0 + 750, Y0 + 50), "新圩社区第1网格", NEW_COMMUNITY,
                          role="viewer")
    assert "令牌无效或无编辑权限" in message


def test_reshape_meets_a_version_conflict_reloads_and_then_saves(browse, token, loaded):
    recorded = _signed_in(browse, token)
    page = recorded.page
    page.mouse.click(*_xy(page, X0 + 300, Y0 + 75))
    page.click(f".sg-popup[data-grid='{G4}'] .sg-reshape")
    page.wait_for_selector("#sg-save")
    client, auth = loaded.test_client(), token()
    etag = client.get(f"/api/v1/grids/{G4}").headers["ETag"]
    assert client.patch(f"/api/v1/grids/{G4}", json={"properties": {"name": "别人改过的名字"}},
                        headers={**auth, "If-Match": etag}).status_code == 200
    page.click("#sg-save")
    page.wait_for_function("() => document.querySelector('#sg-messages').textContent.includes('已被他人修改')")
    recorded.screenshot("edit-conflict")
    east = to_lonlat(shapely.Point(X0 + 380, Y0)).x
    move_edge_west_and_save(page, east)
    saved = client.get(f"/api/v1/grids/{G4}").get_json()["properties"]
    assert saved["name"] == "别人改过的名字" and saved["version"] == 3
    assert 26_500 < saved["area_m2"] < 27_500   # 180 m × 150 m, east edge moved 20 m west


def test_a_grid_reaching_outside_its_community_is_refused_naming_it(browse, token):
    _, message = _refused(browse, token, (X0 + 450, Y0 + 360), (X0 + 750, Y0 + 200), "越界网格", NEW_COMMUNITY)
    assert NEW_COMMUNITY in message and "outside" in message.lower()
