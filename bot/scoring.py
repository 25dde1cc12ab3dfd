"""Glue between stored stories and the classifiers package.

The classifiers know nothing about the store; this module builds their inputs (the
story's representative text and its coverage) and feeds recorded votes into the topic
models: all of them at start (persistence), then, before every scoring batch, the votes
recorded since (by this process or by the web/chat process), so a 👍/👎 counts from the
next batch on without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot.examples import resolved
from bot.models import Article
from bot.settings import Settings
from bot.store import Store
from bot.store import schema as t
from classifiers import Document, Scorer, Scores, StoryContext, TopicSpec

__all__ = ["StoryInput", "StoryScorer", "representative"]

_VOTES = select(t.feedback.c.id, t.feedback.c.story_id, t.feedback.c.topic, t.feedback.c.label).where(
    t.feedback.c.topic.is_not(None))

log = logging.getLogger(__name__)


def representative(articles: Sequence[Article]) -> Article:
    """The article that speaks for the story: the first one, unless a later one has far more text."""
    first = articles[0]
    longest = max(articles, key=lambda a: len(a.text))
    return longest if len(first.text) < 400 and len(longest.text) > 2 * len(first.text) else first


def document(a: Article) -> Document:
    return Document(id=str(a.id), title=a.title, text=a.text, source=a.source, published_at=a.published_at)


@dataclass(slots=True)
class StoryInput:
    story_id: str
    articles: list[Article]


class StoryScorer:
    def __init__(self, settings: Settings, store: Store | None = None,
                 example_texts: Mapping[str, str] | None = None) -> None:
        """``example_texts``: the page text of each URL example (:mod:`bot.examples`)."""
        self.settings = settings
        self.weights = {s.name: s.weight for s in settings.sources}
        topics = [TopicSpec(name=name, keywords=list(t_.keywords), exclude=list(t_.exclude),
                            examples=resolved(t_.examples, example_texts or {}), threshold=t_.threshold)
                  for name, t_ in settings.topics.items()]
        self.scorer = Scorer.load(topics=topics, watchlist=list(settings.watchlist))
        self._last_id = 0  # newest vote applied
        self._applied = 0  # votes in the table as applied (a changed vote is a new row: see sync_feedback)
        self._pool_at = 0  # newest article id in the self-training pool
        if store is not None:
            self.replay_feedback(store)

    def replay_feedback(self, store: Store) -> int:
        """Feed every recorded 👍/👎 into freshly reset per-topic models, oldest first."""
        with store.begin() as c:
            rows = c.execute(_VOTES.order_by(t.feedback.c.id)).all()
        self.scorer.clear_feedback()
        self._last_id, self._applied = 0, 0
        n = self._apply(store, rows)
        if n:
            self._refresh_pool(store)
            log.info("replayed feedback into topic models", extra={"labels": n})
        return n

    def sync_feedback(self, store: Store) -> int:
        """Apply the votes recorded since the last call (by this process or the chat/web one).

        New votes are added as they come. A changed vote replaces its row by a new one
        (``CommandService.feedback``), so it arrives as a new id while the table's count stays: a
        count other than the votes applied plus the new rows (a changed vote, or one committed late
        under an id already passed by a concurrent writer) rebuilds the models from every vote, so
        they always equal a fresh replay of the table. Why not a checksum of the rows: changes
        can cancel out in one (three flips of rows 1, 2 and 3 keep sum(id x label))."""
        f = t.feedback
        with store.begin() as c:
            count, newest = c.execute(select(func.count(), func.coalesce(func.max(f.c.id), 0))
                                      .where(f.c.topic.is_not(None))).one()
            rows = (c.execute(_VOTES.where(f.c.id > self._last_id).order_by(f.c.id)).all()
                    if newest > self._last_id else [])
        if not rows and count == self._applied:
            if self._applied and self._pool_stale(store):
                self._refresh_pool(store)
            return 0
        if count != self._applied + len(rows):
            return self.replay_feedback(store)
        n = self._apply(store, rows)
        if n:
            self._refresh_pool(store)
        log.info("new feedback applied to topic models", extra={"labels": n})
        return n

    POOL_STORIES = 2000  # self-training's pool: the newest stories, one document each
    POOL_REFRESH = 500  # take a new pool after this many new articles even without new votes

    def _refresh_pool(self, store: Store) -> None:
        """Give self-training the newest ``POOL_STORIES`` stories (their representative article).

        Taken from the store, not from what this process happened to score, so the topic models
        stay a function of the table: the votes and the pool as of the last refresh. A refresh
        happens with new votes, and after ``POOL_REFRESH`` new articles so that the pool follows
        the news; it costs one query and a stemming pass (0.2 CPU-s for 2,000 Reuters stories), then
        each topic with votes refits at its next score (self-training adds 0.1-1 CPU-s to a refit)."""
        arts = store.newest_processed(3 * self.POOL_STORIES)
        by_story: dict[str, list[Article]] = {}
        for a in reversed(arts):  # oldest first: a story's first article leads its list
            by_story.setdefault(a.story_id or "", []).append(a)
        stories = list(by_story.values())[-self.POOL_STORIES:]
        self._pool_at = (arts[0].id or 0) if arts else 0
        self.scorer.set_pool([document(representative(s)) for s in stories])

    def _pool_stale(self, store: Store) -> bool:
        newest = store.newest_processed(1)
        return bool(newest) and (newest[0].id or 0) - self._pool_at >= self.POOL_REFRESH

    def _apply(self, store: Store, rows: Sequence[Any]) -> int:
        n = 0
        for row_id, story_id, topic, label in rows:
            self._last_id = max(self._last_id, row_id)
            self._applied += 1
            if topic not in self.settings.topics:
                continue
            arts = store.story_articles(story_id)
            if arts:
                self.scorer.add_feedback(topic, document(representative(arts)), label > 0)
                n += 1
        return n

    def score(self, stories: Sequence[StoryInput]) -> list[Scores]:
        if not stories:
            return []
        docs, contexts = [], []
        for s in stories:
            rep = representative(s.articles)
            docs.append(document(rep))
            by_source: dict[str, Article] = {}
            for a in s.articles:
                by_source.setdefault(a.source, a)
            times = [a.published_at or a.fetched_at for a in s.articles]
            contexts.append(StoryContext(
                n_sources=len(by_source), source_weights=[self.weights.get(n, 1.0) for n in by_source],
                first_seen=min(times), last_seen=max(times)))
        return self.scorer.score(docs, contexts)
