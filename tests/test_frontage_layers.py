"""The frontage and place map layers: colours from the one status table, popups as text, icons in static/."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from conftest import REPO, X0, Y0, to_lonlat
from layers.base import offline_map
from layers.frontages import FRONTAGE_LABELS, frontage_layer
from layers.geojson import TextGeoJson, script_json
from layers.places import ICON_KINDS, icon_files, icon_urls, place_layer
from layers.styles import FRONTAGE_STATUS_COLORS, LAYER_STATUS_COLORS, STATUS_COLORS

HOSTILE = ['<img src=x onerror=alert(1)>', "{{7*7}}", "{% raw %}", "</script><script>alert(2)</script>"]


def frontages(names=("甲记粉店", "乙便利店", "丙公司", "丁协会"), statuses=("signed", "expired", "refused", "not_visited")):
    lines = [to_lonlat(LineString([(X0 + 30 * i, Y0), (X0 + 30 * i + 20, Y0)])) for i in range(len(names))]
    return gpd.GeoDataFrame({"ref": [f"F{i}" for i in range(len(names))], "unit_name": list(names),
                             "unit_kind": "individual", "status": list(statuses), "effective_status": list(statuses),
                             "items": [["sanitation", "order", "greenery"]] * len(names),
                             "expires_on": "2027-01-31", "contact": "张伟", "phone": "13800000001"},
                            geometry=lines, crs="EPSG:4326")


def places(kinds=ICON_KINDS, names=None):
    shapes = [to_lonlat(Point(X0 + 50 * i, Y0 + 50)) for i in range(len(kinds))]
    return gpd.GeoDataFrame({"ref": [f"P{i}" for i in range(len(kinds))], "kind": list(kinds),
                             "name": list(names or [f"场所{i}" for i in range(len(kinds))]),
                             "operator": "某某公司", "licence_no": "柳卫公证字〔2025〕第0001号",
                             "licence_expires": "2027-06-30", "health_certs": 3, "staff": 4},
                            geometry=shapes, crs="EPSG:4326")


def parts(group) -> list[TextGeoJson]:
    return [child for child in group._children.values() if isinstance(child, TextGeoJson)]


def page(layer) -> str:
    fmap = offline_map((108.4, 24.3, 108.5, 24.4))
    layer.add_to(fmap)
    return fmap.get_root().render()


def test_each_status_is_drawn_in_its_colour_of_the_one_table():
    drawn = {json.loads(part.data_json)["features"][0]["properties"]["unit_name"]: json.loads(part.style_json)["color"]
             for part in parts(frontage_layer(frontages()))}
    assert drawn == {"甲记粉店": FRONTAGE_STATUS_COLORS["signed"], "乙便利店": FRONTAGE_STATUS_COLORS["expired"],
                     "丙公司": FRONTAGE_STATUS_COLORS["refused"], "丁协会": FRONTAGE_STATUS_COLORS["not_visited"]}
    assert len(set(drawn.values())) == 4
    assert LAYER_STATUS_COLORS["frontages"] is FRONTAGE_STATUS_COLORS and LAYER_STATUS_COLORS["grids"] is STATUS_COLORS


def test_a_signed_commitment_past_expiry_is_drawn_as_expired():
    frame = frontages(names=("甲",), statuses=("signed",)).assign(effective_status="expired")
    (part,) = parts(frontage_layer(frame))
    assert json.loads(part.style_json)["color"] == FRONTAGE_STATUS_COLORS["expired"]
    assert json.loads(part.data_json)["features"][0]["properties"]["status"] == "已过期"


def test_the_viewer_scripts_hold_no_colour_of_their_own():
    """viewer.js and frontages.js read every status colour from the page (data-status-colors)."""
    colours = {c.lower() for table in LAYER_STATUS_COLORS.values() for c in table.values()}
    for script in (REPO / "static" / "viewer").glob("*.js"):
        assert not colours & {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", script.read_text())}, script.name


def test_the_popup_shows_name_items_in_chinese_expiry_and_contact():
    (first, *_) = parts(frontage_layer(frontages()))
    props = json.loads(first.data_json)["features"][0]["properties"]
    assert props["unit_name"] == "甲记粉店" and props["items"] == "市容环境卫生、市容秩序、绿化"
    assert props["expires_on"] == "2027-01-31" and props["contact"] == "张伟" and props["phone"] == "13800000001"
    assert props["unit_kind"] == "个体商户" and props["status"] == "已签"
    aliases = json.loads(first.aliases_json)
    assert aliases[:4] == [FRONTAGE_LABELS["unit_name"], "单位类别", "签约状态", "责任事项"]
    assert "bindPopup" in page(frontage_layer(frontages()))


def test_english_labels_replace_the_chinese():
    from gis_app.views.i18n import MAP_LABELS_EN
    (first, *_) = parts(frontage_layer(frontages(), labels=MAP_LABELS_EN["frontages"]))
    props = json.loads(first.data_json)["features"][0]["properties"]
    assert props["items"] == "sanitation、street order、greenery" and props["status"] == "signed"
    assert json.loads(first.aliases_json)[0] == "Unit"
    assert set(MAP_LABELS_EN["frontages"]) == set(FRONTAGE_LABELS)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_unit_and_place_names_stay_text(name):
    html = page(frontage_layer(frontages(names=(name,), statuses=("signed",)))) + page(
        place_layer(places(kinds=("school",), names=[name])))
    assert "<img src=x" not in html and "<script>alert" not in html
    assert html.count(script_json(name)[1:-1]) == 2     # as JSON text in both layers, inert to branca's Jinja pass
    assert "textContent" in html and "innerHTML" not in html


def test_every_kind_has_its_own_icon_file_and_an_unknown_kind_the_fallback():
    files = icon_files()
    assert len(files) == len(ICON_KINDS) + 1 and len({f.read_bytes() for f in files}) == len(files)
    for path in files:
        root = ET.parse(path).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 28 28"
        assert not re.search(r"(?:href|src)\s*=\s*[\"']?(?:https?:)?//", path.read_text()), path.name
    urls = icon_urls("/static/")
    assert urls["school"] == "/static/icons/places/school.svg" and urls["*"] == "/static/icons/places/other.svg"
    assert all((REPO / "static" / u[len("/static/"):]).is_file() for u in urls.values())


def test_places_are_drawn_as_their_icons_with_licence_in_the_popup():
    frame = places(kinds=("public_toilet", "public_place", "night_market"))
    frame.loc[2, "geometry"] = to_lonlat(box(X0, Y0, X0 + 80, Y0 + 60))
    area, points = parts(place_layer(frame))
    assert json.loads(area.data_json)["features"][0]["properties"]["kind"] == "night_market"
    assert json.loads(points.icons_json) == icon_urls()
    features = json.loads(points.data_json)["features"]
    assert [f["geometry"]["type"] for f in features] == ["Point"] * 3       # the area's icon at a point inside
    assert [f["properties"]["kind"] for f in features] == ["公共厕所", "公共场所", "night_market"]
    assert features[1]["properties"]["licence_no"] == "柳卫公证字〔2025〕第0001号"
    assert features[1]["properties"]["licence_expires"] == "2027-06-30" and features[1]["properties"]["staff"] == 4


def test_empty_frames_give_empty_layers():
    assert parts(frontage_layer(frontages().iloc[:0])) == [] and parts(place_layer(places().iloc[:0])) == []


def test_the_viewer_registers_both_layers_in_chinese_and_english(loaded):
    from gis_app.views.i18n import LAYER_LABELS_EN
    from layers.registry import registered
    specs = {spec.name: spec for spec in registered()}
    assert (specs["frontages"].label, specs["places"].label) == ("门前三包", "重点场所")
    assert {"frontages", "places"} <= set(LAYER_LABELS_EN)
    client = loaded.test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'sanigrid.viewportGeoJSON' in html and '"/api/v1/frontages"' in html and "minZoom: 16" in html
    assert json.dumps("门前三包") in html and "/static/icons/places/public_toilet.svg" in html
    colours = json.loads(re.search(r"data-status-colors='([^']*)'", html).group(1))
    assert colours == LAYER_STATUS_COLORS
    english = client.get("/?lang=en").get_data(as_text=True)
    assert json.dumps("Key places") in english and json.dumps("not visited") in english
