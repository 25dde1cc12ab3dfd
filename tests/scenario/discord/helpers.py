"""Shared helpers for the Discord scenario tests (alerts, enqueueing)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.adapters.base import Destination, Notifier
from bot.models import Alert, AlertKind, Article, SourceRef
from bot.outbox import DeliveryReport, NewDelivery, Outbox, deliver_due
from bot.store import Store, StoryRow

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NEWS, OTHER = "1300000000000000001", "1300000000000000002"


def make_alert(story: str, channel: str = "news", kind: AlertKind = AlertKind.ALERT, **kw: object) -> Alert:
    base: dict[str, object] = dict(
        kind=kind, channel=channel, story_id=story, title=f"Story {story}", url=f"https://wire.example/{story}",
        importance=7.2, category="Industry", topics=["ai"], summary=["First point", "Second point"],
        sources=[SourceRef("Wire", f"https://wire.example/{story}")], tags=["earnings"], published_at=NOW)
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def enqueue(outbox: Outbox, *alerts: Alert) -> None:
    items = []
    for a in alerts:
        key = (f"followup:{a.story_id}:{a.channel}:{a.new_source.name if a.new_source else ''}"
               if a.kind is AlertKind.FOLLOWUP else f"{a.kind}:{a.story_id}:{a.channel}")
        items.append(NewDelivery(key, a))
    with outbox.store.begin() as c:
        outbox.enqueue(c, items, NOW)


AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CONFIG = {"topics": {"ai": {"keywords": ["nvidia"]}, "chips": {"keywords": ["tsmc"]}},
          "channels": [{"name": "news", "discord": NEWS, "topics": ["ai"]}],
          "sources": [{"name": "Wire", "url": "https://wire.example/feed"}]}


def seed(store: Store, sid: str, title: str, topics: list[str]) -> None:
    art = Article(source="Wire", guid=sid, url=f"https://wire.example/{sid}", canonical_url=f"https://wire.example/{sid}",
                  title=title, text=title, published_at=AT, fetched_at=AT, content_hash=sid, story_id=sid)
    (stored,) = store.add_articles([art])
    row = StoryRow(id=sid, first_seen=AT, updated_at=AT, representative_id=stored.id or 0, title=title, n_sources=2,
                   importance=8.0, category="Industry", topics=topics, scores=None)
    with store.begin() as c:
        store.save_story(c, row)


def coverage(outbox: Outbox, name: str, mode: str, after: tuple[str, ...] = ()) -> None:
    """Queue a follow-up of story s1: ``name`` covers it too (after Wire and ``after``)."""
    sources = [SourceRef(s, f"https://{s.lower()}.example") for s in ("Wire", *after, name)]
    enqueue(outbox, make_alert("s1", kind=AlertKind.FOLLOWUP, followup_mode=mode, new_source=sources[-1],
                               sources=sources))


async def deliver(outbox: Outbox, n: Notifier, target: str) -> DeliveryReport:
    """One dispatcher pass with channel "news" posting to ``target`` through ``n``."""
    return await deliver_due(outbox, {"news": Destination(n, target)}, lambda: NOW)


def field_name(msg: dict[str, Any]) -> str:
    return msg["embeds"][0]["fields"][0]["name"]
