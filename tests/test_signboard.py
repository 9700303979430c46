"""The grid page and its signboard (公示牌): people, history, QR link, one printed A4 landscape page."""
from __future__ import annotations

import re

from browser_fixtures import ARTIFACTS, browse, chromium, live, staffed  # noqa: F401  (fixtures)
from conftest import COMMUNITY

G1 = f"{COMMUNITY}001"


def test_grid_page_shows_people_duties_and_history(staffed):
    text = staffed.test_client().get(f"/grids/{G1}").get_data(as_text=True)
    assert "阳和社区第1网格" in text and "网格长" in text and "张伟" in text and "13800000001" in text
    assert "对网格环境卫生负总责" in text and "监督举报电话" in text and "12345" in text
    assert re.search(r'id="sg-history">.*?<td>1</td><td>create</td>', text, re.S)
    assert f"http://localhost/grids/{G1}" in text and 'class="sg-qr"' in text


def test_signboard_link_and_hotline_follow_the_settings(settings, files):
    from gis_app import create_app
    from gis_app.imports import import_file
    from gis_app.storage import upgrade
    app = create_app({**settings, "SANIGRID_HOTLINE": "0772-12319", "SANIGRID_PUBLIC_URL": "https://wg.example.gov.cn/"})
    upgrade(app.config["SANIGRID_DATABASE_URL"])
    engine = app.extensions["sanigrid.engine"]
    import_file(engine, app.config, "regions", files["regions"])
    import_file(engine, app.config, "grids", files["grids"])
    text = app.test_client().get(f"/grids/{G1}").get_data(as_text=True)
    assert "0772-12319" in text and f"https://wg.example.gov.cn/grids/{G1}" in text


def test_unknown_grid_page_is_404(loaded):
    assert loaded.test_client().get(f"/grids/{COMMUNITY}999").status_code == 404


def test_signboard_prints_on_one_a4_landscape_page(browse, staffed):
    recorded = browse(f"/grids/{G1}")
    page = recorded.page
    page.wait_for_selector(".sg-signboard .sg-card")
    recorded.screenshot("grid-page")
    page.locator("#sg-signboard").screenshot(path=str(ARTIFACTS / "signboard.png"))
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / "signboard.pdf").write_bytes(pdf)
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(pages) == 1
    width, height = float(box.group(1)), float(box.group(2))
    assert abs(width - 841.9) < 2 and abs(height - 595.3) < 2   # A4 landscape in points
    page.emulate_media(media="print")
    assert page.locator(".sg-screen").is_hidden() and page.locator("#sg-signboard").is_visible()
    assert page.locator(".sg-card").count() == 6


def test_english_grid_page(staffed):
    text = staffed.test_client().get(f"/grids/{G1}?lang=en").get_data(as_text=True)
    assert "Grid leader" in text and "Report hotline" in text and "overall charge of the grid" in text


def test_a_crowded_signboard_still_fits_one_page_with_every_card(browse, loaded, engine, tmp_path):
    """Twenty people (the demo city's busiest grid has 14): every card inside the board, one printed page."""
    from gis_app.imports import import_file
    from test_people_and_locate import people_csv
    rows = [f"张伟,13800000001,,{G1},网格长,"] + [f"志愿者{i:02d},139000000{i:02d},,{G1},志愿者," for i in range(19)]
    import_file(engine, loaded.config, "people", people_csv(tmp_path, rows))
    recorded = browse(f"/grids/{G1}")
    page = recorded.page
    page.emulate_media(media="print")
    board = page.locator("#sg-signboard").bounding_box()
    cards = [page.locator(".sg-card").nth(i).bounding_box() for i in range(page.locator(".sg-card").count())]
    assert len(cards) == 20
    assert all(c["y"] + c["height"] <= board["y"] + board["height"] and c["x"] + c["width"] <= board["x"] + board["width"]
               for c in cards)
    page.locator("#sg-signboard").screenshot(path=str(ARTIFACTS / "signboard-crowded.png"))
    assert len(re.findall(rb"/Type\s*/Page[^s]", page.pdf(prefer_css_page_size=True, print_background=True))) == 1


def test_a_signboard_with_eight_frontage_units_names_five_and_fits_one_page(browse, loaded, engine, tmp_path):
    from shapely.geometry import LineString
    from conftest import X0, Y0, feature, feature_collection
    from gis_app.imports import import_file
    units = [feature({"ref": f"F{i}", "unit_name": f"阳和商铺第{i}号门店（螺蛳粉·小吃·烧烤）", "unit_kind": "individual",
                      "status": "signed", "signed_on": "2024-01-01", "expires_on": "2030-12-31"},
                     LineString([(X0 + 10 + 20 * i, Y0 + 200), (X0 + 25 + 20 * i, Y0 + 200)])) for i in range(8)]
    (tmp_path / "f.geojson").write_bytes(feature_collection(units))
    import_file(engine, loaded.config, "frontages", tmp_path / "f.geojson")
    page = browse(f"/grids/{G1}").page
    page.emulate_media(media="print")
    board = page.locator("#sg-signboard").bounding_box()
    units_box = page.locator("#sg-sign-units").bounding_box()
    assert page.locator(".sg-sign-unit").count() == 6   # five named, then "等8家"
    last = page.locator(".sg-sign-unit").nth(5).bounding_box()
    assert last["y"] + last["height"] <= units_box["y"] + units_box["height"] <= board["y"] + board["height"]
    page.locator("#sg-signboard").screenshot(path=str(ARTIFACTS / "signboard-frontages.png"))
    assert len(re.findall(rb"/Type\s*/Page[^s]", page.pdf(prefer_css_page_size=True, print_background=True))) == 1
