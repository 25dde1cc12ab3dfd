"""Incremental same-story clustering over a sliding time window.

Each article is compared with the stories still in the window and either joins the
best one or starts a new story. Why this shape:

* **Candidates are cheap**: an inverted index maps a term to the stories using it; the
  article's most distinctive terms pick a handful of candidate stories.
* **The decision is finer**: TF-IDF cosine with the story's profile is combined with
  overlap of names (capitalised sequences) and numbers and with title overlap
  (:mod:`bot.stories.scoring`), so two events about the same firms stay apart. A join
  also needs evidence beyond the single largest shared term (``Params.min_residual``):
  short teasers on one theme share a rare word ("AI") and little else.
* **State is a function of the window only**: document frequencies and story profiles
  are integer counts over the articles still in the window, and float sums whose order
  could differ use ``math.fsum``. Replaying the window (:meth:`Clusterer.restore`) thus
  rebuilds exactly the state an uninterrupted clusterer has.
* **Speed** comes from :class:`bot.stories.index.WindowIndex` (integer term ids, array
  document frequencies, story norms and candidate overlaps with numpy) and, when built, the
  compiled core that does the same per-term work in C (:mod:`bot.stories._fast` picks).
"""

from __future__ import annotations

import hashlib
import heapq
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter

from bot.stories import index as _index
from bot.stories.index import StoryTerms, TermIds
from bot.stories.scoring import Idf, Params, Scorer, is_year
from bot.stories.text import Features, extract

__all__ = ["Assignment", "ClusterItem", "Clusterer", "story_id_for"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ClusterItem:
    """One article as the clusterer sees it."""

    id: str
    title: str
    text: str
    source: str | None = None
    published_at: datetime | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where an article went.

    ``is_new_source``: the article's source was not yet among the story's sources (an
    article without a source counts as new).
    ``duplicate_of``: the same outlet re-published or updated an article already in the
    story (same URL, or TF-IDF cosine >= ``Params.duplicate``); the id of that earlier
    article, and ``is_new_source`` is False. Adding an id already in the window returns
    its story with ``duplicate_of`` set to that id.
    """

    story_id: str
    is_new_story: bool
    is_new_source: bool
    duplicate_of: str | None = None


@dataclass(slots=True)
class _Member:
    id: str
    story: str
    source: str | None
    url: str | None
    feats: Features
    ids: TermIds  # term ids of feats.terms, in its order
    at: float


@dataclass(slots=True)
class _Story:
    id: str
    terms: StoryTerms  # profile (term -> members using it), core (those used by two or more)
    members: dict[str, _Member] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)  # name -> members naming it
    lead: dict[str, int] = field(default_factory=dict)  # name -> members naming it in the lead
    years: dict[str, int] = field(default_factory=dict)  # year -> members mentioning it
    sources: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class _Candidates:
    """An article's candidate stories with their feature rows, and what the duplicate test needs."""

    rows: list[tuple[str, tuple[float, ...]]]
    guard: list[tuple[float, float]]  # per row: fsum and largest of the shared products (Scorer.leave_one_out)
    w: dict[str, float]
    dnorm: float
    idf: Idf


_ids = attrgetter("ids")  # a _Member's term ids


def _inc(counts: dict[str, int], keys: Iterable[str]) -> list[str]:
    """Add one to each key; return the keys that are new."""
    new = []
    get = counts.get
    for k in keys:
        c = get(k)
        if c is None:
            counts[k] = 1
            new.append(k)
        else:
            counts[k] = c + 1
    return new


def _dec(counts: dict[str, int], keys: Iterable[str]) -> list[str]:
    """Subtract one from each key; drop and return the keys that reach zero."""
    gone = []
    for k in keys:
        c = counts[k] - 1
        if c:
            counts[k] = c
        else:
            del counts[k]
            gone.append(k)
    return gone


def story_id_for(item_id: str) -> str:
    """Deterministic story id derived from the id of the story's first article."""
    return "s" + hashlib.blake2b(item_id.encode("utf-8"), digest_size=8).hexdigest()


class Clusterer:
    """Assigns articles to stories, one at a time, in arrival order.

    ``window``: articles older than this, relative to the newest timestamp seen, leave
    the candidate search (articles without ``published_at`` take the newest time seen).
    ``max_items`` bounds memory when timestamps are missing.
    """

    def __init__(self, window: timedelta = timedelta(hours=72), *, max_items: int = 50_000,
                 params: Params | None = None) -> None:
        self.window = window
        self.max_items = max_items
        self._scorer = Scorer(params or Params())
        # document frequencies count the window on top of the background corpus (a prior, see background)
        self._n_bg = self._scorer.n_background
        self._index = _index.new_index(self._scorer.background)
        self._stories: dict[str, _Story] = {}
        self._members: dict[str, _Member] = {}
        self._urls: dict[tuple[str | None, str], str] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        self._newest = float("-inf")

    # -- public API -------------------------------------------------------------------
    @property
    def story_ids(self) -> list[str]:
        """Stories with at least one article in the window, by their oldest article there."""
        return sorted(self._stories, key=lambda s: (min(m.at for m in self._stories[s].members.values()), s))

    def sources(self, story_id: str) -> list[str]:
        """The outlets of a story's articles in the window, in first-seen order."""
        story = self._stories.get(story_id)
        return list(story.sources) if story else []

    def members(self, story_id: str) -> list[str]:
        """Ids of a story's articles still in the window, in arrival order."""
        story = self._stories.get(story_id)
        return list(story.members) if story else []

    def __len__(self) -> int:
        return len(self._members)

    def add(self, item: ClusterItem) -> Assignment:
        """Assign one article to a story (existing or new) and remember it."""
        if item.id in self._members:
            m = self._members[item.id]
            return Assignment(m.story, False, False, item.id)
        feats = extract(item.title, item.text)
        at = self._advance(item)
        self._expire()  # before matching: stories that left the window are not candidates
        ids = self._index.add_doc(feats.terms, self._track_limit())
        story, dup = self._match(item, feats, ids)
        if story is None:
            sid = story_id_for(item.id)
            n = 1
            while sid in self._stories:  # practically never: hash collision or id reuse
                sid = story_id_for(f"{item.id}#{n}")
                n += 1
            new_story, new_source = True, True
        else:
            sid = story
            new_story = False
            new_source = item.source is None or self._stories[sid].sources[item.source] == 0
            if dup is not None:
                new_source = False
        self._insert(item, feats, ids, sid, at)
        self._expire()
        return Assignment(sid, new_story, new_source, dup)

    def restore(self, items: Iterable[tuple[ClusterItem, str]]) -> None:
        """Rebuild the window from stored articles and their story ids, in arrival order."""
        n = 0
        for item, sid in items:
            if item.id in self._members:
                continue
            feats = extract(item.title, item.text)
            at = self._advance(item)
            self._insert(item, feats, self._index.add_doc(feats.terms, self._track_limit()), sid, at)
            self._expire()
            n += 1
        logger.info("stories restored", extra={"articles": n, "stories": len(self._stories)})

    # -- internals --------------------------------------------------------------------
    def _advance(self, item: ClusterItem) -> float:
        if item.published_at is not None:
            ts = item.published_at.timestamp()
            self._newest = max(self._newest, ts)
            return ts
        return self._newest if self._newest != float("-inf") else 0.0

    def _track_limit(self) -> float:
        """Terms used by more articles than this have no postings: twice the most a
        query term may have (:class:`bot.stories.index.WindowIndex`)."""
        p = self._scorer.params
        return 2.0 * max(p.common_floor, p.common_df * (len(self._members) + 1))

    def _match(self, item: ClusterItem, feats: Features, ids: TermIds) -> tuple[str | None, str | None]:
        if item.url and (item.source, item.url) in self._urls:
            mid = self._urls[(item.source, item.url)]
            return self._members[mid].story, mid
        scorer = self._scorer
        best: tuple[float, str] | None = None
        m = self._candidates(feats, ids)
        p = scorer.params
        # the best-scoring story above the threshold (the first of equals) whose evidence rests on
        # more than one term: its cosine without the largest shared term's part is high enough
        above = [(-score, k) for k, (_, x) in enumerate(m.rows) if (score := scorer.score(x)) >= p.threshold]
        for neg, k in sorted(above):
            sid, x = m.rows[k]
            if scorer.leave_one_out(x[0], *m.guard[k]) >= p.min_residual:  # Scorer.residual
                best = (-neg, sid)
                break
        if best is not None and item.source is not None:
            story = self._stories[best[1]]
            if story.sources.get(item.source):
                for mem in story.members.values():
                    if mem.source == item.source and scorer.is_duplicate(m.w, m.dnorm, mem.feats, m.idf):
                        return best[1], mem.id
        return (best[1] if best else None), None

    def _candidates(self, feats: Features, ids: TermIds) -> _Candidates:
        """The candidate stories of an article already counted into the index, with the feature
        vector of each (``python -m bot.stories.tune`` fits the decision on these rows)."""
        scorer = self._scorer
        index = self._index
        n_docs = len(self._members) + 1 + self._n_bg
        idf = scorer.idf(index.df, n_docs)
        rows: list[tuple[str, tuple[float, ...]]] = []
        guard: list[tuple[float, float]] = []
        w, dnorm = index.weigh(feats.terms, ids, n_docs, idf.base)  # and spread by term id, until finish()
        try:
            for sid in index.candidates(w, ids, idf.base, scorer.params, self._n_bg):
                story = self._stories[sid]
                n = len(story.members)
                # the members' ids are read only when the story changed since its vector was last kept
                snorm, dot, shared, largest = index.story_vector(story.terms, map(_ids, story.members.values()),
                                                                 n, idf.base)
                rows.append((sid, scorer.features(feats, w, dnorm, story.terms.profile, story.terms.core,
                                                  story.names, story.lead, story.years, n, idf, snorm=snorm, dot=dot)))
                guard.append((shared, largest))
        finally:
            index.finish(ids)
        return _Candidates(rows, guard, w, dnorm, idf)

    def _insert(self, item: ClusterItem, feats: Features, ids: TermIds, sid: str, at: float) -> None:
        story = self._stories.get(sid)
        if story is None:
            story = self._stories[sid] = _Story(sid, self._index.new_story(sid))
        m = _Member(item.id, sid, item.source, item.url, feats, ids, at)
        story.members[item.id] = m
        if item.source is not None:
            story.sources[item.source] += 1
        self._index.join(story.terms, feats.terms, ids)
        _inc(story.names, feats.names)
        _inc(story.lead, feats.lead)
        _inc(story.years, [t for t in feats.numbers if is_year(t)])
        self._members[item.id] = m
        if item.url:
            self._urls[(item.source, item.url)] = item.id
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, item.id))

    def _expire(self) -> None:
        limit = self._newest - self.window.total_seconds()
        heap = self._heap
        while heap and (heap[0][0] < limit or len(self._members) > self.max_items):
            _, _, mid = heapq.heappop(heap)
            self._remove(self._members.pop(mid))

    def _remove(self, m: _Member) -> None:
        story = self._stories[m.story]
        del story.members[m.id]
        self._index.leave(story.terms, m.feats.terms, m.ids, not story.members)
        self._index.remove_doc(m.feats.terms, m.ids)
        if m.url and self._urls.get((m.source, m.url)) == m.id:
            del self._urls[(m.source, m.url)]
        if not story.members:  # the story goes with its counts
            del self._stories[story.id]
            self._index.drop_story(story.terms)
            return
        if m.source is not None:
            story.sources[m.source] -= 1
            if not story.sources[m.source]:
                del story.sources[m.source]
        _dec(story.names, m.feats.names)
        _dec(story.lead, m.feats.lead)
        _dec(story.years, [t for t in m.feats.numbers if is_year(t)])
