"""datetime on the grids collection: the grids active then, as they stood then (from grid_history)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from shapely.geometry import box, shape

from conftest import X0, Y0, to_lonlat

CODE = "450203008002001"          # a grid of 新圩社区, which the tiny city leaves empty
CREATED, CHANGED, RETIRED = datetime(2024, 1, 10, 8, 0), datetime(2024, 6, 1, 0, 0), datetime(2025, 1, 1, 12, 0)
TINY = [f"450203008001{i:03d}" for i in range(1, 5)]


def _record(name, geom_metric, households):
    geom = to_lonlat(geom_metric)
    return {"code": CODE, "community": "450203008002", "name": name, "type": "market", "households": households,
            "population": households * 3, "sign_lon": None, "sign_lat": None, "area_m2": geom_metric.area,
            "attrs": {"note": name}, "geometry": geom}


@pytest.fixture
def timeline(loaded, engine):
    """One grid created on 2024-01-10 08:00, reshaped and renamed on 2024-06-01, retired on 2025-01-01 12:00 (UTC)."""
    from gis_app.storage import repository as repo
    from gis_app.storage import session_scope
    first, second = box(X0 + 400, Y0, X0 + 600, Y0 + 300), box(X0 + 400, Y0, X0 + 800, Y0 + 300)
    with session_scope(engine, write=True) as session:
        repo.write_grid(session, _record("新圩第1网格", first, 100), "test", CREATED)
        repo.write_grid(session, _record("新圩农贸市场网格", second, 250), "test", CHANGED)
        repo.retire_grid(session, CODE, "test", RETIRED)
        repo.bump_register_version(session)
    return {"first": to_lonlat(first), "second": to_lonlat(second)}


def _now() -> str:
    """This moment (to the second, rounded up: the tiny city was written within the last second)."""
    return (datetime.now(timezone.utc) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _items(client, when):
    response = client.get(f"/ogc/collections/grids/items?datetime={when}&limit=100")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {f["id"]: f for f in response.get_json()["features"]}


@pytest.mark.parametrize("when, version", [
    ("2024-01-10T08:00:00Z", 1), ("2024-03-01", 1), ("2024-05-31T23:59:59Z", 1),
    ("2024-06-01T07:59:59%2B08:00", 1),     # = 2024-05-31T23:59:59Z
    ("2024-06-01T00:00:00Z", 2), ("2024-06-01", 2), ("2024-12-31", 2), ("2025-01-01T11:59:59Z", 2),
    ("2024-03-01/2024-07-01", 2), ("../2024-02-01", 1), ("2024-12-01/..", 2), ("2025-01-01", 2),
])
def test_an_instant_or_interval_gives_the_grid_as_it_stood(client, timeline, when, version):
    found = _items(client, when)
    assert CODE in found
    grid = found[CODE]
    assert grid["properties"]["version"] == version
    assert grid["properties"]["name"] == ("新圩第1网格" if version == 1 else "新圩农贸市场网格")
    assert grid["properties"]["note"] == grid["properties"]["name"]
    expected = timeline["first"] if version == 1 else timeline["second"]
    assert shape(grid["geometry"]).hausdorff_distance(expected) < 1e-7  # the 7-decimal rounding, no more


@pytest.mark.parametrize("when", ["2024-01-10T07:59:59Z", "../2024-01-09", "2025-01-01T12:00:00Z",
                                  "2025-01-02", "2025-01-02/2025-12-31"])
def test_before_creation_and_after_retirement_the_grid_is_not_there(client, timeline, when):
    assert CODE not in _items(client, when)


def test_grids_created_now_are_not_in_the_past_and_are_now(client, timeline):
    assert not set(TINY) & set(_items(client, "2025-06-01"))
    now = _items(client, _now())
    assert set(now) == set(TINY)
    assert set(_items(client, "2024-05-01/..")) == set(TINY) | {CODE}


def test_the_register_read_now_through_history_equals_the_plain_read(client, timeline):
    plain = client.get("/ogc/collections/grids/items").get_json()["features"]
    historic = client.get("/ogc/collections/grids/items?datetime=" +
                          _now()).get_json()["features"]
    assert [(f["id"], f["properties"], f["geometry"]) for f in plain] == \
           [(f["id"], f["properties"], f["geometry"]) for f in historic]


def test_without_datetime_a_retired_grid_is_gone(client, timeline):
    assert CODE not in {f["id"] for f in client.get("/ogc/collections/grids/items").get_json()["features"]}
    assert client.get(f"/ogc/collections/grids/items/{CODE}").status_code == 404


def test_datetime_combines_with_bbox_and_paging(client, timeline):
    x0, y0, x1, y1 = to_lonlat(box(X0 + 610, Y0 + 10, X0 + 700, Y0 + 100)).bounds  # only in the reshaped grid
    url = f"/ogc/collections/grids/items?bbox={x0},{y0},{x1},{y1}&datetime="
    assert [f["id"] for f in client.get(url + "2024-07-01").get_json()["features"]] == [CODE]
    assert client.get(url + "2024-03-01").get_json()["numberMatched"] == 0
    page = client.get("/ogc/collections/grids/items?datetime=2024-05-01/..&limit=2&offset=2").get_json()
    assert page["numberMatched"] == 5 and [f["id"] for f in page["features"]] == TINY[2:4]


def test_temporal_extent_starts_with_the_first_grid(client, timeline):
    interval = client.get("/ogc/collections/grids").get_json()["extent"]["temporal"]["interval"][0]
    assert interval == ["2024-01-10T00:00:00Z", None]
