"""The monthly evaluation in the app: computed, published (frozen), served by the CLI, the API and a page.

The tiny city gets two grids in its second community (新圩社区) and a farmers' market in grid 001;
inspections are recorded and cases imported through the app's own functions on a clock frozen
on Monday 2 November 2026. September: 阳和 fails a 5-point item (95) with its case open, 新圩
passes (100). October: 阳和 passes at the market (100, no case due); 新圩 fails a 20-point item
on its daily round (80, case open) and passes a weekly one (100). Expected scores below come from
the documented formula (docs/inspections.md), not from the code under test.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
import threading

import geopandas as gpd
import openpyxl
import pytest
from shapely.geometry import Point, box

from browser_fixtures import ARTIFACTS, browse, chromium, live  # noqa: F401  (fixtures)
from conftest import COMMUNITY, DISTRICT, STREET, X0, Y0, feature, feature_collection, to_lonlat
from gis_app import case_rules as rules
from gis_app.auth import Principal
from gis_app.casework import clock, record
from gis_app.casework import evaluation as monthly
from gis_app.cli import cli
from gis_app.errors import Conflict, ValidationFailed
from gis_app.imports import import_file, import_frames

XINXU = "450203008002"
INSPECTOR = Principal(1, "巡查员", "editor", None)
PROBLEM = "application/problem+json"


def expected_score(inspections, case_score):
    """0.6 × the kind-weighted mean inspection score + 0.4 × the case score (docs/inspections.md)."""
    kinds = {"daily": 1, "weekly": 2, "monthly": 3, "unannounced": 3}
    mean = sum(kinds[k] * s for k, s in inspections) / sum(kinds[k] for k, _ in inspections)
    return round(0.6 * mean + 0.4 * case_score, 2)


@pytest.fixture
def frozen(monkeypatch):
    moment = {"now": dt.datetime(2026, 11, 2, 10, 0)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return lambda value: moment.update(now=value)


def inspect(app, engine, x, y, at, kind="daily", failed=()):
    point = to_lonlat(Point(X0 + x, Y0 + y))
    keys = [item["key"] for item in rules.checklist(app.config, kind).items]
    body = {"kind": kind, "inspector": "张三", "at": at, "lon": point.x, "lat": point.y,
            "results": {k: "fail" if k in failed else "pass" for k in keys}}
    return record.record_inspection(engine, app.config, INSPECTOR, body)


@pytest.fixture
def city(loaded, engine, frozen, tmp_path):
    """Two communities with grids, a market in 阳和's grid 001, and September's and October's inspections."""
    config = loaded.config
    grids = tmp_path / "xinxu.geojson"
    grids.write_bytes(feature_collection([
        feature({"code": f"{XINXU}{i + 1:03d}", "name": f"新圩社区第{i + 1}网格", "households": 100, "population": 300,
                 "type": "residential"}, cell)
        for i, cell in enumerate([box(X0 + 400, Y0, X0 + 600, Y0 + 300), box(X0 + 600, Y0, X0 + 800, Y0 + 300)])]))
    import_file(engine, config, "grids", grids)
    import_frames(engine, config, "places", gpd.GeoDataFrame(
        [{"ref": "P1", "kind": "farmers_market", "name": "阳和农贸市场", "operator": "王五"}],
        geometry=[to_lonlat(box(X0 + 10, Y0 + 160, X0 + 60, Y0 + 210))], crs="EPSG:4326"))
    inspect(loaded, engine, 100, 250, "2026-09-14T10:00:00+08:00", failed=("no_hanging",))
    inspect(loaded, engine, 500, 100, "2026-09-14T11:00:00+08:00")
    inspect(loaded, engine, 30, 180, "2026-10-12T09:00:00+08:00")      # at the market: unit P1
    inspect(loaded, engine, 500, 100, "2026-10-12T10:00:00+08:00", failed=("road_clean",))
    inspect(loaded, engine, 700, 200, "2026-10-14T10:00:00+08:00", kind="weekly")
    return loaded


def rows_by(rows):
    return {(r["level"], r["code"]): r for r in rows}


def test_october_is_scored_and_ranked_by_the_documented_formula(city, engine):
    table, status = monthly.evaluation(engine, city.config, "2026-10")
    rows = rows_by(monthly.evaluation_records(table))
    assert status["published"] is False
    yanghe, xinxu = rows[("community", COMMUNITY)], rows[("community", XINXU)]
    assert (yanghe["name"], yanghe["score"], yanghe["rank"], yanghe["rank_change"]) == ("阳和社区", 100.0, 1, 1)
    assert xinxu["score"] == expected_score([("daily", 80), ("weekly", 100)], 0) == 56.0
    assert (xinxu["rank"], xinxu["rank_change"], xinxu["cases_due"]) == (2, -1, 1)
    market = rows[("unit", "P1")]
    assert (market["name"], market["community"], market["score"], market["rank"]) == ("阳和农贸市场", COMMUNITY, 100.0, 1)
    street = rows[("street", STREET)]
    assert street["score"] == expected_score([("daily", 100), ("daily", 80), ("weekly", 100)], 0.0)
    inside, _ = monthly.evaluation(engine, city.config, "2026-10", XINXU)
    assert [(r["level"], r["code"], r["rank"]) for r in monthly.evaluation_records(inside)] == [
        ("community", XINXU, 2)]                                      # the city-wide rank, nothing above it


def test_a_published_month_stays_as_published(city, engine, tmp_path):
    before = monthly.evaluation_records(monthly.evaluation(engine, city.config, "2026-10")[0])
    inspect(city, engine, 500, 200, "2026-10-20T10:00:00+08:00")      # not yet published: counted at once
    recomputed = rows_by(monthly.evaluation_records(monthly.evaluation(engine, city.config, "2026-10")[0]))
    xinxu = expected_score([("daily", 80), ("weekly", 100), ("daily", 100)], 0)
    assert recomputed[("community", XINXU)]["score"] == xinxu
    assert recomputed != rows_by(before)
    done = monthly.publish(engine, city.config, "2026-10", "admin:1:城管办")
    assert done["published"] and done["published_at"] == "2026-11-02T10:00:00+08:00"
    assert list(done["checklist_versions"]) == ["daily", "weekly"]
    published = monthly.evaluation_records(monthly.evaluation(engine, city.config, "2026-10")[0])
    assert rows_by(published) == recomputed

    folder = tmp_path / "lists"                                        # a new daily checklist, a new round, a new case
    folder.mkdir()
    (folder / "checklist_daily.yaml").write_text(
        "kind: daily\nname: 新表\nitems:\n  - {key: road_clean, label: 路面干净, weight: 50, category: exposed_rubbish}\n"
        "  - {key: no_dumping, label: 无乱倒, weight: 50, category: littering}\n", encoding="utf-8")
    city.config["SANIGRID_CHECKLISTS"] = str(folder)
    inspect(city, engine, 500, 150, "2026-10-21T10:00:00+08:00", failed=("road_clean",))
    cases = tmp_path / "cases.csv"
    with open(cases, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "category", "grid", "registered_at", "deadline", "state"])
        out.writerow(["EXT-1", "stacking", f"{COMMUNITY}002", "2026-10-15T09:00:00+08:00", "2026-10-16T17:00:00+08:00",
                      "registered"])
    import_file(engine, city.config, "cases", cases)
    table, status = monthly.evaluation(engine, city.config, "2026-10")
    assert monthly.evaluation_records(table) == published and status["published_by"] == "admin:1:城管办"
    assert monthly.publication(engine, "2026-10")["checklist_versions"] == done["checklist_versions"]
    with pytest.raises(Conflict, match="was published at 2026-11-02 10:00"):
        monthly.publish(engine, city.config, "2026-10", "admin:1:城管办")


def test_a_month_is_published_only_once_it_has_ended_and_has_inspections(city, engine, frozen):
    with pytest.raises(Conflict, match="2026-11 has not ended yet"):
        monthly.publish(engine, city.config, "2026-11", "admin:1:x")
    frozen(dt.datetime(2026, 10, 31, 23, 59))
    with pytest.raises(Conflict, match="from 2026-11-01 00:00"):
        monthly.publish(engine, city.config, "2026-10", "admin:1:x")
    frozen(dt.datetime(2026, 11, 1, 0, 0))
    with pytest.raises(ValidationFailed, match="no inspection"):
        monthly.publish(engine, city.config, "2026-08", "admin:1:x")
    assert monthly.publish(engine, city.config, "2026-10", "admin:1:x")["published"]
    for bad in ("2026-13", "2026-1", "202610", "abcd-ef", "2026-10-01", ""):
        with pytest.raises(ValidationFailed, match="YYYY-MM"):
            monthly.evaluation(engine, city.config, bad)


def test_november_ranks_change_against_october_as_published(city, engine):
    monthly.publish(engine, city.config, "2026-10", "admin:1:x")
    # 阳和 80, its case due in November; 新圩 100
    inspect(city, engine, 30, 180, "2026-11-02T09:00:00+08:00", failed=("road_clean",))
    inspect(city, engine, 500, 100, "2026-11-02T09:30:00+08:00")
    november = rows_by(monthly.evaluation_records(monthly.evaluation(engine, city.config, "2026-11")[0]))
    assert (november[("community", XINXU)]["rank"], november[("community", XINXU)]["rank_change"]) == (1, 1)
    assert (november[("community", COMMUNITY)]["rank"], november[("community", COMMUNITY)]["rank_change"]) == (2, -1)


def test_the_api_reads_publishes_and_refuses(city, client, token):
    answer = client.get(f"/api/v1/evaluations?month=2026-10&street={STREET}")
    assert answer.status_code == 200 and answer.json["published"] is False
    assert {r["level"] for r in answer.json["rows"]} == {"community", "unit", "street"}
    community = client.get(f"/api/v1/evaluations?month=2026-10&community={XINXU}").json
    assert [(r["code"], r["score"], r["rank"]) for r in community["rows"]] == [(XINXU, 56.0, 2)]
    assert client.get("/api/v1/evaluations/2026-10").json["published"] is False
    assert client.post("/api/v1/evaluations/2026-10/publish").status_code == 401
    assert client.post("/api/v1/evaluations/2026-10/publish", headers=token("editor")).status_code == 403
    scoped = client.post("/api/v1/evaluations/2026-10/publish", headers=token("admin", district=DISTRICT))
    assert scoped.status_code == 403 and "whole city" in scoped.json["detail"]
    admin = token("admin")
    done = client.post("/api/v1/evaluations/2026-10/publish", headers=admin)
    assert done.status_code == 201 and done.json["published_at"] == "2026-11-02T10:00:00+08:00"
    status = client.get("/api/v1/evaluations/2026-10").json
    assert status["published"] and status["published_by"].startswith("token:") and len(status["rules_digest"]) == 64
    again = client.post("/api/v1/evaluations/2026-10/publish", headers=admin)
    assert again.status_code == 409 and again.mimetype == PROBLEM
    early = client.post("/api/v1/evaluations/2026-11/publish", headers=admin)
    assert early.status_code == 409 and "has not ended" in early.json["detail"]
    assert client.get("/api/v1/evaluations?month=2026-10").json["published"] is True
    for url in ("/api/v1/evaluations?month=2026-13", "/api/v1/evaluations?month=26-10", "/api/v1/evaluations",
                "/api/v1/evaluations/2026-13", "/api/v1/evaluations/x"):
        bad = client.get(url)
        assert bad.status_code == 422 and bad.mimetype == PROBLEM and "Traceback" not in bad.text, url
    bad = client.post("/api/v1/evaluations/2026-1x/publish", headers=admin)
    assert bad.status_code == 422 and "YYYY-MM" in bad.json["detail"]
    both = client.get(f"/api/v1/evaluations?month=2026-10&district={DISTRICT}&street={STREET}")
    assert both.status_code == 422


def test_admins_publishing_at_once_publish_the_month_once(city, token):
    admin, start, statuses = token("admin"), threading.Barrier(4), []

    def publish():
        client = city.test_client()
        start.wait()
        statuses.append(client.post("/api/v1/evaluations/2026-10/publish", headers=admin).status_code)

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409]


def test_a_district_scoped_reader_sees_only_its_district(city, client, token):
    city.config["SANIGRID_PUBLIC_READS"] = False
    mine = client.get("/api/v1/evaluations?month=2026-10", headers=token("viewer", district=DISTRICT))
    assert mine.status_code == 200 and {r["code"] for r in mine.json["rows"] if r["level"] == "community"} == {
        COMMUNITY, XINXU}
    other = client.get("/api/v1/evaluations?month=2026-10", headers=token("viewer", district="450204"))
    assert other.status_code == 200 and other.json["region"] == "450204" and other.json["rows"] == []
    outside = client.get(f"/api/v1/evaluations?month=2026-10&community={XINXU}",
                         headers=token("viewer", district="450204"))
    assert outside.status_code == 403


def test_the_cli_prints_writes_and_publishes(city, runner, tmp_path):
    table = runner.invoke(cli, ["evaluation", "--month", "2026-10"])
    assert table.exit_code == 0, table.output
    assert "未发布" in table.output and "阳和社区" in table.output and "56.00" in table.output and "+1" in table.output
    report = json.loads(runner.invoke(cli, ["evaluation", "--month", "2026-10", "--community", XINXU,
                                            "--format", "json"]).output)
    assert report["region"] == XINXU and [r["code"] for r in report["rows"]] == [XINXU]
    out = tmp_path / "yue.xlsx"
    result = runner.invoke(cli, ["evaluation", "--month", "2026-10", "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["社区", "街道", "责任单位"]
    sheet = book["社区"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["编码", "名称", "所在社区"] and "综合得分" in header and "名次变化" in header
    cells = {row[0]: dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells[XINXU]["综合得分"] == expected_score([("daily", 80), ("weekly", 100)], 0)
    assert cells[XINXU]["排名"] == 2 and cells[COMMUNITY]["名次变化"] == 1
    assert [r[0] for r in book["责任单位"].iter_rows(min_row=2, values_only=True)] == ["P1"]

    published = runner.invoke(cli, ["evaluation", "--month", "2026-10", "--publish"])
    assert published.exit_code == 0 and "published at 2026-11-02T10:00:00+08:00" in published.output, published.output
    assert "已发布" in runner.invoke(cli, ["evaluation", "--month", "2026-10"]).output
    twice = runner.invoke(cli, ["evaluation", "--month", "2026-10", "--publish"])
    assert twice.exit_code == 1 and "was published at" in twice.output
    early = runner.invoke(cli, ["evaluation", "--month", "2026-11", "--publish"])
    assert early.exit_code == 1 and "has not ended" in early.output
    for args, code in ((["--month", "2026-13"], 1),
                       (["--month", "2026-10", "--district", DISTRICT, "--street", STREET], 2),
                       (["--month", "2026-10", "--format", "xlsx"], 2),
                       (["--month", "2026-10", "--publish", "--community", XINXU], 2),
                       (["--month", "2026-10", "--community", "12345"], 1)):
        refused = runner.invoke(cli, ["evaluation", *args])
        assert refused.exit_code == code and "Traceback" not in refused.output, (args, refused.output)
    assert "YYYY-MM" in runner.invoke(cli, ["evaluation", "--month", "2026-13"]).output


def test_the_page_in_chinese_and_english(city, client):
    page = client.get("/evaluation?month=2026-10")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.text
    assert "月评" in html and "阳和社区" in html and "新圩社区" in html and "阳和农贸市场" in html
    assert "▲1" in html and "▼1" in html and "56.00" in html and "未发布" in html
    assert "viewer/evaluation.css" in html and "style=" not in html and "<script" not in html
    english = client.get(f"/evaluation?month=2026-10&street={STREET}&lang=en").text
    assert "Monthly evaluation" in english and "Communities" in english and "Rank" in english and "月评排名" not in english
    default = client.get("/evaluation").text                           # the month before the frozen today
    assert "2026-10" in default
    for url in ("/evaluation?month=2026-13", "/evaluation?month=x",
                f"/evaluation?month=2026-10&district={DISTRICT}&street={STREET}"):
        bad = client.get(url, headers={"Accept": "text/html"})          # as a browser asks
        assert bad.status_code == 422 and bad.mimetype == "text/html" and "Traceback" not in bad.text, url


def test_the_page_prints_one_a4_page_per_level_without_its_controls(browse, city):
    recorded = browse("/evaluation?month=2026-10")
    page = recorded.page
    page.wait_for_selector(".sg-eval-table")
    recorded.screenshot("evaluation-page")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / "evaluation.pdf").write_bytes(pdf)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert abs(float(box.group(1)) - 595.3) < 2 and abs(float(box.group(2)) - 841.9) < 2   # A4 portrait
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 3                             # 社区, 街道, 责任单位
    page.emulate_media(media="print")
    assert page.locator(".sg-header").is_hidden() and page.locator(".sg-eval-form").is_hidden()
    assert page.locator(".sg-eval-table").count() == 3 and page.locator(".sg-up").first.is_visible()
