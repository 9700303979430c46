"""Shared fixtures: real data from ../shared, a tiny hand-built register, app, client and CLI runner.

``SANIGRID_TEST_BACKEND=postgresql`` runs the same tests on PostgreSQL/PostGIS: every test that
uses ``settings`` (and so ``app``, ``engine``, ``client``, ``loaded``, ``runner``, ``token``) gets a
fresh database of its own, cloned from a template that already has PostGIS and the schema, and
dropped afterwards. Such tests are marked ``db``: ``make test`` runs them again on PostgreSQL.
"""
from __future__ import annotations

import os
import queue
import threading
import uuid
from pathlib import Path

import orjson
import pyproj
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box, mapping

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SANIGRID_SHARED_DATA", REPO.parent / "shared" / "data"))

# The tiny city lives near Liuzhou in EPSG:4545 (CGCS2000 3-degree GK, CM 108°E): easy to check on paper.
METRIC = "EPSG:4545"
X0, Y0 = 642_000.0, 2_690_000.0
DISTRICT, STREET, COMMUNITY = "450203", "450203008", "450203008001"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA}; set SANIGRID_SHARED_DATA")
    return SHARED_DATA


def to_lonlat(geom):
    """Transform a geometry from the tiny city's metric CRS to EPSG:4326."""
    t = pyproj.Transformer.from_crs(METRIC, "EPSG:4326", always_xy=True)
    return shapely.transform(geom, lambda xy: __import__("numpy").column_stack(t.transform(xy[:, 0], xy[:, 1])))


def feature_collection(features) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def feature(props, geom_metric) -> dict:
    geom = shapely.set_precision(to_lonlat(geom_metric), 1e-9)
    return {"type": "Feature", "properties": props, "geometry": mapping(geom)}


def tiny_regions() -> list[dict]:
    """District ⊃ street ⊃ two communities of 400 m × 300 m side by side."""
    return [
        feature({"code": DISTRICT, "name": "鱼峰区"}, box(X0 - 1000, Y0 - 1000, X0 + 2000, Y0 + 1000)),
        feature({"code": STREET, "name": "阳和街道"}, box(X0 - 500, Y0 - 500, X0 + 1500, Y0 + 800)),
        feature({"code": COMMUNITY, "name": "阳和社区"}, box(X0, Y0, X0 + 400, Y0 + 300)),
        feature({"code": "450203008002", "name": "新圩社区"}, box(X0 + 400, Y0, X0 + 800, Y0 + 300)),
    ]


def tiny_grids(households=(120, 99, 100, 101)) -> list[dict]:
    """Four 200 m × 150 m grids tiling community 450203008001 (codes 001..004 W→E, N→S)."""
    cells = [box(X0, Y0 + 150, X0 + 200, Y0 + 300), box(X0 + 200, Y0 + 150, X0 + 400, Y0 + 300),
             box(X0, Y0, X0 + 200, Y0 + 150), box(X0 + 200, Y0, X0 + 400, Y0 + 150)]
    return [feature({"code": f"{COMMUNITY}{i + 1:03d}", "name": f"阳和社区第{i + 1}网格", "households": h,
                     "population": h * 3, "type": "residential"}, cell)
            for i, (cell, h) in enumerate(zip(cells, households))]


BACKEND = os.environ.get("SANIGRID_TEST_BACKEND", "sqlite")
# The server the PostgreSQL pass creates its databases on (a maintenance database URL).
POSTGRES_URL = os.environ.get("SANIGRID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB_FIXTURES = {"settings", "app", "engine", "client", "loaded", "runner", "token", "pg_url"}


def pytest_configure(config):
    config.addinivalue_line("markers", "db: uses the database (run again on PostgreSQL by make test)")
    config.addinivalue_line("markers", "postgresql: needs PostgreSQL; deselected on the SQLite pass")
    if BACKEND not in ("sqlite", "postgresql"):
        raise pytest.UsageError(f"SANIGRID_TEST_BACKEND={BACKEND!r}: give sqlite or postgresql")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
    if BACKEND == "sqlite":  # PostgreSQL-only tests are reported as deselected here, never as passed
        kept = [i for i in items if i.get_closest_marker("postgresql") is None]
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def _admin(sql: str) -> None:
    """Run one statement on the maintenance database, outside a transaction (CREATE/DROP DATABASE)."""
    import psycopg
    from sqlalchemy import make_url
    dsn = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def _database_url(name: str) -> str:
    from sqlalchemy import make_url
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    """Drop a test database, closing this process's pooled connections to it first."""
    from gis_app.storage.db import forget_engine
    forget_engine(_database_url(name))
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class _Databases:
    """Fresh databases cloned from the template ahead of need and dropped behind, on two threads.

    CREATE DATABASE … TEMPLATE takes about 0.6 s and DROP DATABASE about 0.9 s here: done while
    the tests run, the PostgreSQL pass waits on neither.
    """

    AHEAD = 2

    def __init__(self, template: str):
        self.template, self.ready, self.dropping = template, queue.Queue(self.AHEAD), queue.Queue()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._create, daemon=True),
                        threading.Thread(target=self._drop, daemon=True)]
        for thread in self.threads:
            thread.start()

    def _create(self):
        while not self.stop.is_set():
            name = f"sanigrid_test_{uuid.uuid4().hex[:12]}"
            try:
                _admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            except Exception as exc:  # handed to the test that takes it, which fails with it
                self.ready.put(exc)
                return
            self.ready.put(name)

    def _drop(self):
        while (name := self.dropping.get()) is not None:
            drop_database(name)

    def take(self) -> str:
        name = self.ready.get(timeout=120)
        if isinstance(name, Exception):
            raise name
        return name

    def close(self):
        self.stop.set()
        while self.threads[0].is_alive() or not self.ready.empty():
            try:
                name = self.ready.get(timeout=0.1)
            except queue.Empty:
                continue
            if isinstance(name, str):
                self.dropping.put(name)
        self.dropping.put(None)
        self.threads[1].join()


@pytest.fixture(scope="session")
def pg_databases():
    """A database with PostGIS and the schema at head: the template every test's database is cloned from."""
    from gis_app.storage import upgrade
    from gis_app.storage.db import forget_engine
    template = f"sanigrid_tpl_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{template}"')
    try:
        upgrade(_database_url(template))  # migration 0003 creates the postgis extension
        forget_engine(_database_url(template))  # a template must have no connections
        databases = _Databases(template)
        try:
            yield databases
        finally:
            databases.close()
    finally:
        drop_database(template)


@pytest.fixture
def pg_url(request):
    """A fresh PostgreSQL database of its own for one test (from the template), dropped afterwards."""
    databases = request.getfixturevalue("pg_databases")
    name = databases.take()
    yield _database_url(name)
    from gis_app.storage.db import forget_engine
    forget_engine(_database_url(name))
    databases.dropping.put(name)


@pytest.fixture
def settings(tmp_path, request) -> dict:
    if BACKEND == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'instance' / 'test.sqlite'}"
    return {"SANIGRID_INSTANCE": str(tmp_path / "instance"), "SANIGRID_DATABASE_URL": url}


@pytest.fixture
def app(settings):
    from gis_app import create_app
    from gis_app.storage import upgrade
    from gis_app.storage.cache import clear_caches
    clear_caches()  # each test starts from what its own database holds
    application = create_app(settings)
    upgrade(application.config["SANIGRID_DATABASE_URL"])
    return application


@pytest.fixture
def engine(app):
    return app.extensions["sanigrid.engine"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def files(tmp_path) -> dict:
    """The tiny city written as GeoJSON files: regions.geojson and grids.geojson."""
    paths = {"regions": tmp_path / "regions.geojson", "grids": tmp_path / "grids.geojson"}
    paths["regions"].write_bytes(feature_collection(tiny_regions()))
    paths["grids"].write_bytes(feature_collection(tiny_grids()))
    return paths


@pytest.fixture
def loaded(app, engine, files):
    """The app with the tiny city's regions and grids imported."""
    from gis_app.imports import import_file
    import_file(engine, app.config, "regions", files["regions"])
    import_file(engine, app.config, "grids", files["grids"])
    return app


@pytest.fixture
def runner(settings, monkeypatch):
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    return CliRunner()


@pytest.fixture
def token(engine):
    """Make a bearer header: ``token("editor", district="450203")`` → {"Authorization": "Bearer …"}."""
    from gis_app.auth import create_token

    def make(role="editor", district=None):
        return {"Authorization": f"Bearer {create_token(engine, role, district=district)[1]}"}
    return make
