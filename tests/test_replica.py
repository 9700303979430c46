"""A real streaming replica: a second PostgreSQL 15 cluster on this machine, built from the running
primary with ``pg_basebackup -R``; the app reads it on GET and writes the primary.

Setup changes one thing on the primary, idempotently: a ``host replication all 127.0.0.1/32 trust``
line at the top of its pg_hba.conf (then ``pg_reload_conf()``), because ``all`` in pg_hba does not
cover replication connections. The replica cluster lives in a temporary folder, runs as the
postgres OS user on a free port and is stopped and deleted afterwards.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import shapely
from sqlalchemy import make_url, text
from sqlalchemy.exc import InternalError

from conftest import COMMUNITY, POSTGRES_URL, X0, Y0, to_lonlat

pytestmark = pytest.mark.postgresql

HBA_LINE = "host replication all 127.0.0.1/32 trust"
GRID = f"{COMMUNITY}001"


def _as_postgres(*argv: str) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres OS user when we are root."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else list(argv)


def _bin(name: str) -> str:
    found = shutil.which(name) or str(Path("/usr/lib/postgresql/15/bin") / name)
    if not Path(found).exists():
        pytest.fail(f"{name} not found: install the Debian postgresql-15 package")
    return found


def _primary_sql(sql: str):
    import psycopg
    dsn = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def allow_replication_connections() -> None:
    """Let 127.0.0.1 open replication connections to the primary (idempotent; reload, no restart)."""
    hba = Path(_primary_sql("SHOW hba_file")[0][0])
    lines = hba.read_text().splitlines()
    if HBA_LINE not in (line.strip() for line in lines):
        hba.write_text("\n".join([HBA_LINE, *lines]) + "\n")  # first: pg_hba takes the first match
        _primary_sql("SELECT pg_reload_conf()")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SLOT_PREFIX = "sanigrid_test_replica_"


def drop_slot(name: str) -> None:
    _primary_sql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                 f"WHERE slot_name = '{name}' AND NOT active")


def drop_stale_slots() -> None:
    """Drop inactive slots an interrupted earlier run left: a slot keeps the primary's WAL forever."""
    for (name,) in _primary_sql(f"SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '{SLOT_PREFIX}%' "
                                "AND NOT active"):
        drop_slot(name)


def base_backup(primary, data: Path, slot: str, attempts: int = 3) -> None:
    """``pg_basebackup -R`` of the primary into ``data`` through a new physical replication slot.

    The slot keeps the WAL the standby still needs: without it a busy primary (other sessions
    creating and dropping databases write about 1 GB of WAL a minute here) recycled that WAL
    while the standby was starting. Retried: a checkpoint forced meanwhile can end an attempt
    ("terminating process … to release replication slot").
    """
    argv = _as_postgres(_bin("pg_basebackup"), "-h", primary.host or "127.0.0.1", "-p", str(primary.port or 5432),
                        "-U", primary.username or "postgres", "-D", str(data), "-R", "-X", "stream", "-c", "fast",
                        "-C", "-S", slot)
    for attempt in range(attempts):
        done = subprocess.run(argv, capture_output=True, timeout=600)
        if done.returncode == 0:
            return
        shutil.rmtree(data, ignore_errors=True)
        drop_slot(slot)
    pytest.fail(f"pg_basebackup failed {attempts} times: {done.stderr.decode(errors='replace')}")


@pytest.fixture(scope="module")
def replica_port():
    """A hot standby of the primary at 127.0.0.1:5432, streaming, on a free port; removed afterwards."""
    allow_replication_connections()
    drop_stale_slots()
    primary = make_url(POSTGRES_URL)
    folder = Path(tempfile.mkdtemp(prefix="sanigrid-replica-"))
    data, port, slot = folder / "data", _free_port(), f"{SLOT_PREFIX}{os.getpid()}"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    try:
        base_backup(primary, data, slot)
        # The Debian cluster keeps its configuration in /etc: the copy needs one of its own.
        # max_connections and the like may not be lower than the primary's: left at the defaults.
        # fsync off: a throwaway standby, and its start skips syncing the whole copy (40 s here).
        conf = {"port": port, "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{folder}'",
                "hot_standby": "on", "fsync": "off"}
        for name, body in (("postgresql.conf", "".join(f"{k} = {v}\n" for k, v in conf.items())),
                           ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
                           ("pg_ident.conf", "")):
            subprocess.run(_as_postgres("tee", str(data / name)), input=body.encode(), check=True,
                           capture_output=True)
        started = subprocess.run(_as_postgres(_bin("pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w",
                                              "-t", "300", "start"), capture_output=True, timeout=360)
        if started.returncode:
            log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
            pytest.fail(f"the replica did not start: {started.stderr.decode(errors='replace')}\n{log}")
        yield port
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_postgres(_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"),
                           capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)
        drop_slot(slot)


def wait_for_replay(primary, replica, timeout: float = 60.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with primary.connect() as conn:
        lsn = conn.execute(text("SELECT pg_current_wal_insert_lsn()::text")).scalar()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with replica.connect() as conn:
                if conn.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": lsn}).scalar():
                    return
        except Exception:  # the database may not exist on the replica yet: it arrives with the WAL
            pass
        time.sleep(0.05)
    pytest.fail(f"the replica did not replay up to {lsn} within {timeout} s")


@pytest.fixture
def pair(loaded, settings, replica_port):
    """(app reading the replica, primary engine, replica engine) over the tiny city."""
    from gis_app import create_app
    from gis_app.storage import engine_for
    replica_url = make_url(settings["SANIGRID_DATABASE_URL"]).set(port=replica_port).render_as_string(
        hide_password=False)
    app = create_app({**settings, "SANIGRID_DATABASE_REPLICA_URL": replica_url})
    primary, replica = app.extensions["sanigrid.engine"], engine_for(replica_url)
    assert primary is loaded.extensions["sanigrid.engine"] and replica is not primary
    wait_for_replay(primary, replica)
    yield app, primary, replica
    with replica.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    replica.dispose()  # the primary drops the test database next: no sessions left on the replica


def _paused(replica, paused: bool) -> None:
    with replica.connect() as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"))


def _name(client, code=GRID) -> tuple[str, str]:
    res = client.get(f"/api/v1/grids/{code}")
    assert res.status_code == 200, res.get_data(as_text=True)
    return res.get_json()["properties"]["name"], res.headers["ETag"]


def _body(response) -> str:
    """The response text without Folium's random element ids (32 hex digits), the per-request CSP
    nonce and OGC's timeStamp."""
    text = re.sub(r"[0-9a-f]{32}", "", response.get_data(as_text=True))
    text = re.sub(r'nonce="[^"]*"', "", text)
    return re.sub(r'"timeStamp": ?"[^"]*"', "", text)


def test_the_replica_is_a_read_only_standby_of_the_primary(pair):
    _, primary, replica = pair
    with replica.connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
        assert conn.execute(text("SELECT count(*) FROM grids")).scalar() == 4  # the import replicated
        with pytest.raises(InternalError, match="read-only transaction"):
            conn.execute(text("UPDATE meta SET value = value"))
    with primary.connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is False


def test_get_reads_the_replica_writes_go_to_the_primary_and_a_writer_reads_its_own_write(pair, loaded, token):
    from gis_app.storage.routing import read_engine
    app, primary, replica = pair
    reader, other_worker = app.test_client(), loaded.test_client()  # ``loaded``: primary only
    editor = token("editor")
    name, etag = _name(reader)
    with app.test_request_context(f"/api/v1/grids/{GRID}", method="GET"):
        assert read_engine() is replica
    with app.test_request_context(f"/api/v1/grids/{GRID}", method="PATCH"):
        assert read_engine() is primary

    _paused(replica, True)
    # Another process writes while the replica is held back: this app's GETs still show the old
    # name, so they are served by the replica; the primary has the new one.
    res = other_worker.patch(f"/api/v1/grids/{GRID}", json={"properties": {"name": "甲"}},
                             headers={**editor, "If-Match": etag})
    assert res.status_code == 200, res.get_data(as_text=True)
    assert _name(reader)[0] == name
    with primary.connect() as conn:
        assert conn.execute(text("SELECT name FROM grids WHERE code = :c"), {"c": GRID}).scalar() == "甲"

    # A write with the stale ETag read from the replica is refused: the re-check reads the primary.
    res = reader.patch(f"/api/v1/grids/{GRID}", json={"properties": {"name": "乙"}},
                       headers={**editor, "If-Match": etag})
    assert res.status_code == 412
    res = reader.patch(f"/api/v1/grids/{GRID}", json={"properties": {"name": "乙"}},
                       headers={**editor, "If-Match": other_worker.get(f"/api/v1/grids/{GRID}").headers["ETag"]})
    assert res.status_code == 200 and res.get_json()["properties"]["name"] == "乙"
    # Read-your-writes: the replica has not replayed this app's write, so its next GET reads the primary.
    assert _name(reader)[0] == "乙"
    assert app.extensions["sanigrid.routing"].behind
    with replica.connect() as conn:
        assert conn.execute(text("SELECT name FROM grids WHERE code = :c"), {"c": GRID}).scalar() == name

    _paused(replica, False)
    wait_for_replay(primary, replica)
    with replica.connect() as conn:
        assert conn.execute(text("SELECT name FROM grids WHERE code = :c"), {"c": GRID}).scalar() == "乙"
    assert _name(reader)[0] == "乙" and not app.extensions["sanigrid.routing"].behind
    with app.test_request_context(f"/api/v1/grids/{GRID}", method="GET"):
        assert read_engine() is replica  # caught up: back on the replica


def test_reports_pages_exports_and_locate_read_the_replica(pair, loaded, token):
    app, primary, replica = pair
    reader, other_worker = app.test_client(), loaded.test_client()
    inside = to_lonlat(shapely.Point(X0 + 100, Y0 + 225))  # the middle of grid 001
    urls = {"locate": f"/api/v1/locate?lon={inside.x}&lat={inside.y}", "staffing": "/api/v1/staffing",
            "gaps": f"/api/v1/gaps?district={COMMUNITY[:6]}", "export": "/api/v1/export/grids?format=csv",
            "grids": "/api/v1/grids", "index page": "/", "gaps page": f"/gaps/{COMMUNITY[:6]}",
            "ogc items": "/ogc/collections/grids/items?f=json", "grid page": f"/grids/{GRID}",
            "register page": "/register"}
    before = {what: reader.get(url) for what, url in urls.items()}
    assert all(r.status_code == 200 for r in before.values()), {w: r.status_code for w, r in before.items()}
    assert before["locate"].get_json()["grid"]["code"] == GRID

    _paused(replica, True)
    etag = other_worker.get(f"/api/v1/grids/{GRID}").headers["ETag"]
    res = other_worker.delete(f"/api/v1/grids/{GRID}", headers={**token("editor"), "If-Match": etag})
    assert res.status_code == 204
    # Grid 001 is retired on the primary; every read of this app still answers as before (the replica).
    for what, url in urls.items():
        assert _body(reader.get(url)) == _body(before[what]), what
        assert _body(other_worker.get(url)) != _body(before[what]), what

    _paused(replica, False)
    wait_for_replay(primary, replica)
    assert reader.get(urls["locate"]).status_code == 404
