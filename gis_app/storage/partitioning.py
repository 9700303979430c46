"""Declarative partitioning for a province register: the DDL of a design the product does not use yet.

Today the register is one unpartitioned ``grids`` table (migrations 0001-0003), right for a
city. A province (about 500,000 grids, 14 cities) and years of inspections would be laid out as:

- ``grids`` partitioned BY LIST on ``city``, the 4-digit province+city prefix of the code, one
  partition per city. PostgreSQL cannot key a partition on an expression that a primary key
  must include, nor on a generated column, so ``city`` is a plain column the writer fills,
  held to ``substr(code, 1, 4)`` by a CHECK; the primary key becomes ``(city, code)`` (still
  unique per code, as city follows from code) and every foreign key to a grid (roles, history)
  must carry ``city`` too.
- ``inspections`` partitioned BY RANGE on ``at``, one partition per month: a month's reports
  read one partition, and dropping a month that leaves the retention window is a DETACH + DROP
  instead of a DELETE and its vacuum.

Pruning only happens when a query names the key: region queries add ``city = left(code, 4)``,
and a point ``locate`` (no city known) probes every city's GiST index. ``bench/partitioning.py``
measures both against the unpartitioned table; README "Partitioning by city" has the figures.
"""
from __future__ import annotations

import json
from datetime import date

__all__ = ["CITY_DIGITS", "city_of", "grids_ddl", "city_partition_ddl", "inspections_ddl",
           "month_partition_ddl", "drop_month_ddl", "months", "partitions_scanned"]

CITY_DIGITS = 4  # 2 province + 2 city digits of a region or grid code (GB/T 2260)

GRID_COLUMNS = """
    city char(4) NOT NULL CHECK (city = substr(code, 1, 4)),
    code varchar(15) NOT NULL,
    community varchar(12) NOT NULL,
    name varchar(200) NOT NULL,
    type varchar(32) NOT NULL,
    households integer NOT NULL,
    population integer NOT NULL,
    sign_lon float8, sign_lat float8,
    geom geometry(Geometry, 4326) NOT NULL,
    minx float8 NOT NULL, miny float8 NOT NULL, maxx float8 NOT NULL, maxy float8 NOT NULL,
    area_m2 float8 NOT NULL,
    version integer NOT NULL,
    start_date date NOT NULL,
    end_date date,
    attrs json,
    updated_at timestamp NOT NULL,
    updated_by varchar(100) NOT NULL"""


def city_of(code: str) -> str:
    """Return the partition key of a region or grid code."""
    return code[:CITY_DIGITS]


def _check_city(city: str) -> str:
    if len(city) != CITY_DIGITS or not city.isdigit():
        raise ValueError(f"a city code is {CITY_DIGITS} digits, got {city!r}")
    return city


def grids_ddl(cities, table: str = "grids") -> list[str]:
    """Return the statements creating ``table`` partitioned by city, its indexes and one partition per city.

    The columns are the product's ``grids`` plus ``city``; indexes declared on the parent are
    created on every partition, present and future.
    """
    statements = [
        f"CREATE TABLE {table} ({GRID_COLUMNS},\n    PRIMARY KEY (city, code)\n) PARTITION BY LIST (city)",
        f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)",
        f"CREATE INDEX ix_{table}_code_prefix ON {table} (code varchar_pattern_ops)",
        f"CREATE INDEX ix_{table}_community ON {table} (community)",
    ]
    return statements + [s for c in cities for s in city_partition_ddl(c, table)]


def city_partition_ddl(city: str, table: str = "grids") -> list[str]:
    """Return the statement adding one city's partition (run with the city's first region import).

    No DEFAULT partition: a grid of a city without a partition is refused, and adding a partition
    never has to scan a default one for rows that belong to it.
    """
    city = _check_city(city)
    return [f"CREATE TABLE {table}_{city} PARTITION OF {table} FOR VALUES IN ('{city}')"]


def months(first: date, count: int) -> list[date]:
    """Return the first days of ``count`` months from ``first``'s month on."""
    y, m = first.year, first.month
    return [date(y + (m - 1 + i) // 12, (m - 1 + i) % 12 + 1, 1) for i in range(count)]


def inspections_ddl(first: date, count: int, table: str = "inspections") -> list[str]:
    """Return the statements creating ``table`` partitioned by month with ``count`` monthly partitions.

    The primary key must include the partition key: ``(id, at)``; ``id`` stays unique by its identity.
    """
    statements = [
        f"""CREATE TABLE {table} (
    id bigint GENERATED ALWAYS AS IDENTITY,
    at timestamp NOT NULL,
    city char(4) NOT NULL,
    grid varchar(15) NOT NULL,
    kind varchar(16) NOT NULL,
    score smallint,
    geom geometry(Point, 4326),
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at)""",
        f"CREATE INDEX ix_{table}_city_at ON {table} (city, at)",
        f"CREATE INDEX ix_{table}_grid_at ON {table} (grid, at)",
    ]
    return statements + [s for m in months(first, count) for s in month_partition_ddl(m, table)]


def _month_name(table: str, month: date) -> str:
    return f"{table}_{month:%Y_%m}"


def month_partition_ddl(month: date, table: str = "inspections") -> list[str]:
    """Return the statement adding the partition of one month (created ahead, e.g. by a monthly job)."""
    nxt = months(month, 2)[1]
    return [f"CREATE TABLE {_month_name(table, month)} PARTITION OF {table} "
            f"FOR VALUES FROM ('{month:%Y-%m-01}') TO ('{nxt:%Y-%m-01}')"]


def drop_month_ddl(month: date, table: str = "inspections") -> list[str]:
    """Return the statements removing one month past the retention window (archive it first)."""
    name = _month_name(table, month)
    return [f"ALTER TABLE {table} DETACH PARTITION {name}", f"DROP TABLE {name}"]


def partitions_scanned(cursor, sql: str, params=()) -> set[str]:
    """Return the tables a query's plan reads (EXPLAIN, FORMAT JSON): pruned partitions are absent."""
    cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
    raw = cursor.fetchone()[0]
    found: set[str] = set()

    def walk(node):
        if "Relation Name" in node:
            found.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"])
    return found
