"""门前三包 frontages, key places, and the roads and buildings they are measured against.

Geometry is WKB with its bounding box beside it, like grids; on PostgreSQL the four geometry
columns become PostGIS geometry(Geometry, 4326) with GiST indexes, as migration 0003 made them for
regions and grids.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SPATIAL = ("frontages", "places", "roads", "buildings")


def _geometry_columns():
    return [sa.Column("geom", sa.LargeBinary, nullable=False),
            *(sa.Column(c, sa.Float, nullable=False) for c in ("minx", "miny", "maxx", "maxy"))]


def _written():
    return [sa.Column("version", sa.Integer, nullable=False), sa.Column("attrs", sa.JSON, nullable=False),
            sa.Column("updated_at", sa.DateTime, nullable=False),
            sa.Column("updated_by", sa.String(100), nullable=False)]


def upgrade():
    op.create_table(
        "frontages",
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("unit_name", sa.String(200), nullable=False),
        sa.Column("unit_kind", sa.String(16), nullable=False),
        sa.Column("credit_code", sa.String(18)),
        sa.Column("contact", sa.String(100)),
        sa.Column("phone", sa.String(32)),
        sa.Column("address", sa.String(200)),
        sa.Column("liable", sa.String(8), nullable=False),
        sa.Column("item_set", sa.String(32), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("signed_on", sa.Date),
        sa.Column("expires_on", sa.Date),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("photo", sa.String(500)),
        sa.Column("road", sa.String(200)),
        *_geometry_columns(),
        sa.Column("length_m", sa.Float, nullable=False),
        *_written(),
    )
    op.create_table(
        "places",
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("operator", sa.String(200)),
        sa.Column("contact", sa.String(100)),
        sa.Column("phone", sa.String(32)),
        sa.Column("address", sa.String(200)),
        sa.Column("licence_no", sa.String(64)),
        sa.Column("licence_expires", sa.Date),
        sa.Column("health_certs", sa.Integer),
        sa.Column("staff", sa.Integer),
        *_geometry_columns(),
        *_written(),
    )
    op.create_table(
        "roads",
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("width_m", sa.Float),
        *_geometry_columns(),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "buildings",
        sa.Column("ref", sa.String(64), primary_key=True),
        sa.Column("households", sa.Integer),
        *_geometry_columns(),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in SPATIAL:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN geom TYPE geometry(Geometry, 4326) "
                       f"USING ST_GeomFromWKB(geom, 4326)")
            op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")


def downgrade():
    for table in reversed(SPATIAL):
        op.drop_table(table)
