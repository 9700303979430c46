"""The grid register: regions, grids with history, people, roles, import log.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "regions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False, index=True),
        sa.Column("parent", sa.String(12), index=True),
        sa.Column("geom", sa.LargeBinary),
        sa.Column("attrs", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "grids",
        sa.Column("code", sa.String(15), primary_key=True),
        sa.Column("community", sa.String(12), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("population", sa.Integer, nullable=False),
        sa.Column("sign_lon", sa.Float),
        sa.Column("sign_lat", sa.Float),
        sa.Column("geom", sa.LargeBinary, nullable=False),
        sa.Column("minx", sa.Float, nullable=False),
        sa.Column("miny", sa.Float, nullable=False),
        sa.Column("maxx", sa.Float, nullable=False),
        sa.Column("maxy", sa.Float, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, index=True),
        sa.Column("attrs", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "grid_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(15), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("record", sa.JSON, nullable=False),
        sa.UniqueConstraint("code", "version"),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("phone", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("photo", sa.String(500)),
    )
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("grid", sa.String(15), sa.ForeignKey("grids.code"), nullable=False, index=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("backup_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.UniqueConstraint("grid", "person_id", "role"),
    )
    op.create_table(
        "import_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("layer", sa.String(32), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("landed", sa.Boolean, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade():
    for table in ("meta", "import_log", "roles", "people", "grid_history", "grids", "regions"):
        op.drop_table(table)
