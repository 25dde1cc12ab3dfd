"""The schema of the first release: every table, plus full-text search.

SQLite gets the FTS5 virtual table ``articles_fts`` kept in step by triggers; PostgreSQL
gets a GIN index on the same ``to_tsvector`` expression that ``Store.search`` queries.
Databases created before migrations existed are stamped at this revision on open.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

FTS5 = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(title, text, content='articles', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS articles_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS articles_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
]
# Must stay the same expression as Store.search uses, or PostgreSQL won't use the index.
# Title words weigh more (A) than body words (B), like bm25's column weights on SQLite.
PG_TSV = "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B')"


def upgrade() -> None:
    op.create_table("articles",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("source", sa.String(length=200), nullable=False),
    sa.Column("guid", sa.Text(), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("canonical_url", sa.Text(), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("published_at", TS, nullable=True),
    sa.Column("fetched_at", TS, nullable=False),
    sa.Column("content_hash", sa.String(length=64), nullable=False),
    sa.Column("story_id", sa.String(length=64), nullable=True),
    sa.Column("processed", sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_articles_canonical_url", "articles", ["canonical_url"], unique=False)
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"], unique=False)
    op.create_index("ix_articles_fetched", "articles", ["fetched_at"], unique=False)
    op.create_index("ix_articles_processed", "articles", ["processed"], unique=False)
    op.create_index("ix_articles_source_guid", "articles", ["source", "guid"], unique=True)
    op.create_index("ix_articles_story", "articles", ["story_id"], unique=False)
    op.create_table("audit",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(length=200), nullable=False),
    sa.Column("action", sa.String(length=64), nullable=False),
    sa.Column("target", sa.String(length=200), nullable=False),
    sa.Column("before", sa.JSON(), nullable=True),
    sa.Column("after", sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("decisions",
    sa.Column("story_id", sa.String(length=64), nullable=False),
    sa.Column("channel", sa.String(length=200), nullable=False),
    sa.Column("action", sa.String(length=16), nullable=False),
    sa.Column("reason", sa.String(length=32), nullable=False),
    sa.Column("detail", sa.Text(), nullable=False),
    sa.Column("importance", sa.Float(), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.PrimaryKeyConstraint("story_id", "channel")
    )
    op.create_table("deliveries",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("key", sa.String(length=300), nullable=False),
    sa.Column("channel", sa.String(length=200), nullable=False),
    sa.Column("story_id", sa.String(length=64), nullable=True),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_try_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("sent_at", TS, nullable=True),
    sa.Column("provider_message_id", sa.Text(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("key")
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_try_at"], unique=False)
    op.create_index("ix_deliveries_story_channel", "deliveries", ["story_id", "channel"], unique=False)
    op.create_table("feedback",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("story_id", sa.String(length=64), nullable=False),
    sa.Column("topic", sa.String(length=200), nullable=True),
    sa.Column("channel", sa.String(length=200), nullable=True),
    sa.Column("user", sa.String(length=200), nullable=False),
    sa.Column("label", sa.Integer(), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_feedback_story_user", "feedback", ["story_id", "user", "topic"], unique=True)
    op.create_table("overrides",
    sa.Column("channel", sa.String(length=200), nullable=False),
    sa.Column("key", sa.String(length=64), nullable=False),
    sa.Column("value", sa.JSON(), nullable=False),
    sa.Column("by", sa.String(length=200), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.PrimaryKeyConstraint("channel", "key")
    )
    op.create_table("seen_events",
    sa.Column("id", sa.String(length=200), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("sources",
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("etag", sa.Text(), nullable=True),
    sa.Column("last_modified", sa.Text(), nullable=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("paused", sa.Boolean(), nullable=False),
    sa.Column("pause_reason", sa.Text(), nullable=True),
    sa.Column("last_status", sa.Integer(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("last_fetch_at", TS, nullable=True),
    sa.Column("last_ok_at", TS, nullable=True),
    sa.Column("next_poll_at", TS, nullable=True),
    sa.Column("failing_since", TS, nullable=True),
    sa.PrimaryKeyConstraint("name")
    )
    op.create_table("stories",
    sa.Column("id", sa.String(length=64), nullable=False),
    sa.Column("first_seen", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("representative_id", sa.Integer(), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("n_sources", sa.Integer(), nullable=False),
    sa.Column("importance", sa.Float(), nullable=False),
    sa.Column("category", sa.String(length=64), nullable=False),
    sa.Column("topics", sa.JSON(), nullable=False),
    sa.Column("scores", sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(["representative_id"], ["articles.id"], ),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_index("ix_stories_first_seen", "stories", ["first_seen"], unique=False)
    op.create_index("ix_stories_importance", "stories", ["importance"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for ddl in FTS5:
            op.execute(ddl)
    elif op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_articles_tsv ON articles USING gin (({PG_TSV}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("articles_ai", "articles_ad"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    for table in ("stories", "sources", "seen_events", "overrides", "feedback", "deliveries", "decisions", "audit",
                  "articles"):
        op.drop_table(table)
