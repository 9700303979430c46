"""Recording inspections and acting on cases through gis_app.casework, on SQLite and PostgreSQL.

The tiny city (four 200 m × 150 m grids) with a farmers' market, a frontage unit's zone and a
grid leader; the clock is frozen on Wednesday 30 September 2026, the day before National Day.
"""
from __future__ import annotations

import datetime as dt
import threading

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box
from sqlalchemy import func, select

from conftest import COMMUNITY, X0, Y0, to_lonlat
from gis_app.auth import Principal
from gis_app.casework import actions, clock, measures, reads, record
from gis_app.errors import Conflict, Forbidden, PreconditionRequired, ValidationFailed
from gis_app.imports import import_frames
from gis_app.storage import session_scope
from gis_app.storage.schema import Case, CaseEvent, Inspection

G1, G2, G3 = f"{COMMUNITY}001", f"{COMMUNITY}002", f"{COMMUNITY}003"
DAILY = ["road_clean", "no_dumping", "no_stacking", "no_vending", "no_parking", "no_posters", "no_hanging", "bins_ok",
         "frontage_kept", "no_breeding"]
INSPECTOR = Principal(1, "巡查员", "editor", None)
RECTIFIER = Principal(2, "整改人", "editor", None)
VERIFIER = Principal(3, "核查人", "editor", None)
SUPERVISOR = Principal(4, "督办", "admin", None)


def lonlat(x, y):
    point = to_lonlat(Point(X0 + x, Y0 + y))
    return point.x, point.y


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the cases' clock; returns a setter for later moments."""
    moment = {"now": dt.datetime(2026, 9, 30, 10, 5)}
    monkeypatch.setattr(clock, "now", lambda: moment["now"])
    return lambda value: moment.update(now=value)


@pytest.fixture
def city(loaded, engine):
    """A market (place polygon) in grid 001, a frontage zone in grid 002, a leader for grid 003."""
    config = loaded.config
    market = to_lonlat(box(X0 + 10, Y0 + 160, X0 + 60, Y0 + 210))
    shop_zone = to_lonlat(box(X0 + 220, Y0 + 160, X0 + 260, Y0 + 175))
    shop_front = to_lonlat(LineString([(X0 + 300, Y0 + 200), (X0 + 340, Y0 + 200)]))
    import_frames(engine, config, "places", gpd.GeoDataFrame(
        [{"ref": "P1", "kind": "farmers_market", "name": "阳和农贸市场", "operator": "王五"}],
        geometry=[market], crs="EPSG:4326"))
    import_frames(engine, config, "frontages", gpd.GeoDataFrame(
        [{"ref": "F1", "unit_name": "阳和超市", "unit_kind": "enterprise", "status": "signed"},
         {"ref": "F2", "unit_name": "阳和饭店", "unit_kind": "individual", "status": "signed"}],
        geometry=[shop_zone, shop_front], crs="EPSG:4326"))
    import_frames(engine, config, "people", pd.DataFrame(
        [{"name": "赵网格", "phone": "13800000003", "photo": None, "grid": G3, "role": "leader", "backup": None}]))
    return loaded


def results(*failed):
    return {key: "fail" if key in failed else "pass" for key in DAILY}


def inspect(app, engine, x, y, *failed, principal=INSPECTOR, **extra):
    lon, lat = lonlat(x, y)
    photos = extra.pop("photos", ())
    body = {"kind": "daily", "inspector": "张三", "at": "2026-09-30T10:00:00+08:00", "lon": lon, "lat": lat,
            "results": results(*failed), **extra}
    return record.record_inspection(engine, app.config, principal, body, photos)


def count(engine, model) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def case(app, engine, case_id) -> dict:
    return reads.get_case(engine, app.config, case_id)[0]["properties"]


def test_a_passed_inspection_scores_100_and_opens_no_case(city, engine, frozen):
    inspection_id, cases = inspect(city, engine, 100, 250)
    assert cases == []
    feature = reads.get_inspection(engine, inspection_id)
    assert feature["properties"]["score"] == 100.0 and feature["properties"]["grid"] == G1
    assert feature["properties"]["checklist"]["kind"] == "daily" and len(feature["properties"]["checklist"]["items"]) == 10


def test_each_failed_item_opens_a_case_with_its_category_deadline_across_national_day(city, engine, frozen):
    inspection_id, cases = inspect(city, engine, 100, 250, "road_clean", "no_posters", emergency=["no_posters"])
    assert len(cases) == 2
    rubbish, posters = (case(city, engine, c) for c in cases)
    assert rubbish["category"] == "exposed_rubbish" and rubbish["severity"] == "normal"
    # 1 working day from Wednesday 30 September 10:00: 1–7 October are off → Thursday 8 October 10:00
    assert rubbish["deadline"] == "2026-10-08T10:00:00+08:00"
    # emergency flyposting: 8 working hours = 2 h + 3.5 h on 30 September, 2.5 h on 8 October
    assert posters["severity"] == "emergency" and posters["deadline"] == "2026-10-08T11:00:00+08:00"
    assert rubbish["inspection_id"] == inspection_id and rubbish["state"] == "registered"
    assert rubbish["history"][0]["action"] == "register" and rubbish["history"][0]["by"] == INSPECTOR.actor
    # the score counts the failed weight: 100 × (100 − 20 − 10) / 100
    assert reads.get_inspection(engine, inspection_id)["properties"]["score"] == 70.0


def test_fifteen_working_days_count_the_adjusted_working_saturday(city, engine, frozen):
    lon, lat = lonlat(100, 250)
    body = {"kind": "weekly", "inspector": "李督查", "at": "2026-09-30T10:00:00+08:00", "lon": lon, "lat": lat,
            "results": {}}
    from gis_app import case_rules
    items = case_rules.checklist(city.config, "weekly").items
    body["results"] = {i["key"]: "fail" if i["category"] == "illegal_structure" else "pass" for i in items}
    _, (structure,) = record.record_inspection(engine, city.config, INSPECTOR, body)
    # 8, 9, 10 (Saturday, a working day), 12–16, 19–23, 26, 27 October: the 15th is Tuesday 27 October
    assert case(city, engine, structure)["deadline"] == "2026-10-27T10:00:00+08:00"


@pytest.mark.parametrize("x, y, kind, ref", [
    (30, 180, "place", "P1"),            # inside the market's polygon
    (240, 170, "frontage", "F1"),        # inside the supermarket's zone
    (320, 197, "frontage", "F2"),        # 3 m in front of the restaurant's street front
    (100, 60, "grid_leader", "13800000003"),   # grid 003's leader
    (300, 260, "grid", G2),              # grid 002 has no leader and no unit there
])
def test_the_case_goes_to_the_unit_whose_zone_holds_the_point_else_the_grid_leader(city, engine, frozen, x, y,
                                                                                   kind, ref):
    _, (case_id,) = inspect(city, engine, x, y, "road_clean")
    found = case(city, engine, case_id)
    assert (found["addressed_kind"], found["addressed_ref"]) == (kind, ref)


def test_a_point_outside_every_grid_or_bad_results_write_nothing(city, engine, frozen):
    with pytest.raises(ValidationFailed, match="no grid holds the point"):
        inspect(city, engine, 2000, 2000, "road_clean")
    lon, lat = lonlat(100, 250)
    with pytest.raises(ValidationFailed, match="not on the checklist"):
        record.record_inspection(engine, city.config, INSPECTOR, {"kind": "daily", "inspector": "张三", "lon": lon,
                                                                  "lat": lat, "results": {**results(), "nope": "fail"}})
    with pytest.raises(ValidationFailed, match="did not fail"):
        inspect(city, engine, 100, 250, "road_clean", emergency=["no_posters"])
    with pytest.raises(Forbidden):
        inspect(city, engine, 100, 250, "road_clean", principal=Principal(9, "外区", "editor", "450204"))
    assert count(engine, Inspection) == count(engine, Case) == count(engine, CaseEvent) == 0


def test_a_time_in_the_future_or_a_year_the_calendar_does_not_know_is_refused(city, engine, frozen, tmp_path):
    with pytest.raises(ValidationFailed, match="in the future"):
        inspect(city, engine, 100, 250, "road_clean", at="2026-10-01T10:00:00+08:00")
    frozen(dt.datetime(2027, 3, 1, 9, 0))
    with pytest.raises(ValidationFailed, match="SANIGRID_CALENDAR_FILE"):
        inspect(city, engine, 100, 250, "road_clean", at="2027-03-01T09:00:00+08:00")
    assert count(engine, Inspection) == 0
    overrides = tmp_path / "calendar.json"
    overrides.write_text('{"2027": {"holidays": ["2027-03-02"], "workdays": []}}', encoding="utf-8")
    city.config["SANIGRID_CALENDAR_FILE"] = str(overrides)
    _, (case_id,) = inspect(city, engine, 100, 250, "road_clean", at="2027-03-01T09:00:00+08:00")
    assert case(city, engine, case_id)["deadline"] == "2027-03-03T09:00:00+08:00"   # 2 March is a holiday there


def test_a_changed_checklist_never_rescores_a_past_inspection(city, engine, frozen, tmp_path):
    inspection_id, _ = inspect(city, engine, 100, 250, "road_clean")
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "checklist_daily.yaml").write_text(
        "kind: daily\nname: 新表\nitems:\n  - {key: road_clean, label: 路面干净, weight: 50, category: exposed_rubbish}\n"
        "  - {key: no_dumping, label: 无乱倒, weight: 50, category: littering}\n", encoding="utf-8")
    city.config["SANIGRID_CHECKLISTS"] = str(folder)
    second, _ = record.record_inspection(engine, city.config, INSPECTOR, {
        "kind": "daily", "inspector": "张三", "lon": lonlat(100, 250)[0], "lat": lonlat(100, 250)[1],
        "results": {"road_clean": "fail", "no_dumping": "pass"}})
    old, new = (reads.get_inspection(engine, i)["properties"] for i in (inspection_id, second))
    assert old["score"] == 80.0 and len(old["checklist"]["items"]) == 10
    assert new["score"] == 50.0 and new["checklist"]["version"] != old["checklist"]["version"]


def _act(app, engine, principal, case_id, version, **body):
    return actions.act_on_case(engine, app.config, principal, case_id, body, if_match=f'"case-{case_id}-v{version}"')


def test_a_case_goes_through_to_closed_with_every_step_recorded(city, engine, frozen):
    _, (case_id,) = inspect(city, engine, 100, 250, "road_clean")
    png = _png()
    assert _act(city, engine, INSPECTOR, case_id, 1, action="dispatch", assignee="13800000003") == 2
    assert actions.act_on_case(engine, city.config, RECTIFIER, case_id, {"action": "rectify"},
                               if_match=f'"case-{case_id}-v2"', photo=png) == 3
    with pytest.raises(ValidationFailed, match="cannot also verify"):
        _act(city, engine, RECTIFIER, case_id, 3, action="verify")
    assert _act(city, engine, VERIFIER, case_id, 3, action="reject", note="仍有垃圾") == 4
    assert case(city, engine, case_id)["reworks"] == 1 and case(city, engine, case_id)["evidence"] is None
    assert actions.act_on_case(engine, city.config, RECTIFIER, case_id, {"action": "rectify"},
                               if_match=f'"case-{case_id}-v4"', photo=png) == 5
    assert _act(city, engine, VERIFIER, case_id, 5, action="verify") == 6
    frozen(dt.datetime(2026, 10, 8, 9, 0))
    assert _act(city, engine, VERIFIER, case_id, 6, action="close") == 7
    done = case(city, engine, case_id)
    assert done["state"] == "closed" and done["closed_at"] == "2026-10-08T09:00:00+08:00" and not done["overdue"]
    assert [e["action"] for e in done["history"]] == ["register", "dispatch", "rectify", "reject", "rectify",
                                                      "verify", "close"]
    assert [(e["from"], e["to"]) for e in done["history"][1:3]] == [("registered", "dispatched"),
                                                                     ("dispatched", "rectified")]
    assert done["evidence"].startswith("/photos/") and done["history"][4]["photo"] == done["evidence"]


def test_an_illegal_transition_names_the_state_and_the_next_steps_and_changes_nothing(city, engine, frozen):
    _, (case_id,) = inspect(city, engine, 100, 250, "road_clean")
    with pytest.raises(Conflict, match=r"state registered \(立案\) cannot be close; allowed next: dispatch"):
        _act(city, engine, VERIFIER, case_id, 1, action="close")
    with pytest.raises(ValidationFailed, match="supervisor"):
        _act(city, engine, INSPECTOR, case_id, 1, action="defer", working_days=3)
    with pytest.raises(PreconditionRequired):
        actions.act_on_case(engine, city.config, INSPECTOR, case_id, {"action": "dispatch"})
    assert case(city, engine, case_id)["version"] == 1 and count(engine, CaseEvent) == 1


def test_a_supervisor_defers_and_an_overdue_case_answers_one_level_up(city, engine, frozen):
    _, (late, deferred) = inspect(city, engine, 100, 250, "road_clean", "no_dumping")
    assert _act(city, engine, SUPERVISOR, deferred, 1, action="defer", working_days=2) == 2
    frozen(dt.datetime(2026, 10, 8, 10, 30))
    late_case, deferred_case = case(city, engine, late), case(city, engine, deferred)
    assert late_case["overdue"] and late_case["answering_level"] == "community"
    assert deferred_case["deadline"] == "2026-10-10T10:00:00+08:00" and deferred_case["deferred"]
    assert not deferred_case["overdue"] and deferred_case["answering_level"] == "grid"
    page = reads.case_page(engine, city.config, {"overdue": True})
    assert [f["id"] for f in page["features"]] == [late]


def test_two_people_acting_at_once_one_wins_the_other_gets_a_conflict(city, engine, frozen):
    _, (case_id,) = inspect(city, engine, 100, 250, "road_clean")
    start, outcomes = threading.Barrier(2), []

    def act(principal, body):
        start.wait()
        try:
            outcomes.append(("won", principal.name, _act(city, engine, principal, case_id, 1, **body)))
        except Conflict as exc:
            outcomes.append(("conflict", principal.name, exc.detail))

    threads = [threading.Thread(target=act, args=(INSPECTOR, {"action": "dispatch", "assignee": "甲"})),
               threading.Thread(target=act, args=(SUPERVISOR, {"action": "defer", "working_days": 5}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o[0] for o in outcomes) == ["conflict", "won"]
    winner = next(o for o in outcomes if o[0] == "won")
    loser = next(o for o in outcomes if o[0] == "conflict")
    assert winner[2] == 2 and "now at version 2" in loser[2]
    stored = case(city, engine, case_id)
    assert stored["version"] == 2 and len(stored["history"]) == 2
    assert stored["history"][1]["by"] == (INSPECTOR if winner[1] == INSPECTOR.name else SUPERVISOR).actor


def test_the_months_measures_come_from_the_stored_cases(city, engine, frozen):
    _, (closed, open_) = inspect(city, engine, 100, 250, "road_clean", "no_dumping")
    for version, (principal, body) in enumerate([(INSPECTOR, {"action": "dispatch", "assignee": "甲"}),
                                                 (RECTIFIER, {"action": "rectify", "photo": _stored_photo(city)}),
                                                 (VERIFIER, {"action": "verify"}), (VERIFIER, {"action": "close"})],
                                                start=1):
        _act(city, engine, principal, closed, version, **body)
    table = measures.kpi_table(engine, city.config, "2026-10", COMMUNITY)
    row = table[(table["level"] == "community")].iloc[0]
    assert row["code"] == COMMUNITY and row["name"] == "阳和社区"
    assert (row["due"], row["closed"], row["closed_on_time"], row["closure_rate"]) == (2, 1, 1, 50.0)
    assert set(table["level"]) == {"grid", "community", "person"}     # nothing above the community asked for
    assert table[table["level"] == "person"]["code"].tolist() == ["甲"]
    assert measures.kpi_table(engine, city.config, "2026-09").empty


def _png() -> bytes:
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _stored_photo(app) -> str:
    from gis_app.storage.photos import store_photo
    return store_photo(app.config["SANIGRID_INSTANCE"], _png())
