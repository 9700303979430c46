"""PostgreSQL: PostGIS geometry(…, 4326) columns with GiST indexes, prefix indexes on codes.

SQLite keeps its WKB BLOBs and bounding-box columns (the STRtree in gis_app.register is its
spatial index); this revision changes nothing there.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SPATIAL = ("regions", "grids")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for table in SPATIAL:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN geom TYPE geometry(Geometry, 4326) "
                   f"USING ST_GeomFromWKB(geom, 4326)")
        op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")
    # code LIKE '450203%' (a district's grids) uses a btree only with pattern ops under a non-C collation.
    op.execute("CREATE INDEX ix_grids_code_prefix ON grids (code varchar_pattern_ops)")
    op.execute("CREATE INDEX ix_roles_grid_prefix ON roles (grid varchar_pattern_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_roles_grid_prefix")
    op.execute("DROP INDEX ix_grids_code_prefix")
    for table in SPATIAL:
        op.execute(f"DROP INDEX ix_{table}_geom")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN geom TYPE bytea USING ST_AsBinary(geom)")
