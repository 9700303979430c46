"""Drop the index on roles.grid: the unique (grid, person_id, role) index answers every lookup by grid.

A people import writes 180,000 role rows; each index costs its share of every insert (on the
20,000-grid demo city the roles insert took 0.53 s without this index against 0.64–0.72 s with it,
2 cores, 24 GB).

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_roles_grid", table_name="roles")


def downgrade():
    op.create_index("ix_roles_grid", "roles", ["grid"])
