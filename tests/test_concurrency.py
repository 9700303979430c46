"""Concurrency on PostgreSQL: 20 editors through a real HTTP server lose no update; a killed import
leaves the register as it was.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import COMMUNITY

pytestmark = pytest.mark.postgresql

EDITORS, ATTEMPTS = 20, 4
N_KILLED = 1000  # grids in the import that is killed while it writes
GRIDS = [f"{COMMUNITY}00{i}" for i in range(1, 5)]


@pytest.fixture
def server(loaded):
    """The app under werkzeug's threaded server on a free port (a real socket per request)."""
    from browser_fixtures import LiveServer
    live = LiveServer(loaded)
    yield live.port
    live.stop()


def _request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_twenty_editors_patching_with_if_match_lose_no_update(server, token, engine):
    # Half the editors fight over grid 001; the other half spread over 002-004.
    targets = [GRIDS[0] if i < EDITORS // 2 else GRIDS[1 + i % 3] for i in range(EDITORS)]
    auth, admin = token("editor"), token("admin")
    outcomes, start = [], threading.Barrier(EDITORS)

    def editor(i):
        code = targets[i]
        start.wait()
        for attempt in range(ATTEMPTS):
            _, headers, _ = _request(server, "GET", f"/api/v1/grids/{code}")
            etag = headers["ETag"]
            status, headers, _ = _request(server, "PATCH", f"/api/v1/grids/{code}",
                                          {"properties": {"name": f"编辑{i}-{attempt}", "households": 100 + i}},
                                          {**auth, "If-Match": etag})
            outcomes.append((code, status, etag, f"编辑{i}-{attempt}", headers.get("ETag")))

    threads = [threading.Thread(target=editor, args=(i,)) for i in range(EDITORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)

    assert len(outcomes) == EDITORS * ATTEMPTS
    assert {status for _, status, *_ in outcomes} <= {200, 412}, Counter(s for _, s, *_ in outcomes)
    landed = [o for o in outcomes if o[1] == 200]
    assert landed, "no write landed"
    for code in GRIDS:
        mine = [o for o in landed if o[0] == code]
        based_on = [o[2] for o in mine]
        assert len(based_on) == len(set(based_on)), f"{code}: two writes landed on the same version"
        _, headers, body = _request(server, "GET", f"/api/v1/grids/{code}")
        grid = json.loads(body)
        assert grid["properties"]["version"] == 1 + len(mine)
        with engine.connect() as conn:
            history = conn.execute(text("SELECT version FROM grid_history WHERE code = :c ORDER BY version"),
                                   {"c": code}).scalars().all()
        assert history == list(range(1, len(mine) + 2))
        _, _, body = _request(server, "GET", f"/api/v1/audit?target={code}&limit=1000", headers=admin)
        audit = [e for e in json.loads(body)["entries"] if e["action"] == "patch"]
        assert len(audit) == len(mine)
        # The audit is one chain: each write's "before" is the previous write's "after".
        assert [e["before"]["version"] for e in audit] == list(range(1, len(mine) + 1))
        assert [e["after"]["version"] for e in audit] == list(range(2, len(mine) + 2))
        assert all(a["after"] == b["before"] for a, b in zip(audit, audit[1:]))
        if mine:  # the last landed write is what the grid says now
            last = max(mine, key=lambda o: int(o[4].rsplit("-v", 1)[1].rstrip('"')))
            assert grid["properties"]["name"] == last[3] == audit[-1]["after"]["name"]
    assert Counter(o[1] for o in outcomes if o[0] == GRIDS[0])[412] > 0, "the shared grid never saw a conflict"


def _state(engine) -> dict:
    """Everything an import could change, read back in a comparable form."""
    queries = {
        "grids": "SELECT code, name, version, households, md5(ST_AsBinary(geom)) FROM grids ORDER BY code",
        "history": "SELECT code, version, action FROM grid_history ORDER BY code, version",
        "meta": "SELECT key, value FROM meta ORDER BY key",
        "import_log": "SELECT layer, source, landed FROM import_log ORDER BY id",
    }
    with engine.connect() as conn:
        return {k: [tuple(r) for r in conn.execute(text(q))] for k, q in queries.items()}


def _writing(engine) -> bool:
    """True once another session holds a row-exclusive lock on grid_history: the import is writing."""
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'grid_history' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
        )).scalar())


def test_an_import_killed_halfway_leaves_the_register_as_it_was(app, engine, settings, tmp_path):
    from gis_app.demo_loader import frame_for_import
    from gis_app.imports import import_frames
    from grids.demo import build_demo_city
    city = build_demo_city(n_grids=N_KILLED, seed=3)
    grids = frame_for_import("grids", city.grids)
    import_frames(engine, app.config, "regions", city.regions)
    import_frames(engine, app.config, "grids", grids)
    grids["name"] = grids["name"] + "（改）"  # every grid changes: one versioned write each
    big = Path(tmp_path) / "grids_changed.geojson"
    grids.to_file(big, driver="GeoJSON")
    before = _state(engine)
    assert len(before["grids"]) == N_KILLED

    log = Path(tmp_path) / "import.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "gis_app", "import", "grids", str(big)],
                                env={**os.environ, **settings}, stdout=subprocess.DEVNULL, stderr=err)
    try:
        while proc.poll() is None and not _writing(engine):
            time.sleep(0.02)
        assert proc.poll() is None, f"the import ended before it was killed: {log.read_text()[-2000:]}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with engine.connect() as conn:  # the server ends the orphaned transaction when it sees the socket close
        for _ in range(600):
            if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND pid <> pg_backend_pid() AND state <> 'idle'")).scalar():
                break
            time.sleep(0.05)
    assert _state(engine) == before
