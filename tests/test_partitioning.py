"""The partitioning design (gis_app.storage.partitioning) applied to a real PostGIS database: rows land
in their city's / month's partition, one-city and one-month queries read one partition, and the
keys refuse what does not fit. The 500,000-grid figures are bench/partitioning.py's.
"""
from __future__ import annotations

from datetime import date, datetime

import psycopg
import pytest
import shapely
from sqlalchemy import make_url

from gis_app.storage.partitioning import (city_partition_ddl, drop_month_ddl, grids_ddl, inspections_ddl, months,
                                          partitions_scanned)

pytestmark = pytest.mark.postgresql

CITIES = ["4501", "4502", "4503"]
LOCATE = ("SELECT code FROM grids_p WHERE {city} end_date IS NULL AND "
          "ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) ORDER BY code LIMIT 1")
COLUMNS = ("city, code, community, name, type, households, population, geom, minx, miny, maxx, maxy, area_m2, "
           "version, start_date, updated_at, updated_by")
INSERT = f"INSERT INTO grids_p ({COLUMNS}) VALUES ({', '.join(['%s'] * 17)})"


def _row(code: str, x: float, y: float) -> tuple:
    square = shapely.box(x, y, x + 0.001, y + 0.001)
    return (code[:4], code, code[:12], f"网格{code[-3:]}", "residential", 50, 150,
            shapely.to_wkb(shapely.set_srid(square, 4326), hex=True, include_srid=True), *square.bounds,
            10000.0, 1, date(2024, 1, 1), datetime(2024, 1, 1), "test")


def _grids():
    """Ten 0.001° squares per city, the cities 1° apart (codes city + 01 001 001 + 001..010)."""
    return [_row(f"{city}01001001{j + 1:03d}", 108 + c + j * 0.001, 24.0)
            for c, city in enumerate(CITIES) for j in range(10)]


@pytest.fixture
def db(pg_url):
    dsn = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for sql in [*grids_ddl(CITIES, "grids_p"), *inspections_ddl(date(2024, 11, 1), 3, "inspections_p")]:
            conn.execute(sql)
        with conn.cursor() as cur, cur.copy(f"COPY grids_p ({COLUMNS}) FROM STDIN") as copy:
            for row in _grids():
                copy.write_row(row)
        conn.execute("INSERT INTO inspections_p (at, city, grid, kind, score) VALUES "
                     "('2024-11-30 23:59', '4501', '450101001001001', 'daily', 90), "
                     "('2024-12-01 00:00', '4501', '450101001001001', 'daily', 80), "
                     "('2025-01-15 08:00', '4502', '450201001001002', 'weekly', 70)")
        conn.execute("ANALYZE")
        yield conn


def test_each_grid_lands_in_its_city_partition(db):
    rows = db.execute("SELECT tableoid::regclass::text, city, count(*) FROM grids_p GROUP BY 1, 2 ORDER BY 1")
    rows = rows.fetchall()
    assert rows == [(f"grids_p_{c}", c, 10) for c in CITIES]


def test_a_one_city_query_reads_one_partition_and_gets_the_same_answer(db):
    cur = db.cursor()
    point = (108 + 1 + 0.0045, 24.0005)  # inside grid 005 of city 4502
    with_city = LOCATE.format(city="city = %s AND")
    without = LOCATE.format(city="")
    assert partitions_scanned(cur, with_city, ("4502", *point)) == {"grids_p_4502"}
    assert partitions_scanned(cur, without, point) == {f"grids_p_{c}" for c in CITIES}  # no key: every city
    assert db.execute(with_city, ("4502", *point)).fetchone() == db.execute(without, point).fetchone() \
        == ("450201001001005",)
    # A region query by code prefix alone is not pruned: it must name the city too.
    district = "SELECT code FROM grids_p WHERE {city} code LIKE %s"
    assert len(partitions_scanned(cur, district.format(city=""), ("450201%",))) == len(CITIES)
    assert partitions_scanned(cur, district.format(city="city = %s AND"), ("4502", "450201%")) == {"grids_p_4502"}


def test_the_keys_refuse_what_does_not_fit(db):
    with pytest.raises(psycopg.errors.CheckViolation, match="no partition"):  # a city without a partition
        db.execute(INSERT,
                   _row("450901001001001", 110.0, 24.0))
    with pytest.raises(psycopg.errors.CheckViolation):  # city and code disagree
        db.execute(INSERT,
                   ("4501", *_row("450201001001099", 109.0, 24.0)[1:]))
    with pytest.raises(psycopg.errors.UniqueViolation):  # (city, code) keeps codes unique
        db.execute(INSERT,
                   _row("450101001001001", 108.5, 24.5))
    db.execute(city_partition_ddl("4509", "grids_p")[0])  # a new city: its partition first, then its grids
    db.execute(INSERT, _row("450901001001001", 110.0, 24.0))
    assert db.execute("SELECT tableoid::regclass::text FROM grids_p WHERE code = '450901001001001'").fetchone() \
        == ("grids_p_4509",)


def test_inspections_are_partitioned_by_month_and_a_month_leaves_whole(db):
    cur = db.cursor()
    december = "SELECT count(*) FROM inspections_p WHERE at >= %s AND at < %s"
    assert partitions_scanned(cur, december, (datetime(2024, 12, 1), datetime(2025, 1, 1))) == {"inspections_p_2024_12"}
    assert db.execute(december, (datetime(2024, 12, 1), datetime(2025, 1, 1))).fetchone() == (1,)
    with pytest.raises(psycopg.errors.CheckViolation, match="no partition"):  # outside the months created
        db.execute("INSERT INTO inspections_p (at, city, grid, kind) VALUES ('2025-02-01', '4501', 'x', 'daily')")
    for sql in drop_month_ddl(date(2024, 11, 1), "inspections_p"):
        db.execute(sql)
    assert db.execute("SELECT to_char(at, 'YYYY-MM') FROM inspections_p ORDER BY at").fetchall() == [
        ("2024-12",), ("2025-01",)]


def test_month_arithmetic_and_city_codes():
    assert months(date(2024, 11, 15), 3) == [date(2024, 11, 1), date(2024, 12, 1), date(2025, 1, 1)]
    with pytest.raises(ValueError):
        city_partition_ddl("45a1")
