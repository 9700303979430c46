"""PostgreSQL/PostGIS specifics: connection settings, geometry columns, GiST plans, migrations.

These need PostgreSQL (marker ``postgresql``); the rest of the suite runs on both backends.
"""
from __future__ import annotations

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


def test_geometries_are_postgis_columns_in_4326_with_gist_indexes(engine):
    with engine.connect() as conn:
        columns = conn.execute(text("SELECT f_table_name, type, srid FROM geometry_columns "
                                    "ORDER BY f_table_name")).all()
        gist = conn.execute(text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%' "
                                 "ORDER BY tablename")).scalars().all()
    assert [tuple(c) for c in columns] == [("grids", "GEOMETRY", 4326), ("regions", "GEOMETRY", 4326)]
    assert gist == ["grids", "regions"]


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
