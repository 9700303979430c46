"""Engines, sessions and migrations. The SQLite/PostgreSQL differences live here."""
from __future__ import annotations

import functools
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

__all__ = ["engine_for", "session_scope", "upgrade", "MIGRATIONS"]

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record):
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


@functools.lru_cache(maxsize=16)
def engine_for(url: str) -> Engine:
    """Return the one engine for a database URL, creating the SQLite folder when needed."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@contextmanager
def session_scope(engine: Engine, write: bool = False):
    """Yield a session for one unit of work; with write=True it is one transaction.

    A read session is closed without rollback so loaded rows stay readable after it.
    On SQLite a write starts with BEGIN IMMEDIATE so two writers queue instead of
    failing half-way.
    """
    with Session(engine, expire_on_commit=False) as session:
        if write and engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield session
            if write:
                session.commit()
        except BaseException:
            session.rollback()
            raise


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to the newest schema with Alembic."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with engine_for(url).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
