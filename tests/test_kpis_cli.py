"""`sanigrid kpis`, `sanigrid import inspections|cases` and `sanigrid export inspections|cases`, on both backends.

A published monthly report (972 cases due, 911 closed, 737 closed on time: 93.72 % and 75.82 %)
is imported as another system's cases file and measured again.
"""
from __future__ import annotations

import csv
import json

import openpyxl
import orjson
import pytest
from shapely.geometry import Point

from conftest import COMMUNITY, DISTRICT, STREET, X0, Y0, to_lonlat
from gis_app.cli import cli

GRIDS = [f"{COMMUNITY}{i:03d}" for i in range(1, 5)]
DAILY = ["road_clean", "no_dumping", "no_stacking", "no_vending", "no_parking", "no_posters", "no_hanging", "bins_ok",
         "frontage_kept", "no_breeding"]


@pytest.fixture
def city(runner, files):
    assert runner.invoke(cli, ["init"]).exit_code == 0
    for layer in ("regions", "grids"):
        result = runner.invoke(cli, ["import", layer, str(files[layer])])
        assert result.exit_code == 0, result.output
    return runner


def published_cases(path):
    """972 cases due in October 2026: 737 closed by their deadline, 174 after it, 61 still open."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "category", "grid", "registered_at", "deadline", "closed_at", "state", "deferred",
                      "reworks", "severity"])
        for n in range(972):
            closed = ("2026-10-19T10:00:00+08:00" if n < 737 else "2026-10-23T10:00:00+08:00" if n < 911 else "")
            out.writerow([f"EXT-{n:04d}", "exposed_rubbish", GRIDS[n % 4], "2026-10-12T09:00:00+08:00",
                          "2026-10-20T17:00:00+08:00", closed, "closed" if closed else "dispatched",
                          "false", 1 if n % 10 == 0 and closed else 0, "emergency" if n % 9 == 0 else "normal"])
    return path


def test_the_published_monthly_figures_come_back_from_an_imported_cases_file(city, tmp_path):
    result = city.invoke(cli, ["import", "cases", str(published_cases(tmp_path / "cases.csv"))])
    assert result.exit_code == 0, result.output
    assert "created 972" in result.output
    report = json.loads(city.invoke(cli, ["kpis", "--month", "2026-10", "--format", "json"]).output)
    district = next(r for r in report["rows"] if r["level"] == "district")
    assert (district["code"], district["name"]) == (DISTRICT, "鱼峰区")
    assert (district["due"], district["closed"], district["closed_on_time"]) == (972, 911, 737)
    assert (district["closure_rate"], district["on_time_rate"]) == (93.72, 75.82)
    table = city.invoke(cli, ["kpis", "--month", "2026-10", "--street", STREET])
    assert table.exit_code == 0 and "93.72" in table.output and "75.82" in table.output
    assert "区县" not in table.output and "街道" in table.output   # nothing above the street asked for
    grids = [r for r in report["rows"] if r["level"] == "grid"]
    assert sorted(r["code"] for r in grids) == GRIDS and sum(r["due"] for r in grids) == 972
    empty = json.loads(city.invoke(cli, ["kpis", "--month", "2026-09", "--format", "json"]).output)
    assert empty["rows"] == []


def test_kpis_as_xlsx_and_the_refusals(city, tmp_path):
    city.invoke(cli, ["import", "cases", str(published_cases(tmp_path / "cases.csv"))])
    out = tmp_path / "kpis.xlsx"
    result = city.invoke(cli, ["kpis", "--month", "2026-10", "--community", COMMUNITY, "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    community = next(r for r in rows if r["level"] == "community")
    assert community["closure_rate"] == 93.72 and community["name"] == "阳和社区"
    assert city.invoke(cli, ["kpis", "--month", "2026-10", "--format", "xlsx"]).exit_code == 2
    bad = city.invoke(cli, ["kpis", "--month", "2026-13"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
    assert city.invoke(cli, ["kpis", "--month", "2026-10", "--district", "450203", "--street", STREET]).exit_code == 2


def test_a_cases_file_with_a_bad_row_imports_nothing_and_names_the_row(city, tmp_path):
    path = published_cases(tmp_path / "cases.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace("exposed_rubbish", "no_such_category")
    lines[9] = lines[9].replace("2026-10-20T17:00:00+08:00", "2026-10-01T17:00:00+08:00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = city.invoke(cli, ["import", "cases", str(path)])
    assert result.exit_code == 1 and "nothing was imported" in result.output
    assert "no_such_category" in result.output and "is before registered_at" in result.output
    report = json.loads(city.invoke(cli, ["kpis", "--month", "2026-10", "--format", "json"]).output)
    assert report["rows"] == []


def test_cases_export_and_import_back_unchanged(city, tmp_path):
    city.invoke(cli, ["import", "cases", str(published_cases(tmp_path / "cases.csv"))])
    for fmt in ("csv", "xlsx", "geojson"):
        out = tmp_path / f"export.{fmt}"
        result = city.invoke(cli, ["export", "cases", "--format", fmt, "-o", str(out)])
        assert result.exit_code == 0 and "972 rows" in result.output, result.output
    again = city.invoke(cli, ["import", "cases", str(tmp_path / "export.xlsx")])
    assert again.exit_code == 0 and "updated 972" in again.output, again.output
    report = json.loads(city.invoke(cli, ["kpis", "--month", "2026-10", "--format", "json"]).output)
    assert next(r for r in report["rows"] if r["level"] == "district")["on_time_rate"] == 75.82
    refused = city.invoke(cli, ["export", "cases", "--format", "shp", "-o", str(tmp_path / "x.zip")])
    assert refused.exit_code == 1 and "geojson, csv, xlsx" in refused.output


def test_cases_located_by_their_point_in_a_geojson_file(city, tmp_path):
    point = to_lonlat(Point(X0 + 300, Y0 + 75))    # grid 004
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
                 "properties": {"id": "HOT-1", "category": "乱堆乱放", "registered_at": "2026-10-09",
                                "deadline": "2026-10-12", "closed_at": None, "state": "registered",
                                "deferred": "否", "reworks": 0, "severity": "一般"}}]
    path = tmp_path / "hotline.geojson"
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))
    assert city.invoke(cli, ["import", "cases", str(path)]).exit_code == 0
    out = tmp_path / "back.csv"
    city.invoke(cli, ["export", "cases", "--format", "csv", "-o", str(out)])
    (row,) = csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines())
    assert row["grid"] == GRIDS[3] and row["category"] == "stacking"
    assert row["deadline"] == "2026-10-12T23:59:59+08:00"     # a bare date is the end of that day


def test_paper_inspections_open_their_cases_and_an_export_does_not_open_them_twice(city, tmp_path):
    path = tmp_path / "rounds.csv"
    point = to_lonlat(Point(X0 + 100, Y0 + 225))
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["kind", "inspector", "at", "lon", "lat", *DAILY])
        out.writerow(["daily", "张三", "2026-09-30 10:00", point.x, point.y,
                      *["不合格" if k == "road_clean" else "合格" for k in DAILY]])
        out.writerow(["日查", "李四", "2026-09-30T15:00:00+08:00", point.x, point.y, *["pass"] * len(DAILY)])
    result = city.invoke(cli, ["import", "inspections", str(path)])
    assert result.exit_code == 0 and "created 2" in result.output, result.output
    cases = tmp_path / "cases.csv"
    city.invoke(cli, ["export", "cases", "--format", "csv", "-o", str(cases)])
    (case,) = csv.DictReader(cases.read_text(encoding="utf-8-sig").splitlines())
    assert case["category"] == "exposed_rubbish" and case["deadline"] == "2026-10-08T10:00:00+08:00"
    assert case["grid"] == GRIDS[0] and case["inspection_id"] == "XC00000001"
    rounds = tmp_path / "rounds.xlsx"
    assert city.invoke(cli, ["export", "inspections", "--format", "xlsx", "-o", str(rounds)]).exit_code == 0
    again = city.invoke(cli, ["import", "inspections", str(rounds)])
    assert again.exit_code == 1 and "already in the register" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,inspector,at,lon,lat,road_clean\ndaily,张三,2026-09-30 10:00,0,0,maybe\n", encoding="utf-8")
    refused = city.invoke(cli, ["import", "inspections", str(bad)])
    assert refused.exit_code == 1 and "pass, fail or na" in refused.output and "no grid holds" in refused.output
