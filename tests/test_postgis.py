"""PostgreSQL/PostGIS specifics: connection settings, geometry columns, GiST plans, migrations.

These need PostgreSQL (marker ``postgresql``); the rest of the suite runs on both backends.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from gis_app.storage import session_scope, upgrade
from gis_app.storage.db import PG_SETTINGS, WRITE_LOCK

pytestmark = pytest.mark.postgresql


def test_every_connection_has_the_settings_the_plans_rely_on(engine):
    with engine.connect() as conn:
        shown = {name: conn.exec_driver_sql(f"SHOW {name}").scalar() for name in PG_SETTINGS}
    assert shown == PG_SETTINGS


def test_a_serial_read_session_plans_without_workers_and_hands_its_connection_back_reset(engine):
    from gis_app.storage.db import _reader

    reader = _reader(engine)
    reader.dispose()  # one pooled connection from here on: the serial session's must come back reset
    with session_scope(engine, serial=True) as session:
        inside = session.connection().exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar()
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with session_scope(engine) as session:
        after = session.connection().exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar()
        again = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
    assert inside == "0"
    assert again == pid and after != "0"  # the same pooled connection, its setting back to the server's


def _numbered(sql: str) -> str:
    """psycopg's placeholders as PREPARE's ($1, $2, ...)."""
    n = iter(range(1, 100))
    return re.sub("%s", lambda _: f"${next(n)}", sql)


def _add_squares(cursor, n=2000) -> None:
    """Add ``n`` active 100 m squares, so that costs and not a tiny table decide the plans."""
    cursor.execute("""
        INSERT INTO grids (code, community, name, type, households, population, geom, minx, miny, maxx, maxy,
                           area_m2, version, start_date, attrs, updated_at, updated_by)
        SELECT 'X' || lpad(i::text, 14, '0'), '450203008001', 'x', 'residential', 0, 0,
               ST_MakeEnvelope(108 + mod(i, 50) * 0.001, 24 + (i / 50) * 0.001,
                               108.001 + mod(i, 50) * 0.001, 24.001 + (i / 50) * 0.001, 4326),
               0, 0, 0, 0, 0, 1, current_date, '{}', now(), 'test'
          FROM generate_series(1, %s) i""", (n,))


def test_plan_once_queries_run_in_autocommit_with_one_generic_plan_that_uses_the_gist_index(loaded, engine):
    from gis_app.storage import refresh_statistics
    from gis_app.storage.db import PLAN_ONCE_SETTINGS, _plan_once_engine, fetch_raw
    from gis_app.storage.tiles import TILE_SQL_FULL

    assert fetch_raw(engine, "SHOW plan_cache_mode", plan_once=True) == [("force_generic_plan",)]
    assert fetch_raw(engine, "SHOW plan_cache_mode") == [("auto",)]  # other queries keep their custom plans
    assert {k: fetch_raw(engine, f"SHOW {k}", plan_once=True)[0][0] for k in PG_SETTINGS} == PG_SETTINGS
    assert PLAN_ONCE_SETTINGS == {"plan_cache_mode": "force_generic_plan"}
    prepared = _numbered(TILE_SQL_FULL)
    conn = _plan_once_engine(engine).raw_connection()
    try:
        assert conn.driver_connection.autocommit
        cursor = conn.cursor()
        _add_squares(cursor)
        refresh_statistics(engine, ["grids"])
        cursor.execute(f"PREPARE tile(int, float8, float8, float8, float8) AS {prepared}")
        cursor.execute("EXPLAIN EXECUTE tile(7, 108.01, 24.01, 108.012, 24.012)")
        tile_plan = "\n".join(r[0] for r in cursor.fetchall())
        cursor.execute("DEALLOCATE tile")
    finally:
        conn.close()
    assert "ix_grids_geom" in tile_plan and "$2" in tile_plan  # the generic plan (parameters unbound) on GiST


def test_a_serial_raw_query_runs_without_workers_and_leaves_its_connection_as_it_was(engine):
    from sqlalchemy.exc import DBAPIError

    from gis_app.storage.db import fetch_raw

    engine.dispose()  # one pooled connection from here on
    server = fetch_raw(engine, "SHOW max_parallel_workers_per_gather")
    assert server != [("0",)]
    (inside, pid), = fetch_raw(engine, "SELECT current_setting('max_parallel_workers_per_gather'), "
                                       "pg_backend_pid()", serial=True)
    (after, again), = fetch_raw(engine, "SELECT current_setting('max_parallel_workers_per_gather'), "
                                        "pg_backend_pid()")
    assert inside == "0" and (after, again) == (server[0][0], pid)
    with pytest.raises(DBAPIError):
        fetch_raw(engine, "SELECT no_such_column FROM grids", serial=True)
    assert fetch_raw(engine, "SHOW max_parallel_workers_per_gather") == server


def test_an_import_analyses_the_tables_it_wrote(app, engine, files):
    from gis_app.imports import import_file
    from gis_app.storage.db import fetch_raw

    def analysed(table):
        return fetch_raw(engine, "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = %s",
                         (table,))[0][0]

    assert not analysed("regions") and not analysed("grids")
    import_file(engine, app.config, "regions", files["regions"])
    assert analysed("regions") and not analysed("grids")
    import_file(engine, app.config, "grids", files["grids"])
    assert analysed("grids")


def test_a_generic_plan_made_on_an_empty_register_is_made_again_once_its_statistics_are_refreshed(engine):
    from gis_app.register import LOCATE_SQL
    from gis_app.storage import refresh_statistics
    from gis_app.storage.db import _plan_once_engine

    conn = _plan_once_engine(engine).raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute("PREPARE here(float8, float8) AS " + _numbered(LOCATE_SQL))

        def plan():
            cursor.execute("EXPLAIN EXECUTE here(108.0105, 24.0105)")
            return "\n".join(r[0] for r in cursor.fetchall())
        empty = plan()
        _add_squares(cursor)
        before = plan()
        refresh_statistics(engine, ["grids"])
        after = plan()
        cursor.execute("DEALLOCATE here")
    finally:
        conn.close()
    assert "ix_grids_geom" not in empty and before == empty  # the plan of an empty table, kept
    assert "ix_grids_geom" in after and "$1" in after


def test_disposing_an_engine_closes_its_plan_once_connections_too(loaded, engine):
    from gis_app.storage.db import _plan_once_engine, fetch_raw

    fetch_raw(engine, "SELECT 1", plan_once=True)
    companion = _plan_once_engine(engine)
    assert companion.pool.checkedin() >= 1
    engine.dispose()
    assert companion.pool.checkedin() == 0
    assert fetch_raw(engine, "SELECT 2", plan_once=True) == [(2,)]  # and they open again on demand


def test_geometries_are_postgis_columns_in_4326_with_gist_indexes(engine):
    with engine.connect() as conn:
        columns = conn.execute(text("SELECT f_table_name, type, srid FROM geometry_columns "
                                    "ORDER BY f_table_name")).all()
        gist = conn.execute(text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%' "
                                 "ORDER BY tablename")).scalars().all()
    spatial = ["buildings", "frontages", "grids", "places", "regions", "roads"]
    assert [tuple(c) for c in columns] == [(t, "GEOMETRY", 4326) for t in spatial]
    assert gist == spatial


def test_stored_grids_are_valid_postgis_geometries_with_their_area(loaded, engine):
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, ST_IsValid(geom), ST_SRID(geom), "
                                 "ST_Area(ST_Transform(geom, 4545)), area_m2 FROM grids ORDER BY code")).all()
    assert len(rows) == 4
    for code, valid, srid, area, stored in rows:
        assert valid and srid == 4326, code
        assert area == pytest.approx(stored, abs=0.5) and area == pytest.approx(200 * 150, rel=1e-3)


def test_locate_and_the_bbox_query_can_use_the_gist_index(loaded, engine):
    from gis_app.register import LOCATE_SQL
    with engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")  # a 4-grid table is cheaper to scan: ask for the index
        cursor = conn.connection.cursor()
        cursor.execute("EXPLAIN " + LOCATE_SQL, (108.55, 24.3))
        locate_plan = "\n".join(r[0] for r in cursor.fetchall())
        bbox_plan = "\n".join(conn.exec_driver_sql(
            "EXPLAIN SELECT code FROM grids WHERE ST_Intersects(geom, ST_MakeEnvelope(108, 24, 109, 25, 4326))"
        ).scalars())
    assert "ix_grids_geom" in locate_plan
    assert "ix_grids_geom" in bbox_plan


def test_a_write_queues_behind_another_writer(engine):
    """The advisory lock a write takes first: a second writer waits instead of racing."""
    with session_scope(engine, write=True) as session:
        holder = session.connection().exec_driver_sql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
            (WRITE_LOCK & 0xFFFFFFFF,)).scalar()
        with engine.connect() as other:
            free = other.exec_driver_sql("SELECT pg_try_advisory_xact_lock(%s)", (WRITE_LOCK,)).scalar()
    assert holder == 1 and free is False


def test_migrations_go_down_and_up_again_keeping_the_grids(loaded, engine):
    from gis_app.storage.db import MIGRATIONS
    from alembic import command
    from alembic.config import Config
    url = loaded.config["SANIGRID_DATABASE_URL"]
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        before = conn.exec_driver_sql("SELECT code, ST_AsText(geom) FROM grids ORDER BY code").all()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
        kind = conn.exec_driver_sql("SELECT data_type FROM information_schema.columns "
                                    "WHERE table_name = 'grids' AND column_name = 'geom'").scalar()
    assert kind == "bytea"
    upgrade(url)
    with engine.connect() as conn:
        after = conn.exec_driver_sql("SELECT code, ST_AsText(geom) FROM grids ORDER BY code").all()
    assert after == before and len(after) == 4
