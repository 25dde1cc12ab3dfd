"""PostgreSQL's search index folds accents, as SQLite's FTS5 does (``remove_diacritics 2``).

Why: ``to_tsvector`` keeps "café", so ``/signals search cafe`` found it on SQLite only. The GIN
index is rebuilt on the expression ``Store.search`` now queries (``bot.store.query.pg_tsv``:
``translate()`` with a fixed table, built in and immutable, no extension needed). SQLite: nothing
to do. The rebuild reads every article once (minutes for millions of rows).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD = "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B')"


def upgrade() -> None:
    from bot.store.query import pg_tsv

    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_articles_tsv")
    op.execute(f"CREATE INDEX ix_articles_tsv ON articles USING gin ({pg_tsv('')})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_articles_tsv")
    op.execute(f"CREATE INDEX ix_articles_tsv ON articles USING gin (({_OLD}))")
