"""sanigrid backup / restore on the test's backend: a round trip gives back every table as it was."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from conftest import BACKEND, COMMUNITY
from gis_app.backup import backup_kind
from gis_app.storage.schema import Base

G1, G2 = f"{COMMUNITY}001", f"{COMMUNITY}002"
PEOPLE = ("name,phone,photo,grid,role,backup\n"
          f"张伟,13800000001,,{G1},网格长,\n李娜,13800000002,,{G1},保洁员,13800000003\n"
          f"王芳,13800000003,,{G2},巡查员,\n")


def _state(engine) -> dict:
    """Every row of every table of the register, geometry as WKB, ordered by primary key."""
    with engine.connect() as conn:
        return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for t in Base.metadata.sorted_tables}


def _patch(client, token, code, name):
    etag = client.get(f"/api/v1/grids/{code}").headers["ETag"]
    resp = client.patch(f"/api/v1/grids/{code}", json={"properties": {"name": name}},
                        headers={**token(), "If-Match": etag})
    assert resp.status_code == 200, resp.get_json()


@pytest.fixture
def register(loaded, engine, client, token, tmp_path):
    """The tiny city with people, roles, a patched grid (history) and its audit entry."""
    from gis_app.imports import import_file
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    import_file(engine, loaded.config, "people", people)
    _patch(client, token, G1, "阳和第一网格（改）")
    return loaded


def test_backup_and_restore_give_back_the_register(register, engine, client, token, runner, tmp_path):
    from gis_app.cli import cli
    path = tmp_path / "backups" / "register.backup"
    before = _state(engine)
    assert before["people"] and before["roles"] and before["audit_log"] and len(before["grid_history"]) == 5

    done = runner.invoke(cli, ["backup", str(path)])
    assert done.exit_code == 0, done.output
    assert backup_kind(path) == BACKEND

    _patch(client, token, G1, "备份之后又改")  # everything after the backup goes
    assert client.delete(f"/api/v1/grids/{G2}", headers={**token(), "If-Match": f'"{G2}-v1"'}).status_code == 204
    changed = _state(engine)
    assert changed != before

    done = runner.invoke(cli, ["restore", str(path), "--yes"])
    assert done.exit_code == 0, done.output
    assert _state(engine) == before
    assert client.get(f"/api/v1/grids/{G1}").get_json()["properties"]["name"] == "阳和第一网格（改）"
    assert client.get(f"/api/v1/grids/{G2}").status_code == 200
    if BACKEND == "postgresql":  # the restored tables are new ones, analysed before restore returns
        from gis_app.storage.db import fetch_raw
        unanalysed = fetch_raw(engine, "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NULL "
                                       "AND relname = ANY(%s)", ([t.name for t in Base.metadata.sorted_tables],))
        assert unanalysed == []


def _other_backend_backup(tmp_path, request) -> tuple:
    """A real backup written by the other backend, from a database with the register schema."""
    from gis_app.backup import backup
    from gis_app.storage import engine_for, upgrade
    if BACKEND == "sqlite":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'other' / 'other.sqlite'}"
    upgrade(url)
    path = tmp_path / "other.backup"
    kind = backup(engine_for(url), path)
    return path, kind


def test_restore_refuses_a_backup_of_the_other_backend_and_changes_nothing(register, engine, runner, tmp_path,
                                                                           request):
    from gis_app.cli import cli
    path, kind = _other_backend_backup(tmp_path, request)
    assert kind != BACKEND
    before = _state(engine)
    done = runner.invoke(cli, ["restore", str(path), "--yes"])
    assert done.exit_code == 1
    assert f"is a {kind} backup but this database is {BACKEND}" in done.output
    assert _state(engine) == before


def test_restore_refuses_a_file_that_is_no_register(register, engine, runner, tmp_path):
    from gis_app.cli import cli
    text = tmp_path / "notes.backup"
    text.write_text("not a database", encoding="utf-8")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    before = _state(engine)
    done = runner.invoke(cli, ["restore", str(text), "--yes"])
    assert done.exit_code == 1 and "is not a sanigrid backup" in done.output
    if BACKEND == "sqlite":
        done = runner.invoke(cli, ["restore", str(other), "--yes"])
        assert done.exit_code == 1 and "not a sanigrid register" in done.output
    assert _state(engine) == before


def test_restore_asks_before_replacing_the_database(register, engine, runner, tmp_path):
    from gis_app.cli import cli
    path = tmp_path / "register.backup"
    assert runner.invoke(cli, ["backup", str(path)]).exit_code == 0
    done = runner.invoke(cli, ["restore", str(path)], input="n\n")
    assert done.exit_code == 1 and "Aborted" in done.output
