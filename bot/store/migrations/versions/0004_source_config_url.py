"""Sources remember the configured URL their fetch state was kept for.

Why: ``sources.url`` follows permanent redirects, so it cannot tell a moved feed from a config
edit; with ``config_url`` a changed URL in the config starts a fresh state instead of polling
the old address forever. Additive: one nullable column (older rows adopt the configured URL
on their next poll).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("config_url", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("config_url")
