"""Engines, sessions and migrations. The SQLite/PostgreSQL differences live here."""
from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.orm import Session

from ..errors import ValidationFailed

__all__ = ["engine_for", "forget_engine", "session_scope", "upgrade", "MIGRATIONS", "PG_SETTINGS", "WRITE_LOCK",
           "on_postgis", "fetch_raw", "fetch_tuples", "register_version_now", "REGISTER_VERSION_SQL",
           "refresh_statistics", "fetch_in", "insert_rows"]

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record):
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk imports touch more index pages than the 2 MiB default
    cur.close()


# Session settings every PostgreSQL connection gets (libpq ``options``: no extra round trip).
# Issue 8 measured PostGIS 3.3's default plan for a 1M-point join 8.5x slower than with these;
# bench/postgis.py checks the plans of the product's queries with EXPLAIN and times the join
# both ways (see the README for what it showed here).
PG_SETTINGS = {"jit": "off", "parallel_setup_cost": "0", "parallel_tuple_cost": "0"}
# Key of the transaction-level advisory lock every PostgreSQL write takes first: writers queue
# like SQLite's BEGIN IMMEDIATE, so a read-check-write (If-Match, register version) is never lost.
WRITE_LOCK = 0x5A4E_4752  # "ZNGR"
# Extra settings of the connections that run ``fetch_raw(..., plan_once=True)``: a statement whose
# best plan is the same whatever its parameters (a point or a tile box on the GiST index, a key
# lookup) is planned once per connection instead of at every call. Planning was ~40 µs of a
# zoom-17 tile's ~170 µs; a query whose plan depends on its parameters must not run there.
PLAN_ONCE_SETTINGS = {"plan_cache_mode": "force_generic_plan"}
# A serial read (``session_scope(serial=True)``, ``fetch_raw(serial=True)``): no parallel workers
# for its queries, then the server's setting back before the connection returns to the pool.
SERIAL_SQL, SERIAL_RESET_SQL = "SET max_parallel_workers_per_gather = 0", "RESET max_parallel_workers_per_gather"


_ENGINES: OrderedDict = OrderedDict()  # URL -> engine, least recently used first
_ENGINES_LOCK = threading.Lock()
_MAX_ENGINES = 16


def engine_for(url: str) -> Engine:
    """Return the one engine for a database URL; at most 16 are kept.

    An engine that falls out is disposed at once, closing its idle pooled connections: left to
    the garbage collector, they were closed at a random later moment, with psycopg's warning
    about a connection deleted while still open. An app still holding it keeps working (the
    engine opens new connections on demand).
    """
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = _new_engine(url)
            while len(_ENGINES) > _MAX_ENGINES:
                _ENGINES.popitem(last=False)[1].dispose()
        else:
            _ENGINES.move_to_end(url)
        return engine


def forget_engine(url: str) -> None:
    """Dispose of the engine for ``url`` if there is one, and drop it (before the database itself goes).

    Unlike ``engine_for(url).dispose()`` it never creates an engine, which could push another,
    still in use, out of the cache: disposed while a connection of it is checked out, that
    connection would go back to an orphaned pool and be closed only by the garbage collector.
    """
    with _ENGINES_LOCK:
        engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


def _new_engine(url: str) -> Engine:
    """Create the engine for ``url``, creating the SQLite folder when needed."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    options = {}
    if make_url(url).get_backend_name() == "postgresql":
        options["connect_args"] = {"options": _pg_options(PG_SETTINGS)}
        options["json_deserializer"] = orjson.loads  # PostgreSQL's json type holds standard JSON only
    engine = create_engine(url, future=True, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _pg_options(settings: dict) -> str:
    return " ".join(f"-c {k}={v}" for k, v in settings.items())


_PLAN_ONCE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # PostgreSQL engine -> its plan-once pool


def _plan_once_engine(engine) -> Engine:
    """Return ``engine``'s companion for ``fetch_raw(..., plan_once=True)``, created on first use.

    Its own small pool of connections in autocommit (no per-query switch: ~12 µs each way) with
    PLAN_ONCE_SETTINGS; disposed whenever ``engine`` is, so dropping a database closes both.
    """
    companion = _PLAN_ONCE.get(engine)
    if companion is None:
        with _ENGINES_LOCK:
            companion = _PLAN_ONCE.get(engine)
            if companion is None:
                companion = create_engine(engine.url, future=True, isolation_level="AUTOCOMMIT", pool_size=2,
                                          connect_args={"options": _pg_options({**PG_SETTINGS,
                                                                                **PLAN_ONCE_SETTINGS})})
                event.listen(engine, "engine_disposed", lambda _engine: companion.dispose())
                _PLAN_ONCE[engine] = companion
    return companion


def on_postgis(engine) -> bool:
    """Return whether ``engine`` is PostgreSQL/PostGIS (spatial work in SQL) rather than SQLite."""
    return engine.dialect.name == "postgresql"


def fetch_raw(engine, sql: str, params=(), *, plan_once: bool = False, serial: bool = False) -> list:
    """Run one query on a pooled DB-API connection: the cheapest path for a hot query.

    ``sql`` uses the driver's placeholders (``?`` on SQLite, ``%s`` on psycopg). On PostgreSQL the
    query runs in autocommit: one round trip, where a transaction would add a BEGIN before it and
    the pool's ROLLBACK after it (the locate p50 went from 0.80 to 0.2 ms with 20,000 grids).
    ``plan_once``: the query's plan does not depend on its parameters (see PLAN_ONCE_SETTINGS);
    on PostgreSQL it runs on connections that keep one plan per statement.
    ``serial``: PostgreSQL plans it without parallel workers (a SET and a RESET around it, two
    round trips): for a query whose work is in the leader, such as a page of features built by
    json_agg, where starting workers (~8 ms on 2 cores) costs more than the rows they would read.
    A driver error is raised as SQLAlchemy's, like every other query's (e.g. no schema yet).
    """
    autocommit = on_postgis(engine)
    if autocommit and plan_once:
        conn = _plan_once_engine(engine).raw_connection()
        try:
            return _fetch(conn, engine.dialect, sql, params)
        finally:
            conn.close()
    serial = serial and autocommit
    conn = engine.raw_connection()
    driver = conn.driver_connection
    clean = not serial  # a connection that may still carry the SET is not given back to the pool
    try:
        if autocommit:
            driver.autocommit = True
        if serial:
            driver.execute(SERIAL_SQL)
        try:
            return _fetch(conn, engine.dialect, sql, params)
        finally:
            if serial:
                driver.execute(SERIAL_RESET_SQL)
                clean = True
            if autocommit:
                driver.autocommit = False
    finally:
        if not clean:
            conn.invalidate()
        conn.close()


def refresh_statistics(engine, tables=()) -> None:
    """PostgreSQL: ANALYZE ``tables`` (every table when none are named) after a bulk write.

    A plan-once connection keeps the generic plan it made when a table was small until the
    table's statistics change: made on an empty register, ``locate`` stayed a sequential scan
    after 90,000 grids were written (20 ms against 0.1 ms once analysed), until autovacuum's
    next pass. An import or a restore therefore analyses what it wrote before it returns.
    """
    if not on_postgis(engine):
        return
    with _reader(engine).connect() as conn:  # autocommit: ANALYZE takes no lock a reader or writer waits for
        for table in tables or ("",):
            conn.exec_driver_sql(f"ANALYZE {table}" if table else "ANALYZE")


def _fetch(dbapi_connection, dialect, sql: str, params) -> list:
    """Run ``sql`` on a cursor of a DB-API connection and return its rows; driver errors as SQLAlchemy's."""
    driver_error = dialect.loaded_dbapi.Error
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    except driver_error as exc:
        raise DBAPIError.instance(sql, params, exc, driver_error, dialect=dialect) from exc
    finally:
        cursor.close()


def fetch_tuples(session, stmt) -> list:
    """Run a Core select of plain columns in the session's transaction; return the driver's tuples.

    For wide reads, where building SQLAlchemy Row objects costs as much as the query (80,000
    roles of a district: 0.19 s of 0.45 s). No type conversion happens on either side, so the
    statement's parameters and columns must be plain strings and numbers; errors are raised
    as SQLAlchemy's, like every other query's.
    """
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    return _fetch(conn.connection, conn.dialect, str(compiled), params)


IN_CHUNK = 5000  # values per IN list on SQLite (PostgreSQL takes one array)


def fetch_in(session, sql: str, values) -> list:
    """Run ``sql``, whose ``{values}`` spot is compared to many values, in the session's transaction; return tuples.

    ``WHERE phone {values}`` becomes ``IN (?, ?, …)`` in chunks on SQLite and ``= ANY(%s)`` with one
    array on PostgreSQL: the driver's placeholders, where SQLAlchemy's expanding IN spent longer
    rendering 5,000 parameters than the database spent answering.
    """
    values = list(values)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return _fetch(conn.connection, conn.dialect, sql.format(values="= ANY(%s)"), (values,))
    out = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start:start + IN_CHUNK]
        out += _fetch(conn.connection, conn.dialect, sql.format(values=f"IN ({', '.join('?' * len(chunk))})"), chunk)
    return out


def insert_rows(session, table: str, columns, rows) -> None:
    """Insert plain tuples into ``table`` in the session's transaction: executemany on SQLite, COPY on PostgreSQL.

    For bulk writes of plain text and numbers (people, roles): no per-row statement, no ORM
    bookkeeping. Driver errors are raised as SQLAlchemy's (a value too long is a DataError).
    """
    conn = session.connection()
    dbapi, dialect = conn.connection, conn.dialect
    names = ", ".join(columns)
    cursor = dbapi.cursor()
    try:
        if dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(f"bulk insert into {table}", None, exc, dialect.loaded_dbapi.Error,
                                  dialect=dialect) from exc
    finally:
        cursor.close()


# The register version (repository.register_version reads the same row in a session).
REGISTER_VERSION_SQL = "SELECT value FROM meta WHERE key = 'register_version'"


def register_version_now(engine) -> int:
    """Read the register version on a pooled DB-API connection: the cheapest check that nothing changed.

    It runs before every cached answer (locate, map tiles). Through the ORM it cost 80 µs of a
    235 µs cached ``locate`` on SQLite, here 9 µs; on PostgreSQL 0.47 ms against 0.14 ms.
    """
    rows = fetch_raw(engine, REGISTER_VERSION_SQL, plan_once=True)
    return int(rows[0][0] or 0) if rows else 0


@functools.lru_cache(maxsize=16)
def _reader(engine: Engine) -> Engine:
    """The engine for read sessions: autocommit on PostgreSQL.

    Under READ COMMITTED every statement takes its own snapshot anyway, so a read transaction
    buys nothing but a BEGIN and a ROLLBACK round trip around the queries.
    """
    return engine.execution_options(isolation_level="AUTOCOMMIT") if on_postgis(engine) else engine


@contextmanager
def session_scope(engine: Engine, write: bool = False, serial: bool = False):
    """Yield a session for one unit of work; with write=True it is one transaction.

    A read session is closed without rollback so loaded rows stay readable after it (on
    PostgreSQL it runs in autocommit: see ``_reader``).
    On SQLite a write starts with BEGIN IMMEDIATE so two writers queue instead of
    failing half-way; on PostgreSQL it takes the register's advisory lock for the same effect
    (READ COMMITTED then shows each statement everything committed before the lock).
    ``serial=True`` plans a PostgreSQL read session's queries without parallel workers: for
    reads made beside a long query that holds a core (the gap report's spatial query), whose
    workers would take it from that query (the report of a 40,000-grid district went from
    1.78 s to 1.58 s on 2 cores).
    """
    serial = serial and not write and on_postgis(engine)
    with Session(engine if write else _reader(engine), expire_on_commit=False) as session:
        if write and engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        elif write:
            session.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
        elif serial:
            session.connection().exec_driver_sql(SERIAL_SQL)
        try:
            try:
                yield session
            finally:
                if serial:  # on the connection that was SET, before a rollback lets it go
                    _reset_parallel_workers(session)
            if write:
                session.commit()
        except DataError as exc:
            # A value the column cannot hold (PostgreSQL: a NUL character, text longer than the
            # column, an integer out of range): the input's fault, refused like any bad input.
            session.rollback()
            reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
            raise ValidationFailed(f"a value does not fit the database: {reason}") from None
        except BaseException:
            session.rollback()
            raise


def _reset_parallel_workers(session) -> None:
    """Give a serial read session's connection back to the pool as it came (a broken one is dropped)."""
    connection = session.connection()
    try:
        connection.exec_driver_sql(SERIAL_RESET_SQL)
    except DBAPIError:
        connection.invalidate()  # the pool opens a fresh one


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to the newest schema with Alembic."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    with engine_for(url).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
