"""Control characters are refused in every text field, by the one check of grids.text, with the field named."""
import csv

import numpy as np
import pytest

from conftest import COMMUNITY, feature_collection, tiny_grids, tiny_regions
from gis_app.errors import ValidationFailed
from gis_app.imports import import_file
from grids.records import person_role_records
from grids.text import check_text, control_character_reason

REFUSED = ["\x00", "\x01", "\x1b", "\r", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\u202e", "\u2066", "\ufeff"]
ACCEPTED = ["\t", "\n", "阳和社区", "emoji 🧹", "a\u200db", "ß"]


@pytest.mark.parametrize("ch", REFUSED)
def test_the_check_refuses_and_names_the_field(ch):
    reason = control_character_reason(f"ab{ch}c", "name")
    assert reason.startswith("name contains the control character U+") and "position 3" in reason


@pytest.mark.parametrize("text", ACCEPTED)
def test_the_check_accepts_text_tab_and_newline(text):
    assert check_text(text, "name") == text


@pytest.mark.parametrize("ch", REFUSED)
@pytest.mark.parametrize("column", ["name", "phone", "grid", "backup"])
def test_the_people_columns_refuse_a_control_character_inside_the_text(ch, column):
    """The whole-column path of person_role_records (every cell text) checks each cell like the row-wise one."""
    rows = {"name": ["张三", "李四"], "phone": ["13800000001", "13800000002"], "photo": [None, None],
            "grid": [f"{COMMUNITY}001", f"{COMMUNITY}001"], "role": ["leader", "cleaner"],
            "backup": [None, "13800000001"]}
    clean = rows[column][1]
    rows[column] = [rows[column][0], f"{clean[:1]}{ch}{clean[1:]}"]
    _, errors = person_role_records({k: np.asarray(v, dtype=object) for k, v in rows.items()})
    assert 0 not in errors
    said = [r for r in errors[1] if r.startswith(f"{column} contains the control character U+{ord(ch):04X}")]
    assert len(said) == 1, errors   # named once, by one check


def refused(engine, app, layer, path) -> str:
    with pytest.raises(ValidationFailed) as caught:
        import_file(engine, app.config, layer, path, dry_run=True)
    return str(caught.value)


@pytest.mark.parametrize("ch", ["\x00", "\u2028"])
@pytest.mark.parametrize("where", ["name", "attribute value", "attribute key"])
def test_a_grid_file_with_a_control_character_is_refused(loaded, engine, tmp_path, ch, where):
    grids = tiny_grids()
    props = grids[0]["properties"]
    if where == "name":
        props["name"] = f"第1{ch}网格"
    elif where == "attribute value":
        props["manager"] = f"张{ch}三"
    else:
        props[f"ma{ch}nager"] = "张三"
    path = tmp_path / "grids.geojson"
    path.write_bytes(feature_collection(grids))
    message = refused(engine, loaded, "grids", path)
    assert "feature 0" in message and "control character" in message
    assert {"name": "name contains", "attribute value": "attributes.manager contains",
            "attribute key": "a key of attributes contains"}[where] in message


def test_a_region_name_with_nul_is_refused(app, engine, tmp_path):
    regions = tiny_regions()
    regions[2]["properties"]["name"] = "阳和\x00社区"
    path = tmp_path / "regions.geojson"
    path.write_bytes(feature_collection(regions))
    assert "feature 2 (code 450203008001): name contains the control character U+0000 (NUL)" in refused(
        engine, app, "regions", path)


@pytest.mark.parametrize("column", ["name", "photo"])
def test_a_people_csv_with_a_control_character_is_refused(loaded, engine, tmp_path, column):
    path = tmp_path / "people.csv"
    row = {"name": "张三", "phone": "13800000001", "photo": "", "grid": f"{COMMUNITY}001", "role": "leader"}
    row[column] = f"x\x00y{row[column]}"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    assert f"{column} contains the control character U+0000" in refused(engine, loaded, "people", path)


@pytest.mark.parametrize("method, url, body", [
    ("post", "/api/v1/people", {"phone": "13800000009", "name": "a\x00b"}),
    ("post", "/api/v1/people", {"phone": "13800000009", "name": "ok", "photo": "x\u2028"}),
    ("put", f"/api/v1/grids/{COMMUNITY}001/roles", {"roles": [{"phone": "13800000009", "name": "李\x1b四",
                                                                "role": "leader"}]}),
    ("patch", f"/api/v1/grids/{COMMUNITY}001", {"properties": {"name": "第1\x00网格"}}),
    ("patch", f"/api/v1/grids/{COMMUNITY}001", {"properties": {"note\x00": "x"}}),
    ("patch", f"/api/v1/grids/{COMMUNITY}001", {"properties": {"note": ["a", {"b": "c\x7f"}]}}),
])
def test_an_api_write_with_a_control_character_is_a_4xx_naming_it(loaded, token, method, url, body):
    client = loaded.test_client()
    headers = {**token("admin"), "If-Match": f'"{COMMUNITY}001-v1"'}
    response = getattr(client, method)(url, json=body, headers=headers)
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert "control character" in response.get_data(as_text=True)
    assert client.get(f"/api/v1/grids/{COMMUNITY}001").headers["ETag"] == f'"{COMMUNITY}001-v1"'


def test_a_query_with_nul_is_refused_not_sent_to_the_database(loaded):
    response = loaded.test_client().get("/api/v1/search?q=a%00b")
    assert response.status_code == 422 and "control character" in response.get_data(as_text=True)
