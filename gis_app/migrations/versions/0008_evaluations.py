"""Published monthly evaluations (月评): one row per month, its city-wide result kept as JSON.

A published month is read back from here, not recomputed, so a later change of the register,
the checklists or the case rules leaves its scores and ranks as they were published.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "evaluations",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.Column("published_by", sa.String(100), nullable=False),
        sa.Column("checklist_versions", sa.JSON, nullable=False),
        sa.Column("rules_digest", sa.String(64), nullable=False),
        sa.Column("rows", sa.JSON, nullable=False),
    )


def downgrade():
    op.drop_table("evaluations")
