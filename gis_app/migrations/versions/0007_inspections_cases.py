"""Inspections, rectification cases and their events (the 日查 → 整改 → 销号 loop).

No geometry column: an inspection or a case is a point kept as lon/lat (the grid, community
and responsible unit are found when it is recorded and stored beside it), and a case imported
from another system may carry only its grid.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "inspections",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False, index=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("inspector", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("grid", sa.String(15), nullable=False, index=True),
        sa.Column("community", sa.String(12), nullable=False, index=True),
        sa.Column("frontage", sa.String(64)),
        sa.Column("place", sa.String(64)),
        sa.Column("checklist_kind", sa.String(16), nullable=False),
        sa.Column("checklist_version", sa.String(32), nullable=False),
        sa.Column("checklist_items", sa.JSON, nullable=False),
        sa.Column("results", sa.JSON, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("notes", sa.Text),
        sa.Column("photos", sa.JSON, nullable=False),
        sa.Column("exif", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("inspection_id", sa.String(64), sa.ForeignKey("inspections.id"), index=True),
        sa.Column("item", sa.String(64)),
        sa.Column("category", sa.String(32), nullable=False, index=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("grid", sa.String(15), nullable=False, index=True),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("addressed_kind", sa.String(16), nullable=False),
        sa.Column("addressed_ref", sa.String(100)),
        sa.Column("assignee", sa.String(100)),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("registered_at", sa.DateTime, nullable=False),
        sa.Column("deadline", sa.DateTime, nullable=False, index=True),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("deferrals", sa.Integer, nullable=False),
        sa.Column("reworks", sa.Integer, nullable=False),
        sa.Column("rectified_by", sa.String(100)),
        sa.Column("evidence", sa.String(500)),
        sa.Column("notes", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("attrs", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("details", sa.JSON, nullable=False),
    )


def downgrade():
    for table in ("case_events", "cases", "inspections"):
        op.drop_table(table)
