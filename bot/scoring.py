"""Glue between stored stories and the classifiers package.

The classifiers know nothing about the store; this module builds their inputs (the
story's representative text and its coverage) and replays recorded feedback at start,
which is what makes feedback-trained topic models persistent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from bot.models import Article
from bot.settings import Settings
from bot.store import Store
from bot.store import schema as t
from classifiers import Document, Scorer, Scores, StoryContext, TopicSpec

__all__ = ["StoryInput", "StoryScorer", "representative"]

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
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.weights = {s.name: s.weight for s in settings.sources}
        topics = [TopicSpec(name=name, keywords=list(t_.keywords), exclude=list(t_.exclude),
                            examples=list(t_.examples), threshold=t_.threshold)
                  for name, t_ in settings.topics.items()]
        self.scorer = Scorer.load(topics=topics, watchlist=list(settings.watchlist))
        if store is not None:
            self.replay_feedback(store)

    def replay_feedback(self, store: Store) -> int:
        """Feed every recorded 👍/👎 back into the per-topic models, oldest first."""
        f = t.feedback
        with store.begin() as c:
            rows = c.execute(select(f.c.story_id, f.c.topic, f.c.label).where(f.c.topic.is_not(None))
                             .order_by(f.c.id)).all()
        n = 0
        for story_id, topic, label in rows:
            if topic not in self.settings.topics:
                continue
            arts = store.story_articles(story_id)
            if arts:
                self.scorer.add_feedback(topic, document(representative(arts)), label > 0)
                n += 1
        if n:
            log.info("replayed feedback into topic models", extra={"labels": n})
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
