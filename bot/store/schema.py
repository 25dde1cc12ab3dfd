"""Tables. SQLAlchemy Core, so the same code runs on SQLite (default) and PostgreSQL.

The store is the source of truth: every stage reads its input from here and writes its
output here in one transaction, so a restart resumes exactly where the process stopped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

__all__ = ["as_utc", "metadata"]


class UTCDateTime(TypeDecorator[datetime]):
    """Always timezone-aware UTC in Python, whatever the backend stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc(value: datetime | str | None) -> datetime | None:
    """An aggregate (``max``/``min``) of a :class:`UTCDateTime` column as an aware UTC datetime: on
    SQLite it comes back raw, an ISO string, without the column type's processing."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return None if value is None else value if value.tzinfo else value.replace(tzinfo=UTC)


metadata = MetaData()

sources = Table(
    "sources", metadata,
    Column("name", String(200), primary_key=True),
    Column("url", Text, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("failures", Integer, nullable=False, default=0),
    Column("paused", Boolean, nullable=False, default=False),
    Column("pause_reason", Text),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("last_fetch_at", UTCDateTime),
    Column("last_ok_at", UTCDateTime),
    Column("next_poll_at", UTCDateTime),
    Column("failing_since", UTCDateTime),
    Column("config_url", Text),  # the configured URL this state was kept for (``url`` may be a redirect's)
)

articles = Table(
    "articles", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False),
    Column("guid", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("published_at", UTCDateTime),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("story_id", String(64)),
    Column("processed", Boolean, nullable=False, default=False),
    Index("ix_articles_source_guid", "source", "guid", unique=True),
    Index("ix_articles_canonical_url", "canonical_url"),
    Index("ix_articles_content_hash", "content_hash"),
    Index("ix_articles_processed", "processed"),
    Index("ix_articles_story", "story_id"),
    Index("ix_articles_fetched", "fetched_at"),
)

stories = Table(
    "stories", metadata,
    Column("id", String(64), primary_key=True),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("representative_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("n_sources", Integer, nullable=False, default=1),
    Column("importance", Float, nullable=False, default=0.0),
    Column("category", String(64), nullable=False, default=""),
    Column("topics", JSON, nullable=False, default=list),
    Column("scores", JSON),  # classifiers.Scores.to_dict()
    Index("ix_stories_first_seen", "first_seen"),
    Index("ix_stories_importance", "importance"),
)

# The outbox: one row per message to send. ``key`` makes enqueueing idempotent.
deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("channel", String(200), nullable=False),
    Column("story_id", String(64)),
    Column("kind", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("provider_message_id", Text),
    Column("error", Text),
    Index("ix_deliveries_due", "status", "next_try_at"),
    Index("ix_deliveries_story_channel", "story_id", "channel"),
)

# Why each story did or did not reach each channel (for `signals why`, tuning and the web view).
decisions = Table(
    "decisions", metadata,
    Column("story_id", String(64), primary_key=True),
    Column("channel", String(200), primary_key=True),
    Column("action", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("importance", Float, nullable=False, default=0.0),
    Column("at", UTCDateTime, nullable=False),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("story_id", String(64), nullable=False),
    Column("topic", String(200)),
    Column("channel", String(200)),
    Column("user", String(200), nullable=False),
    Column("label", Integer, nullable=False),  # +1 useful, -1 not
    Column("at", UTCDateTime, nullable=False),
    Index("ix_feedback_story_user", "story_id", "user", "topic", unique=True),
)

# Runtime settings changed from chat, layered over the config file.
overrides = Table(
    "overrides", metadata,
    Column("channel", String(200), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("by", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
)

# Processed chat events (Slack retries, Discord interaction ids): handle each once.
seen_events = Table(
    "seen_events", metadata,
    Column("id", String(200), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
)

# Multi-workspace Slack installs (bot.adapters.slack_oauth): slack_sdk's own table layouts, kept under
# Alembic like every other table (revision 0002). A slack_sdk upgrade that changes them fails the
# schema-drift test until a revision follows.
slack_installations = SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
slack_bots = SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")

# Sources added, removed, paused or resumed from the CLI or chat, layered over the config file
# (bot.sources.registry; revision 0003). ``settings`` holds a whole SourceSettings for an added source.
source_overrides = Table(
    "source_overrides", metadata,
    Column("name", String(200), primary_key=True),
    Column("settings", JSON),  # null: a source of the config file
    Column("removed", Boolean, nullable=False, default=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("by", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

# WebSub (push) subscriptions, one per source (bot.sources.websub; revision 0003).
websub_subscriptions = Table(
    "websub_subscriptions", metadata,
    Column("id", String(64), primary_key=True),  # the callback path segment: /websub/{id}
    Column("source", String(200), nullable=False, unique=True),
    Column("topic", Text, nullable=False),
    Column("hub", Text, nullable=False),
    Column("secret", String(128), nullable=False),
    Column("state", String(16), nullable=False),  # requested | active | denied | unsubscribing
    Column("lease_seconds", Integer),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("verified_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
    Column("last_push_at", UTCDateTime),
    Column("error", Text),
)
