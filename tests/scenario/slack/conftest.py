"""Fixtures for Slack scenarios: the fake Slack on loopback, a real SQLite store, alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.models import Alert, AlertKind, SourceRef
from bot.store import Store
from tests.fakes.slack_api import FakeSlack

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def make_alert(story_id: str = "s1", channel: str = "news", kind: AlertKind = AlertKind.ALERT,
               title: str = "Nvidia beats estimates", **kw: object) -> Alert:
    base: dict = dict(kind=kind, channel=channel, story_id=story_id, title=title,
                      url=f"https://wire.example/{story_id}", importance=7.4, category="Industry", topics=["ai"],
                      summary=["Revenue rose 20%.", "Guidance raised."],
                      sources=[SourceRef("Bloomberg", "https://b.example/1"), SourceRef("TechCrunch", "https://t.example/1")],
                      tags=["Nvidia", "earnings"], published_at=NOW)
    base.update(kw)
    return Alert(**base)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    f = FakeSlack().start()
    yield f
    f.stop()


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/signals.db")
    yield s
    s.close()


def add_story(store: Store, sid: str = "s-nvidia-1", title: str = "Nvidia beats earnings estimates",
              importance: float = 8.2, topics: list[str] | None = None) -> None:
    from bot.models import Article
    from bot.store import StoryRow

    art = Article(source="Wire", guid=sid, url=f"https://wire.example/{sid}", canonical_url=f"https://wire.example/{sid}",
                  title=title, text=f"{title}. Revenue rose on demand for AI chips.", published_at=NOW,
                  fetched_at=NOW, content_hash=sid, story_id=sid)
    (stored,) = store.add_articles([art])
    row = StoryRow(id=sid, first_seen=NOW, updated_at=NOW, representative_id=stored.id or 0, title=title, n_sources=2,
                   importance=importance, category="Industry", topics=topics or ["ai"],
                   scores={"explanation": {"importance": [["n_sources", 1.5]]}})
    with store.begin() as c:
        store.save_story(c, row)


CONFIG = {
    "topics": {"ai": {"keywords": ["nvidia"]}, "chips": {"keywords": ["tsmc"]}},
    "channels": [{"name": "news", "slack": "C1", "topics": ["ai"]}],
}


@pytest.fixture
def settings():
    from bot.settings import settings_from_mapping

    return settings_from_mapping(CONFIG)
