"""Reads on a PostgreSQL streaming replica, writes on the primary (``SANIGRID_DATABASE_REPLICA_URL``).

The one rule: a GET or HEAD request reads the replica; every other request (POST, PUT, PATCH,
DELETE) uses the primary for everything, its reads and If-Match re-checks included, so a
request never reads behind its own write. Across requests the process remembers the primary's
WAL position after its last write; a GET goes to the replica only once the replica has replayed
that far (one ``pg_last_wal_replay_lsn()`` check, then none until the next write), else to the
primary. A writer therefore always sees its own write on the next read; a write made by another
process shows on the replica after the replication lag (README, "Read replicas").
"""
from __future__ import annotations

import threading

from flask import Flask, current_app, g, request

from .db import engine_for, fetch_raw

__all__ = ["init_routing", "read_engine", "ReadRouting", "SAFE_METHODS"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadRouting:
    """The primary and replica engines of one app and the WAL position the replica must reach."""

    def __init__(self, primary, replica):
        self.primary, self.replica = primary, replica
        self._lock = threading.Lock()
        self._pending: str | None = None  # primary LSN of this process's last write not yet seen replayed

    @property
    def behind(self) -> bool:
        """Whether this process's last write has not been seen replayed yet (GETs read the primary)."""
        return self._pending is not None

    def note_write(self) -> None:
        """Remember where the primary's WAL is now: every commit so far lies before it."""
        lsn = fetch_raw(self.primary, "SELECT pg_current_wal_insert_lsn()::text")[0][0]
        with self._lock:
            self._pending = lsn

    def engine_for_reads(self):
        """Return the replica when it has replayed this process's last write, else the primary."""
        pending = self._pending
        if pending is None:
            return self.replica
        # NULL (not a standby, or replay not started) compares as not caught up: read the primary.
        caught_up = fetch_raw(self.replica, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (pending,))[0][0]
        if not caught_up:
            return self.primary
        with self._lock:
            if self._pending == pending:
                self._pending = None
        return self.replica


def init_routing(app: Flask) -> None:
    """Send the app's reads to ``SANIGRID_DATABASE_REPLICA_URL`` when it is set (PostgreSQL only)."""
    url = app.config.get("SANIGRID_DATABASE_REPLICA_URL")
    if not url:
        return
    primary = app.extensions["sanigrid.engine"]
    if primary.dialect.name != "postgresql":
        raise SystemExit("SANIGRID_DATABASE_REPLICA_URL needs a PostgreSQL SANIGRID_DATABASE_URL")
    routing = ReadRouting(primary, engine_for(url))
    app.extensions["sanigrid.routing"] = routing

    @app.after_request
    def _remember_write(response):
        if request.method not in SAFE_METHODS:
            routing.note_write()
        return response


def read_engine():
    """Return the engine for the current request's reads (see the module's rule)."""
    primary = current_app.extensions["sanigrid.engine"]
    routing = current_app.extensions.get("sanigrid.routing")
    if routing is None or request.method not in SAFE_METHODS:
        return primary
    if "sanigrid_read_engine" not in g:
        g.sanigrid_read_engine = routing.engine_for_reads()
    return g.sanigrid_read_engine
