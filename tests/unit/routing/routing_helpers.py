"""Helpers for routing tests: settings, story views and a world on a real SQLite store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.models import Article, SourceRef
from bot.outbox import Outbox
from bot.routing import Plan, StoryView, plan_story
from bot.settings import Settings, settings_from_mapping
from bot.store import Store, StoryRow
from bot.store import schema as t


def make_settings(channels: list[dict[str, Any]], **top: Any) -> Settings:
    data = {"sources": [{"name": "wire", "url": "http://127.0.0.1:9/wire.xml"},
                        {"name": "blog", "url": "http://127.0.0.1:9/blog.xml"}],
            "topics": {"ai": {"keywords": ["ai"]}, "chips": {"keywords": ["chip"]}},
            "channels": channels, **top}
    return settings_from_mapping(data)


def view(sid: str, importance: float, *, topics: list[str] | None = None, title: str | None = None,
         category: str = "Industry", source: str = "wire") -> StoryView:
    return StoryView(id=sid, title=title or f"Story {sid}", text="body text", url=f"https://x.test/{sid}",
                     importance=importance, category=category, event="other", domain="technology",
                     topics=topics or ["ai"], relevance={"ai": 0.9}, sources=[SourceRef(source, f"https://x.test/{sid}")])


@dataclass
class World:
    """A real store; ``route`` runs the planner in one transaction like the pipeline does."""

    store: Store
    settings: Settings
    outbox: Outbox = field(init=False)
    _n: int = 0

    def __post_init__(self) -> None:
        self.outbox = Outbox(self.store)

    def save(self, v: StoryView, at: datetime, scores: dict[str, Any] | None = None) -> None:
        with self.store.begin() as conn:
            self._n += 1
            art = Article(source=v.sources[0].name if v.sources else "wire", guid=v.id, url=v.url,
                          canonical_url=v.url, title=v.title, text=v.text, published_at=at, fetched_at=at,
                          content_hash=f"h{v.id}")
            if not self.store.add_articles([art], conn):  # seen before: keep its article
                art.id = conn.execute(t.articles.select().where(t.articles.c.guid == v.id)).first().id
            conn.execute(t.articles.update().where(t.articles.c.id == art.id).values(story_id=v.id, processed=True))
            self.store.save_story(conn, StoryRow(
                id=v.id, first_seen=at, updated_at=at, representative_id=art.id or 0, title=v.title, n_sources=1,
                importance=v.importance, category=v.category, topics=list(v.topics),
                scores=scores or {"summary": [f"Summary of {v.id}."], "relevance": v.relevance, "event": v.event,
                                  "domain": v.domain}))

    def route(self, v: StoryView, now: datetime, new_source: SourceRef | None = None) -> Plan:
        return self.route_batch([v], now, new_source)[0]

    def route_batch(self, views: list[StoryView], now: datetime, new_source: SourceRef | None = None) -> list[Plan]:
        """Like the pipeline: every story of a batch planned, recorded and enqueued in ONE transaction."""
        for v in views:
            self.save(v, now)
        with self.store.begin() as conn:
            return [self.decide(conn, v, now, new_source) for v in views]

    def decide(self, conn: Any, v: StoryView, now: datetime, new_source: SourceRef | None = None) -> Plan:
        """Plan one (saved) story, record its decisions and enqueue its rows in the caller's transaction."""
        alerted = set(self.outbox.alert_notes(conn, v.id))  # as the pipeline reads them
        plan = plan_story(v, self.settings, summary=["s"], tags=[], alerted=alerted, new_source=new_source,
                          now=now, conn=conn)
        d = t.decisions
        for dec in plan.decisions:
            conn.execute(d.delete().where(d.c.story_id == v.id, d.c.channel == dec.channel))
            conn.execute(d.insert().values(story_id=v.id, channel=dec.channel, action=dec.action.value,
                                           reason=dec.reason.value, detail=dec.detail,
                                           importance=v.importance, at=now))
        self.outbox.enqueue(conn, plan.deliveries, now)
        return plan

    def rows(self) -> list[Any]:
        with self.store.begin() as conn:
            return list(conn.execute(t.deliveries.select().order_by(t.deliveries.c.id)))
