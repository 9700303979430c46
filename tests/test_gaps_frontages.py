"""The frontage gap (门前三包) in the register's gap report: CLI, API and the report page, on both backends."""
import json

import pytest
from shapely.geometry import LineString

from conftest import COMMUNITY, DISTRICT, X0, Y0, feature, feature_collection

from gis_app.cli import cli
from gis_app.gap_report import register_gaps
from gis_app.imports import import_file

G1, G2, G3 = (f"{COMMUNITY}{i:03d}" for i in (1, 2, 3))


@pytest.fixture
def fronted(loaded, engine, tmp_path):
    """A 120 m signed front crossing grids 001 (80 m) and 002 (40 m); a 60 m refused front in grid 003."""
    path = tmp_path / "frontages.geojson"
    path.write_bytes(feature_collection([
        feature({"ref": "F-1", "unit_name": "柳州市阳和百货商店", "unit_kind": "enterprise", "status": "signed",
                 "signed_on": "2026-01-05", "expires_on": "2099-12-31"},
                LineString([(X0 + 120, Y0 + 290), (X0 + 240, Y0 + 290)])),
        feature({"ref": "F-2", "unit_name": "阳和米粉店", "unit_kind": "individual", "status": "refused"},
                LineString([(X0 + 20, Y0 + 10), (X0 + 80, Y0 + 10)])),
    ]))
    import_file(engine, loaded.config, "frontages", path)
    return loaded


def _rows(rollup, code):
    return rollup.set_index("code").loc[code]


def test_lengths_shares_and_the_gap_kind(fronted, engine):
    result = register_gaps(engine, fronted.config, DISTRICT)
    rollup = result.report.rollup
    community = _rows(rollup, COMMUNITY)
    assert community["frontage_length_m"] == pytest.approx(180, abs=0.5)
    assert community["frontage_signed_m"] == pytest.approx(120, abs=0.5)
    assert community["frontage_signed_pct"] == pytest.approx(66.7, abs=0.1)
    assert community["frontage_units"] == 2 and community["frontage_units_unsigned"] == 1
    findings = result.report.findings
    below = findings[findings["kind"] == "frontage_unsigned"]
    assert list(below["code"]) == [G3]          # 001 and 002 are fully signed; 003 has 0 %
    assert _rows(rollup, DISTRICT)["frontage_signed_m"] == pytest.approx(120, abs=0.5)


def test_the_cli_json_and_the_api_carry_the_frontage_columns(fronted, runner, client):
    data = json.loads(runner.invoke(cli, ["gaps", "--district", DISTRICT, "--format", "json"]).output)
    community = next(r for r in data["rollup"] if r["code"] == COMMUNITY)
    assert community["frontage_signed_pct"] == pytest.approx(66.7, abs=0.1)
    assert any(f["kind"] == "frontage_unsigned" and f["code"] == G3 for f in data["findings"])
    answer = client.get(f"/api/v1/gaps?district={DISTRICT}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    rows = body.get("rollup") or body.get("regions") or []
    assert any(r.get("code") == COMMUNITY and r.get("frontage_units") == 2 for r in rows), list(body)


def test_the_report_page_shows_them_in_chinese_and_english(fronted, client):
    page = client.get(f"/gaps/{DISTRICT}").get_data(as_text=True)
    assert "签订率(%)" in page and "门前三包签订不足" in page
    english = client.get(f"/gaps/{DISTRICT}?lang=en").get_data(as_text=True)
    assert "Signed (%)" in english


def test_without_frontages_the_report_has_no_frontage_columns(loaded, engine):
    rollup = register_gaps(engine, loaded.config, DISTRICT).report.rollup
    assert not [c for c in rollup.columns if c.startswith("frontage")]
