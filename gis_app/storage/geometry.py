"""The geometry column type: WKB in Python on every backend, a PostGIS geometry on PostgreSQL.

On SQLite the column is a BLOB holding WKB. On PostgreSQL the migration 0003 makes it
``geometry(Geometry, 4326)`` with a GiST index; this type wraps every bound value in
``ST_GeomFromWKB(…, 4326)`` and every selected column in ``ST_AsBinary(…)``, so the ORM and
the rest of the product keep reading and writing WKB bytes (``shapely.from_wkb/to_wkb``) on both.
Plain SQLAlchemy compilation rules: no GeoAlchemy2 needed for two function calls.
"""
from __future__ import annotations

from sqlalchemy import LargeBinary
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator

__all__ = ["WKBGeometry", "SRID"]

SRID = 4326


class _FromWKB(FunctionElement):
    """A bound WKB value: the value itself on SQLite, ST_GeomFromWKB(value, 4326) on PostGIS."""

    type = LargeBinary()
    inherit_cache = True
    name = "from_wkb"


class _AsWKB(FunctionElement):
    """A selected geometry: the column itself on SQLite, ST_AsBinary(column) on PostGIS."""

    type = LargeBinary()
    inherit_cache = True
    name = "as_wkb"


@compiles(_FromWKB)
@compiles(_AsWKB)
def _plain(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_FromWKB, "postgresql")
def _pg_from_wkb(element, compiler, **kw):
    return f"ST_GeomFromWKB({compiler.process(element.clauses, **kw)}, {SRID})"


@compiles(_AsWKB, "postgresql")
def _pg_as_wkb(element, compiler, **kw):
    return f"ST_AsBinary({compiler.process(element.clauses, **kw)})"


class WKBGeometry(TypeDecorator):
    """A geometry held as WKB bytes in Python (EPSG:4326)."""

    impl = LargeBinary
    cache_ok = True

    def bind_expression(self, bindvalue):
        return _FromWKB(bindvalue)

    def column_expression(self, column):
        return _AsWKB(column)
