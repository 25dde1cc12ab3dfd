"""How alike an article and a story are: candidate search, features, decision.

IDF comes from the articles in the window (no training corpus at run time). The
decision is a weighted sum of a few features whose weights and threshold were chosen
by ``python -m bot.stories.tune`` with cross-validation over ECB+ topics (see there);
they are hard-coded in :class:`Params`.

Speed: an article is prepared once (:meth:`Scorer.prepare`: weights, sorted name lists,
numpy arrays of term ids); a story keeps a cache of its vector as sorted id/count arrays
(rebuilt only after it changes). Candidate search sums posting weights with
``numpy.bincount``. Sums over story terms use ``math.fsum`` so the result does not
depend on the order terms were seen (restore stays exact).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.stories.terms import TermTable
from bot.stories.text import Features

__all__ = ["FEATURES", "Params", "Query", "Scorer", "StoryLike", "is_year"]

FEATURES = ("cosine", "names", "numbers", "name_cosine", "story_names", "key_names", "lead_names",
            "story_lead", "later_year", "lead_phrases", "story_phrases")

_fsum = math.fsum


@dataclass(frozen=True, slots=True)
class Params:
    """Weights of :data:`FEATURES`, the join threshold and the search sizes."""

    # from ``python -m bot.stories.tune`` (5-fold CV over ECB+ topics: pairwise F1 0.839, B3 0.873)
    weights: tuple[float, ...] = (1.984, 2.335, 3.651, 3.36, 1.762, 0.407, 1.297, 1.324, -1.44, 0.192, 0.243)
    threshold: float = 4.283
    duplicate: float = 0.8  # same outlet, doc-to-doc cosine at least this: a re-publication
    query_terms: int = 24
    candidates: int = 8
    min_overlap: float = 0.1  # a candidate shares at least this share of the query's weight
    min_relative: float = 0.3  # ... and at least this share of the best candidate's
    common_df: float = 0.01  # terms in more than this share of the window (and more than
    common_floor: int = 50  # this many articles) are too common to pick candidates


def is_year(t: str) -> bool:
    return len(t) == 4 and t[:2] in ("19", "20") and t.isdigit()


class _Idf:
    """IDF of the window at one moment: ``log((1 + N) / (1 + df)) + 1``, memoised."""

    __slots__ = ("base", "df", "logs", "np_logs")

    def __init__(self, df: Mapping[str, int], n_docs: int, logs: list[float], np_logs: np.ndarray) -> None:
        self.df = df
        self.base = math.log1p(n_docs) + 1.0
        self.logs = logs
        self.np_logs = np_logs

    def __call__(self, term: str) -> float:
        return self.base - self.logs[self.df.get(term, 0)]


class StoryLike(Protocol):
    profile: dict[str, int]
    core: dict[str, int]
    names: dict[str, int]
    lead: dict[str, int]
    years: dict[str, int]
    cache: _StoryCache | None

    @property
    def size(self) -> int: ...


@dataclass(frozen=True, slots=True)
class _StoryCache:
    """What a story's features need, valid until the story changes."""

    ids: np.ndarray  # sorted ids of the story vector's terms
    cnt: np.ndarray  # their member counts (float)
    name_ids: np.ndarray  # ids of the story's names in the vector
    name_cnt: np.ndarray
    half_names: list[str]  # names used by at least half the members, sorted
    half_lead: list[str]  # lead names used by at least half the members, sorted
    half_phrases: list[str]  # the phrases among them
    max_year: int | None


@dataclass(frozen=True, slots=True)
class Query:
    """One article prepared for scoring against several stories."""

    feats: Features
    w: dict[str, float]
    dnorm: float
    idf: _Idf
    ids: np.ndarray
    aw: np.ndarray
    aidf: np.ndarray
    names: list[tuple[str, float]]  # (name, idf) sorted by name
    names_tot: float
    numbers: list[tuple[str, float]]
    numbers_tot: float
    lead: list[tuple[str, float]]
    lead_tot: float
    lead_phrases: list[tuple[str, float]]
    lead_phrases_tot: float
    nnorm: float
    key: list[str]
    key_tot: float
    max_year: int | None


def _sorted_idf(terms: Sequence[str] | frozenset[str], idf: _Idf) -> tuple[list[tuple[str, float]], float]:
    lst = [(t, idf(t)) for t in sorted(terms)]
    tot = 0.0
    for _, i in lst:
        tot += i
    return lst, tot


def _cover(lst: list[tuple[str, float]], tot: float, counts: Mapping[str, int], scale: float,
           empty: float = 0.0) -> float:
    """IDF-weighted mean over ``lst`` of ``min(1, counts[t] * scale)``."""
    if not tot:
        return empty
    hit = 0.0
    get = counts.get
    for t, i in lst:
        c = get(t)
        if c:
            hit += i * min(1.0, c * scale)
    return hit / tot


def _cover_terms(terms: list[str], counts: Mapping[str, int], idf: _Idf, empty: float = 0.0) -> float:
    """IDF-weighted share of ``terms`` (sorted) present in ``counts``."""
    tot = hit = 0.0
    for t in terms:
        i = idf(t)
        tot += i
        if t in counts:
            hit += i
    return hit / tot if tot else empty


class Scorer:
    def __init__(self, params: Params) -> None:
        self.params = params
        self._logs: list[float] = [0.0]
        self._np_logs = np.zeros(1)

    def idf(self, df: Mapping[str, int], n_docs: int) -> _Idf:
        """The IDF function for the current window (call once per article)."""
        logs = self._logs
        if len(logs) <= n_docs + 1:
            while len(logs) <= 2 * n_docs + 64:
                logs.append(math.log1p(len(logs)))
            self._np_logs = np.array(logs)
        return _Idf(df, n_docs, logs, self._np_logs)

    @staticmethod
    def weights(feats: Features, idf: _Idf) -> dict[str, float]:
        """Sub-linear TF times IDF of an article's terms."""
        base, logs, get = idf.base, idf.logs, idf.df.get
        log = math.log
        return {t: (1.0 + log(c)) * (base - logs[get(t, 0)]) if c > 1 else base - logs[get(t, 0)]
                for t, c in feats.terms.items()}

    def prepare(self, feats: Features, ids: np.ndarray, idf: _Idf, dfa: np.ndarray) -> Query:
        """Everything about one article that does not depend on the story."""
        w = self.weights(feats, idf)
        aw = np.fromiter(w.values(), dtype=np.float64, count=len(w))
        aidf = idf.base - idf.np_logs[dfa[ids]]
        names, names_tot = _sorted_idf(feats.names, idf)
        numbers, numbers_tot = _sorted_idf(feats.numbers, idf)
        lead, lead_tot = _sorted_idf(feats.lead, idf)
        lead_phrases, lead_phrases_tot = _sorted_idf([t for t in feats.lead if "~" in t], idf)
        nnorm = math.sqrt(_fsum([w[t] ** 2 for t, _ in names])) or 1.0
        key = sorted(feats.names, key=lambda t: (-w[t], t))[:3]
        years = [int(t) for t in feats.numbers if is_year(t)]
        return Query(feats, w, self.norm(w), idf, ids, aw, aidf, names, names_tot, numbers, numbers_tot, lead,
                     lead_tot, lead_phrases, lead_phrases_tot, nnorm, key, _fsum(w[t] for t in key),
                     max(years) if years else None)

    def candidates(self, q: Query, postings: Mapping[str, set[int]], slots: Sequence[str | None]) -> list[str]:
        """A few stories sharing the article's most distinctive terms, best first."""
        p = self.params
        w, idf = q.w, q.idf
        get = idf.df.get
        cap = max(p.common_floor, p.common_df * (math.exp(idf.base - 1.0) - 1.0))
        query = sorted((t for t in w if get(t, 0) <= cap), key=lambda t: (-w[t], t))[: p.query_terms]
        parts: list[np.ndarray] = []
        wts: list[np.ndarray] = []
        total = 0.0
        for t in query:
            wt = w[t]
            total += wt
            post = postings.get(t)
            if post:
                a = np.fromiter(post, dtype=np.int64, count=len(post))
                parts.append(a)
                wts.append(np.full(len(a), wt))
        if not parts:
            return []
        acc = np.bincount(np.concatenate(parts), np.concatenate(wts), minlength=len(slots))
        floor = max(p.min_overlap * total, p.min_relative * float(acc.max()))
        hit = np.flatnonzero(acc >= floor)
        vals = acc[hit].tolist()
        order = sorted(zip(vals, hit.tolist(), strict=True), key=lambda x: (-x[0], slots[x[1]]))
        return [slots[s] for _, s in order[: p.candidates]]  # type: ignore[misc]

    @staticmethod
    def _cache(story: StoryLike, terms: TermTable) -> _StoryCache:
        c = story.cache
        if c is not None:
            return c
        n = story.size
        vec = story.core if n >= 3 else story.profile
        ids_map = terms.ids
        ids = np.fromiter((ids_map[t] for t in vec), dtype=np.int64, count=len(vec))
        cnt = np.fromiter(vec.values(), dtype=np.float64, count=len(vec))
        order = np.argsort(ids)
        vget = vec.get
        nv = [(ids_map[t], c) for t in story.names if (c := vget(t, 0))]
        half = n / 2
        half_lead = sorted(t for t, c in story.lead.items() if c >= half)
        c = story.cache = _StoryCache(
            ids[order], cnt[order], np.array([i for i, _ in nv], dtype=np.int64),
            np.array([c for _, c in nv], dtype=np.float64),
            sorted(t for t, c in story.names.items() if c >= half), half_lead, [t for t in half_lead if "~" in t],
            max(map(int, story.years)) if story.years else None)
        return c

    def features(self, q: Query, story: StoryLike, terms: TermTable) -> tuple[float, ...]:
        """The :data:`FEATURES` of a prepared article against one story."""
        sc = self._cache(story, terms)
        idf = q.idf
        base, np_logs, dfa = idf.base, idf.np_logs, terms.dfa
        inv = 1.0 / story.size
        # story vector: members using a term times its IDF (the mean, up to scale); from three
        # members on, only terms used by two or more (less noise, and much less work)
        sv = sc.cnt * (base - np_logs[dfa[sc.ids]])
        snorm = math.sqrt(_fsum((sv * sv).tolist())) or 1.0
        if len(sc.ids):
            pos = np.minimum(np.searchsorted(sc.ids, q.ids), len(sc.ids) - 1)
            hit = sc.ids[pos] == q.ids
            cosine = _fsum((q.aw[hit] * sc.cnt[pos[hit]] * q.aidf[hit]).tolist()) / (q.dnorm * snorm)
        else:
            cosine = 0.0
        profile = story.profile
        vec = story.core if story.size >= 3 else profile
        pget, vget = profile.get, vec.get
        w = q.w
        names = _cover(q.names, q.names_tot, profile, 2 * inv)
        numbers = _cover(q.numbers, q.numbers_tot, profile, 2 * inv)
        nv = sc.name_cnt * (base - np_logs[dfa[sc.name_ids]])
        snn = math.sqrt(_fsum((nv * nv).tolist())) or 1.0
        name_cos = _fsum([w[t] * c * i for t, i in q.names if (c := vget(t, 0))]) / (q.nnorm * snn)
        fterms = q.feats.terms
        story_names = _cover_terms(sc.half_names, fterms, idf)
        key_names = _fsum(w[t] * pget(t, 0) * inv for t in q.key) / q.key_tot if q.key_tot else 0.0
        lead_names = _cover(q.lead, q.lead_tot, story.lead, inv)
        story_lead = _cover_terms(sc.half_lead, fterms, idf)
        later_year = float(q.max_year is not None and sc.max_year is not None and q.max_year > sc.max_year)
        lead_phrases = _cover(q.lead_phrases, q.lead_phrases_tot, story.lead, 2 * inv, 0.5)
        story_phrases = _cover_terms(sc.half_phrases, fterms, idf, 0.5)
        return (cosine, names, numbers, name_cos, story_names, key_names, lead_names, story_lead,
                later_year, lead_phrases, story_phrases)

    def score(self, features: tuple[float, ...]) -> float:
        return sum(a * b for a, b in zip(self.params.weights, features, strict=True))

    @staticmethod
    def norm(w: Mapping[str, float]) -> float:
        return math.sqrt(math.fsum([v * v for v in w.values()])) or 1.0

    def is_duplicate(self, q: Query, other: Features) -> bool:
        """Same outlet, near-identical text (an update or re-publication)."""
        ow = self.weights(other, q.idf)
        dot = sum(v * ow.get(t, 0.0) for t, v in q.w.items())
        return dot / (q.dnorm * self.norm(ow)) >= self.params.duplicate
