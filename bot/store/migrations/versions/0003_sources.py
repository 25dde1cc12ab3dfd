"""Sources managed at runtime (added/removed/paused from the CLI or chat) and WebSub subscriptions.

Additive: two new tables, nothing else changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source_overrides",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "websub_subscriptions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("hub", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lease_seconds", sa.Integer(), nullable=True),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("verified_at", TS, nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("last_push_at", TS, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source"),
    )


def downgrade() -> None:
    op.drop_table("websub_subscriptions")
    op.drop_table("source_overrides")
