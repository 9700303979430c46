"""The running app's live index and statuses: a write shows in the next tile and ``locate``, patched in place."""
from __future__ import annotations

import mercantile
import orjson
import shapely
from shapely.geometry import box

from conftest import BACKEND, COMMUNITY, X0, Y0, feature, to_lonlat
from gis_app.storage import live_index as live
from grids.locate import GridIndex, LiveGridIndex

G1, G2, G4 = f"{COMMUNITY}001", f"{COMMUNITY}002", f"{COMMUNITY}004"
NEW = "450203008002001"
URL = "/api/v1/grids"


def _point(x, y):
    p = to_lonlat(shapely.Point(X0 + x, Y0 + y))
    return p.x, p.y


def _tile(client, x_m, y_m, z=18) -> dict:
    """The features of the full-detail tile over a point of the tiny city (metres from its corner)."""
    lon, lat = _point(x_m, y_m)
    t = mercantile.tile(lon, lat, z)
    body = client.get(f"/tiles/grids/{z}/{t.x}/{t.y}.geojson")
    assert body.status_code == 200
    return {f["properties"]["code"]: f for f in orjson.loads(body.data)["features"]}


def _located(client, x_m, y_m):
    lon, lat = _point(x_m, y_m)
    answer = client.get(f"/api/v1/locate?lon={lon}&lat={lat}")
    return answer.get_json()["grid"]["code"] if answer.status_code == 200 else answer.status_code


def _etag(client, code):
    return client.get(f"{URL}/{code}").headers["ETag"]


def test_live_index_answers_as_the_strtree_after_inserts_updates_and_removals():
    boxes = {f"g{i}": box(i, 0, i + 1, 1) for i in range(40)}
    live_ix = LiveGridIndex(list(boxes), list(boxes.values()))
    live_ix.upsert("g3", box(100, 0, 101, 1))     # moved away
    live_ix.remove("g5")
    live_ix.remove("nothing")                      # unknown: ignored
    for i in range(40, 80):                        # past the first capacity: slots grow
        live_ix.upsert(f"g{i}", box(i, 0, i + 1, 1))
    boxes.update({"g3": box(100, 0, 101, 1), **{f"g{i}": box(i, 0, i + 1, 1) for i in range(40, 80)}})
    del boxes["g5"]
    bulk = GridIndex(list(boxes), list(boxes.values()))
    xs = [i + 0.5 for i in range(-2, 102)]
    assert [live_ix.locate(x, 0.5) for x in xs] == list(bulk.locate_xy(xs, [0.5] * len(xs)))
    codes, geoms = live_ix.query_bbox(2.5, 0.2, 6.5, 0.8)
    assert list(codes) == sorted(bulk.query_bbox(2.5, 0.2, 6.5, 0.8)) == ["g2", "g4", "g6"]
    assert len(live_ix) == 79 and "g5" not in live_ix


def test_api_writes_show_in_the_next_tile_and_locate(loaded, client, token):
    assert _located(client, 50, 250) == G1 and G1 in _tile(client, 50, 250)
    assert _located(client, 500, 100) == 404
    index = live.live_index(loaded.extensions["sanigrid.engine"]) if BACKEND == "sqlite" else None

    new = feature({"name": "新圩1", "community": "450203008002", "households": 10}, box(X0 + 400, Y0, X0 + 600, Y0 + 300))
    assert client.post(URL, json=new, headers=token()).status_code == 201
    assert _located(client, 500, 100) == NEW and NEW in _tile(client, 500, 100)

    smaller = feature({}, box(X0, Y0 + 200, X0 + 150, Y0 + 300))["geometry"]
    assert client.patch(f"{URL}/{G1}", json={"geometry": smaller},
                        headers={**token(), "If-Match": _etag(client, G1)}).status_code == 200
    assert _located(client, 50, 250) == G1 and _located(client, 180, 170) == 404
    assert _tile(client, 50, 250)[G1]["geometry"] == client.get(f"{URL}/{G1}").get_json()["geometry"]

    assert client.delete(f"{URL}/{G4}", headers={**token(), "If-Match": _etag(client, G4)}).status_code == 204
    assert _located(client, 300, 50) == 404 and G4 not in _tile(client, 300, 50)
    if BACKEND == "sqlite":  # patched in place, never built again
        assert live.live_index(loaded.extensions["sanigrid.engine"]) is index and len(index) == 4


def test_patched_statuses_are_what_a_fresh_build_gives(loaded, engine, client, token, tmp_path):
    from gis_app.imports import import_file
    from test_people_and_locate import ROWS, people_csv
    # One cleaner on all four grids: each grid is "spread too thin" until one of them is retired.
    rows = ROWS + [f"周杰,13800000009,,{code},保洁员," for code in (G1, G2, f"{COMMUNITY}003", G4)]
    import_file(engine, loaded.config, "people", people_csv(tmp_path, rows))
    before = live.grid_statuses(engine, loaded.config)
    assert client.delete(f"{URL}/{G4}", headers={**token(), "If-Match": _etag(client, G4)}).status_code == 204
    assert client.patch(f"{URL}/{G2}", json={"properties": {"households": 0}},
                        headers={**token(), "If-Match": _etag(client, G2)}).status_code == 200
    patched = live.grid_statuses(engine, loaded.config)
    fresh = live._build_statuses(engine, loaded.config["SANIGRID_MAX_GRIDS_PER_PERSON"])
    assert patched is before and patched.statuses == fresh.statuses and G4 not in patched.statuses
    table = client.get("/api/v1/staffing", headers=token()).get_json()["grids"]
    assert patched.statuses == {g["code"]: g["status"] for g in table}


def test_a_write_by_another_process_is_seen_too(loaded, client, tmp_path):
    """``sanigrid import`` in its own process rewrites two grids; this process patches from the grid history."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    assert _located(client, 50, 250) == G1
    moved = feature({"code": G1, "name": "阳和社区第1网格", "households": 120, "population": 360, "type": "residential"},
                    box(X0, Y0 + 250, X0 + 200, Y0 + 300))
    small = feature({"code": G2, "name": "阳和社区第2网格", "households": 99, "population": 297, "type": "residential"},
                    box(X0 + 200, Y0 + 150, X0 + 400, Y0 + 300))
    path = tmp_path / "edit.geojson"
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": [moved, small]}))
    env = {**os.environ, **{k: str(loaded.config[k]) for k in ("SANIGRID_INSTANCE", "SANIGRID_DATABASE_URL")}}
    done = subprocess.run([str(Path(sys.executable).with_name("sanigrid")), "import", "grids", str(path)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _located(client, 50, 200) == 404 and _located(client, 50, 280) == G1
    assert _tile(client, 50, 280)[G1]["geometry"] == client.get(f"{URL}/{G1}").get_json()["geometry"]
