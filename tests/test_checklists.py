"""Checklists and case categories are data: the shipped files load, bad files are refused, scoring is weighted."""
import json
from datetime import datetime

import pytest

from grids.checklists import (INSPECTION_KINDS, ChecklistError, default_categories, default_checklist,
                              load_categories, load_checklist, score)
from grids.workdays import WorkCalendar


@pytest.fixture(scope="module")
def categories():
    return default_categories()


@pytest.mark.parametrize("kind", INSPECTION_KINDS)
def test_every_kind_ships_a_checklist_whose_items_open_known_categories(kind, categories):
    checklist = default_checklist(kind, categories)
    assert checklist.kind == kind and len(checklist.items) >= 8
    assert all(item["category"] in categories for item in checklist.items)
    assert all("\u4e00" <= item["label"][0] <= "\u9fff" or item["label"][0] in "“" for item in checklist.items)


def test_weighted_score_counts_only_items_that_apply(categories):
    items = default_checklist("daily", categories).items
    results = {i["key"]: "pass" for i in items}
    assert score(items, results) == (100.0, [])
    results["road_clean"] = "fail"          # weight 20 of 100
    results["no_hanging"] = "na"            # weight 5 leaves the total
    value, failed = score(items, results)
    assert value == round(100 * (95 - 20) / 95, 2) == 78.95
    assert [i["key"] for i in failed] == ["road_clean"]
    assert score(items, {i["key"]: "na" for i in items}) == (None, [])


def test_results_must_fit_the_checklist(categories):
    items = default_checklist("daily", categories).items
    full = {i["key"]: "pass" for i in items}
    with pytest.raises(ChecklistError, match="not on the checklist: bogus"):
        score(items, {**full, "bogus": "pass"})
    with pytest.raises(ChecklistError, match="no result for item"):
        score(items, {k: v for k, v in full.items() if k != "road_clean"})
    with pytest.raises(ChecklistError, match="road_clean='ok'"):
        score(items, {**full, "road_clean": "ok"})


def test_a_changed_checklist_has_a_new_version_and_old_items_still_score_the_same(tmp_path, categories):
    shipped = default_checklist("daily", categories)
    changed = tmp_path / "daily.json"

    data = shipped.as_dict()
    data["items"][0]["weight"] = 60
    changed.write_text(json.dumps({k: data[k] for k in ("kind", "name", "name_en", "items")}, ensure_ascii=False))
    new = load_checklist(changed, categories)
    assert new.version != shipped.version
    results = {i["key"]: "pass" for i in shipped.items} | {"road_clean": "fail"}
    assert score(shipped.items, results)[0] == 80.0     # the stored items: as scored on the day
    assert score(new.items, results)[0] == round(100 * 80 / 140, 2)


@pytest.mark.parametrize("body, message", [
    ("kind: hourly\nname: x\nitems: [{key: a, label: 甲, weight: 1, category: littering}]", "kind must be one of"),
    ("kind: daily\nname: x\nitems: []", "items must be a list"),
    ("kind: daily\nname: x\nitems: [{key: a, label: 甲, weight: 0, category: littering}]", "weight must be"),
    ("kind: daily\nname: x\nitems: [{key: a, label: 甲, weight: true, category: littering}]", "weight must be"),
    ("kind: daily\nname: x\nitems: [{key: a, label: 甲, weight: 1, category: nowhere}]", "not a case category"),
    ("kind: daily\nname: x\nitems: [{key: a, label: 甲, weight: 1, category: littering},"
     " {key: a, label: 乙, weight: 1, category: littering}]", "appears twice"),
    ("kind: daily\nname: x\nitems: [{key: a, label: \"甲\\u0007\", weight: 1, category: littering}]", "label"),
    ("kind: daily\nitems: [{key: a, label: 甲, weight: 1, category: littering}]", "name is missing"),
    ("kind: [daily", "cannot be read as YAML"),
])
def test_bad_checklists_are_refused_with_the_reason(tmp_path, categories, body, message):
    path = tmp_path / "list.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ChecklistError, match=message):
        load_checklist(path, categories)


@pytest.mark.parametrize("body, message", [
    ("a: {label: 甲}", "one of working_days or working_hours"),
    ("a: {label: 甲, working_days: 1.5}", "whole number"),
    ("a: {label: 甲, working_days: 0}", "above 0"),
    ("a: {label: 甲, working_days: 1, emergency: {working_hours: -2}}", "emergency"),
    ("'a b': {label: 甲, working_days: 1}", "ASCII letters"),
    ("[]", "keyed by their code"),
])
def test_bad_category_files_are_refused(tmp_path, body, message):
    path = tmp_path / "categories.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ChecklistError, match=message):
        load_categories(path)


def test_category_deadlines_follow_the_calendar(categories):
    calendar = WorkCalendar()
    registered = datetime(2026, 9, 30, 10, 0)   # the day before National Day
    assert categories["exposed_rubbish"].due(calendar, registered) == datetime(2026, 10, 8, 10, 0)
    assert categories["exposed_rubbish"].due(calendar, registered, emergency=True) == datetime(2026, 9, 30, 12, 0)
    assert categories["illegal_structure"].deadline == {"working_days": 15}
