"""The migrations build the tables gis_app.storage.schema declares: no column, index or key missing on either side."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from gis_app.storage import upgrade
from gis_app.storage.schema import Base


def test_migrated_sqlite_database_matches_the_declared_schema(tmp_path):
    url = f"sqlite:///{tmp_path}/m.sqlite"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    diff = [d for d in diff if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert diff == []


def test_the_roles_grid_lookups_use_the_unique_index(tmp_path):
    url = f"sqlite:///{tmp_path}/m.sqlite"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        plan = " ".join(r[-1] for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT person_id, role FROM roles WHERE grid IN ('450203001001001', '450203001001002')"))
    engine.dispose()
    assert "sqlite_autoindex_roles_1" in plan, plan
