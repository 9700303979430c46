"""Backup and restore of the whole database: SQLite's online backup API, pg_dump/pg_restore on PostgreSQL.

A backup is the backend's own format (a SQLite database file, a ``pg_dump -Fc`` archive), so the
standard tools read it too. Restore refuses a file of the other backend, or one that is not a
sanigrid database, before it touches anything; it replaces the database in one go (SQLite's
backup API copies every page in one step; pg_restore runs in one transaction) and then
brings the schema to the newest revision.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import make_url

from .errors import SanigridError, ValidationFailed
from .storage import on_postgis, refresh_statistics, upgrade
from .storage.cache import clear_caches

__all__ = ["backup", "restore", "backup_kind"]

_HEADERS = {b"SQLite format 3\x00": "sqlite", b"PGDMP": "postgresql"}


def backup_kind(path) -> str | None:
    """Return which backend wrote a backup file ('sqlite' or 'postgresql'), from its first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    return next((kind for magic, kind in _HEADERS.items() if head.startswith(magic)), None)


def _libpq(url: str) -> tuple[str, dict]:
    """Return (libpq URI without the password, environment with PGPASSWORD) for the client tools."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SanigridError(f"{name} is not installed: install the PostgreSQL client tools (postgresql-client-15)")
    return found


def _run(args: list, env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SanigridError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def backup(engine, path) -> str:
    """Write a consistent copy of the live database to ``path``; returns the backend name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if on_postgis(engine):
        uri, env = _libpq(engine.url.render_as_string(hide_password=False))
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), uri], env)
        return "postgresql"
    source = engine.raw_connection()
    try:
        target = sqlite3.connect(path)
        try:
            source.driver_connection.backup(target)
        finally:
            target.close()
    finally:
        source.close()
    return "sqlite"


def _check(path: Path, backend: str) -> None:
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such backup file")
    kind = backup_kind(path)
    if kind is None:
        raise ValidationFailed(f"{path} is not a sanigrid backup (neither a SQLite database nor a pg_dump archive)")
    if kind != backend:
        raise ValidationFailed(f"{path} is a {kind} backup but this database is {backend}: restore it into a "
                               f"{kind} database (SANIGRID_DATABASE_URL), or move the data with "
                               "`sanigrid export` and `sanigrid import`")


def _require_register(tables: str, path: Path) -> None:
    if "grids" not in tables or "alembic_version" not in tables:
        raise ValidationFailed(f"{path} is a database but not a sanigrid register (no grids table)")


def restore(engine, path) -> str:
    """Replace the database with the backup at ``path`` (same backend only); returns the backend name."""
    path = Path(path)
    url = engine.url.render_as_string(hide_password=False)
    backend = "postgresql" if on_postgis(engine) else "sqlite"
    _check(path, backend)
    if backend == "postgresql":
        uri, env = _libpq(url)
        listing = subprocess.run([_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True)
        _require_register(" ".join(line.split(" TABLE ")[-1] for line in listing.stdout.splitlines()
                                   if " TABLE " in line), path)
        engine.dispose()
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", "--dbname", uri, str(path)], env)
    else:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = " ".join(r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
            _require_register(tables, path)
            engine.dispose()
            target = sqlite3.connect(engine.url.database)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    engine.dispose()
    upgrade(url)
    clear_caches()  # this process; another sees the restored register's version differ from what it keeps
    refresh_statistics(engine)  # pg_restore brings no statistics
    return backend
