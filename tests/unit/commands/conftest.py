"""A real SQLite store in tmp_path with a few stories, and settings with two channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Article
from bot.settings import Settings, settings_from_mapping
from bot.store import Store, StoryRow

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

CONFIG = {
    "topics": {"ai": {"keywords": ["nvidia", "openai"]}, "chips": {"keywords": ["tsmc"]},
               "space": {"keywords": ["nasa"]}},
    "channels": [
        {"name": "news", "slack": "C1", "topics": ["ai"], "min_importance": 6},
        {"name": "locked", "slack": "C2", "admins": ["U_ADMIN"]},
        {"name": "disco", "discord": "123"},
    ],
    "sources": [{"name": "Wire", "url": "https://wire.example/feed"},
                {"name": "Off", "url": "https://off.example/feed", "enabled": False}],
}


def add_story(store: Store, sid: str, title: str, importance: float, topics: list[str], text: str = "",
              at: datetime = NOW, scores: dict | None = None) -> StoryRow:
    art = Article(source="Wire", guid=sid, url=f"https://wire.example/{sid}", canonical_url=f"https://wire.example/{sid}",
                  title=title, text=text or title, published_at=at, fetched_at=at, content_hash=sid, story_id=sid)
    (stored,) = store.add_articles([art])
    row = StoryRow(id=sid, first_seen=at, updated_at=at, representative_id=stored.id or 0, title=title, n_sources=2,
                   importance=importance, category="Industry", topics=topics, scores=scores)
    with store.begin() as c:
        store.save_story(c, row)
    return row


@pytest.fixture
def settings() -> Settings:
    return settings_from_mapping(CONFIG)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store.open(f"sqlite:///{tmp_path}/t.db")
    add_story(s, "s-nvidia-1", "Nvidia beats earnings estimates", 8.2, ["ai"], "Nvidia revenue rose on AI chips",
              scores={"domain": "business", "event": "earnings", "relevance": {"ai": 0.91, "chips": 0.4},
                      "explanation": {"importance": [["n_sources", 1.5], ["event:earnings", 0.8]],
                                      "relevance:ai": [{"feature": "nvidia", "weight": 0.7}]}})
    add_story(s, "s-tsmc-2", "TSMC opens Arizona fab", 6.0, ["chips"], at=NOW - timedelta(hours=3))
    add_story(s, "s-old-3", "Old OpenAI story", 9.0, ["ai"], at=NOW - timedelta(days=3))
    yield s
    s.close()
