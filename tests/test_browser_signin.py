"""Chromium signs in through the form with private reads and reshapes a grid in the viewer on the cookie session."""
from __future__ import annotations

import shapely

from browser_fixtures import LiveServer, RecordedPage, chromium, move_edge_west_and_save, screen_point  # noqa: F401  (fixtures)
from conftest import COMMUNITY, X0, Y0, to_lonlat

G4 = f"{COMMUNITY}004"
PASSWORD = "correct horse 电池"
IDLE = "() => window.sanigrid && sanigrid.stats.idle && sanigrid.stats.drawn === 4"


def _private_app(settings, files):
    from gis_app import create_app
    from gis_app.imports import import_file
    from gis_app.storage import upgrade
    from gis_app.users import create_user
    app = create_app({**settings, "SANIGRID_PUBLIC_READS": False})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    engine = app.extensions["sanigrid.engine"]
    for layer in ("regions", "grids"):
        import_file(engine, app.config, layer, files[layer])
    create_user(engine, "王编辑", PASSWORD, "editor", district="450203")
    return app


def _xy(page, x_metric, y_metric):
    point = to_lonlat(shapely.Point(x_metric, y_metric))
    return screen_point(page, point.x, point.y)


def test_sign_in_by_form_then_reshape_a_grid_with_the_cookie_session(chromium, settings, files):
    app = _private_app(settings, files)
    server = LiveServer(app)
    recorded = RecordedPage(chromium, server.url)
    page = recorded.page
    writes = []
    page.on("request", lambda r: writes.append(r) if r.method == "PATCH" else None)
    try:
        page.goto(server.url + "/")
        assert page.url.startswith(server.url + "/login?next=")
        page.fill("#sg-name", "王编辑")
        page.fill("#sg-password", PASSWORD)
        page.click("#sg-login-submit")
        page.wait_for_url(server.url + "/")
        page.wait_for_function(IDLE)
        assert page.evaluate("sessionStorage.getItem('sanigrid.token')") is None   # the cookie carries the sign-in
        page.wait_for_selector("#sg-editor")
        lonlat = to_lonlat(shapely.Point(X0 + 200, Y0 + 150))
        page.evaluate("([lon, lat]) => { sanigrid.map.setView([lat, lon], 16, {animate: false}); }",
                      [lonlat.x, lonlat.y])
        page.wait_for_function("() => sanigrid.stats.idle")
        page.mouse.click(*_xy(page, X0 + 300, Y0 + 75))
        page.click(f".sg-popup[data-grid='{G4}'] .sg-reshape")
        page.wait_for_selector("#sg-save")
        east = to_lonlat(shapely.Point(X0 + 380, Y0)).x
        move_edge_west_and_save(page, east)
        headers = writes[-1].headers
        assert "authorization" not in headers and len(headers["x-csrf-token"]) > 20
        cookies = {c["name"]: c for c in recorded.context.cookies()}
        assert cookies["sanigrid_session"]["httpOnly"] and cookies["sanigrid_session"]["sameSite"] == "Lax"
        recorded.screenshot("signin-reshaped")
        page.click("#sg-logout")
        page.wait_for_url(server.url + "/login")
        page.goto(server.url + "/register")
        assert page.url.startswith(server.url + "/login?next=")
        assert not recorded.outside and not recorded.errors
    finally:
        recorded.close()
        server.stop()
    grid = app.test_client().get(f"/api/v1/grids/{G4}", headers={"Authorization": "Bearer x"})
    assert grid.status_code == 401
    with app.test_request_context():
        from gis_app.api.grid_query import grid_feature
        saved = grid_feature(app.extensions["sanigrid.engine"], G4)["properties"]
    assert saved["version"] == 2 and 26_500 < saved["area_m2"] < 27_500
