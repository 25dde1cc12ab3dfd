"""How alike an article and a story are: candidate search, features, decision.

IDF comes from the articles in the window counted on top of a shipped background
corpus (:mod:`bot.stories.background`; nothing is fetched at run time). The
decision is a weighted sum of a few features whose weights and threshold were chosen
by ``python -m bot.stories.tune`` with cross-validation over ECB+ topics (see there);
they are hard-coded in :class:`Params`. A join must also rest on more than one shared
term (:meth:`Scorer.residual`): the weighted sum alone let one rare shared word ("AI")
join unrelated short articles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import mul

from bot.stories import _fast, background
from bot.stories.text import Features

__all__ = ["FEATURES", "Params", "Scorer", "is_year", "shared_products", "vector_terms"]

FEATURES = ("cosine", "names", "numbers", "name_cosine", "story_names", "key_names", "lead_names",
            "story_lead", "later_year", "lead_phrases", "story_phrases")


@dataclass(frozen=True, slots=True)
class Params:
    """Weights of :data:`FEATURES`, the join threshold and the search sizes."""

    # from ``python -m bot.stories.tune`` (5-fold CV over ECB+ topics: pairwise F1 0.880, B3 0.907;
    # with min_residual below, tune's CV is 0.881 / 0.908 and these weights stay: see tune)
    weights: tuple[float, ...] = (1.786, 2.227, 4.397, 3.079, 1.779, 0.049, 1.245, 1.161, -1.135, 0.169, 0.269)
    threshold: float = 3.892
    duplicate: float = 0.8  # same outlet, doc-to-doc cosine at least this: a re-publication
    query_terms: int = 24
    candidates: int = 8
    min_overlap: float = 0.1  # a candidate shares at least this share of the query's weight
    min_relative: float = 0.4  # ... and at least this share of the best candidate's
    common_df: float = 0.01  # terms in more than this share of the window (and more than
    common_floor: int = 50  # this many articles) are too common to pick candidates
    background: bool = True  # count the shipped background corpus into document frequencies
    # a join also needs this TF-IDF cosine without the largest shared term's part (Scorer.residual):
    # evidence from more than one term. 0.12 is about the 1st percentile of right joins on ECB+
    # (teacher-forced rows); ECB+ streaming is unchanged up to it, 0.15 starts losing recall
    min_residual: float = 0.12


def is_year(t: str) -> bool:
    return len(t) == 4 and t[:2] in ("19", "20") and t.isdigit()


class Idf:
    """IDF of the window at one moment: ``log((1 + N) / (1 + df)) + 1``, memoised."""

    __slots__ = ("base", "df", "logs")

    def __init__(self, df: Mapping[str, int], n_docs: int, logs: list[float]) -> None:
        self.df = df
        self.base = math.log1p(n_docs) + 1.0
        self.logs = logs

    def __call__(self, term: str) -> float:
        return self.base - self.logs[self.df.get(term, 0)]


def vector_terms(profile: Mapping[str, int], core: Mapping[str, int], n_members: int) -> Mapping[str, int]:
    """The story vector's term counts: ``core`` (terms used by two or more members) from three
    members on, less noise and much less work; ``profile`` before."""
    return core if n_members >= 3 else profile


def shared_products(w: Mapping[str, float], vec: Mapping[str, int], idf: Idf) -> list[float]:
    """Per term shared by the article (weights ``w``) and the story vector ``vec``, its part of
    their dot product (``w`` order): ``Scorer.features`` sums them, ``Scorer.residual`` also
    takes out the largest."""
    base, logs, get = idf.base, idf.logs, idf.df.get
    return [v * vec[t] * (base - logs[get(t, 0)]) for t, v in w.items() if t in vec]


def _py_share_cover(terms: Iterable[str], counts: Mapping[str, int], scale: float, idf: Idf,
                    empty: float = 0.0) -> float:
    """IDF-weighted mean over ``terms`` of ``min(1, counts[t] * scale)`` (the compiled core's
    ``share_cover`` does the same sums in the same order)."""
    tot = hit = 0.0
    base, logs, get = idf.base, idf.logs, idf.df.get
    for t in sorted(terms):
        i = base - logs[get(t, 0)]  # idf(t), inline: this runs for every candidate
        tot += i
        c = counts.get(t, 0)
        if c:
            hit += i * min(1.0, c * scale)
    return hit / tot if tot else empty


_share_cover = _fast.pick("share_cover", _py_share_cover)


def tf_idf(terms: Mapping[str, int], idfs: Iterable[float]) -> dict[str, float]:
    """Sub-linear TF times IDF of terms (``idfs``: their IDF, in ``terms`` order)."""
    log = math.log
    return {t: (1.0 + log(c)) * i if c > 1 else i for (t, c), i in zip(terms.items(), idfs, strict=True)}


def _py_features(feats: Features, w: Mapping[str, float], dnorm: float, snorm: float, dot: float,
                 profile: Mapping[str, int], core: Mapping[str, int], name_profile: Mapping[str, int],
                 lead_profile: Mapping[str, int], year_profile: Mapping[str, int], n_members: int,
                 idf: Idf) -> tuple[float, ...]:
    """:meth:`Scorer.features` once the story vector's norm ``snorm`` and dot product ``dot`` are
    known (the compiled core's ``features`` does the same float operations in the same order)."""
    base, logs, get = idf.base, idf.logs, idf.df.get
    inv = 1.0 / n_members
    vget = vector_terms(profile, core, n_members).get
    cosine = dot / (dnorm * snorm)
    pget = profile.get
    names = _share_cover(feats.names, profile, 2 * inv, idf)
    numbers = _share_cover(feats.numbers, profile, 2 * inv, idf)
    nnorm = math.sqrt(math.fsum([w[t] ** 2 for t in feats.names])) or 1.0
    snn = math.sqrt(math.fsum([(c * (base - logs[get(t, 0)])) ** 2
                               for t in name_profile if (c := vget(t, 0))])) or 1.0
    # fsum: exactly rounded, so the result does not depend on the set's (hash-seeded) order
    name_cos = math.fsum([w[t] * vget(t, 0) * (base - logs[get(t, 0)]) for t in feats.names]) / (nnorm * snn)
    half = n_members / 2
    story_names = _share_cover([t for t, c in name_profile.items() if c >= half], feats.terms, 1.0, idf)
    key = sorted(feats.names, key=lambda t: (-w[t], t))[:3]
    tot = math.fsum(w[t] for t in key)
    key_names = math.fsum(w[t] * pget(t, 0) * inv for t in key) / tot if tot else 0.0
    lead_names = _share_cover(feats.lead, lead_profile, inv, idf)
    lead_core = [t for t, c in lead_profile.items() if c >= half]
    story_lead = _share_cover(lead_core, feats.terms, 1.0, idf)
    years = [int(t) for t in feats.numbers if is_year(t)]
    later_year = float(bool(years) and bool(year_profile) and max(years) > max(map(int, year_profile)))
    lead_phrases = _share_cover([t for t in feats.lead if "~" in t], lead_profile, 2 * inv, idf, 0.5)
    story_phrases = _share_cover([t for t in lead_core if "~" in t], feats.terms, 1.0, idf, 0.5)
    return (cosine, names, numbers, name_cos, story_names, key_names, lead_names, story_lead,
            later_year, lead_phrases, story_phrases)


_features = _fast.pick("features", _py_features)


class Scorer:
    def __init__(self, params: Params) -> None:
        self.params = params
        self._logs: list[float] = [0.0]
        # the background counts the window's are added to (see bot.stories.background)
        self.n_background, self.background = background.load() if params.background else (0, {})

    def idf(self, df: Mapping[str, int], n_docs: int) -> Idf:
        """The IDF function for the current window (call once per article)."""
        logs = self._logs
        while len(logs) <= n_docs + 1:
            logs.append(math.log1p(len(logs)))
        return Idf(df, n_docs, logs)

    @staticmethod
    def weights(feats: Features, idf: Idf, idfs: Iterable[float] | None = None) -> dict[str, float]:
        """Sub-linear TF times IDF of an article's terms (``idfs``: their IDF, if the caller has it)."""
        if idfs is None:
            base, logs, get = idf.base, idf.logs, idf.df.get
            idfs = [base - logs[get(t, 0)] for t in feats.terms]
        return tf_idf(feats.terms, idfs)

    def features(self, feats: Features, w: Mapping[str, float], dnorm: float, profile: Mapping[str, int],
                 core: Mapping[str, int], name_profile: Mapping[str, int], lead_profile: Mapping[str, int],
                 year_profile: Mapping[str, int], n_members: int, idf: Idf, *,
                 snorm: float | None = None, dot: float | None = None) -> tuple[float, ...]:
        """The :data:`FEATURES` of an article (weights ``w``, norm ``dnorm``) against one story.

        ``snorm`` and ``dot``, the story vector's norm and its dot product with ``w`` (below),
        may come from the caller: the clusterer computes them from arrays, much faster
        (:meth:`bot.stories.index.WindowIndex.story_vector`).
        """
        base, logs, get = idf.base, idf.logs, idf.df.get
        # story vector: members using a term times its IDF (the mean, up to scale); from three
        # members on, only terms used by two or more (less noise, and much less work)
        vec = vector_terms(profile, core, n_members)
        if snorm is None:
            snorm = math.sqrt(math.fsum([(c * (base - logs[get(t, 0)])) ** 2 for t, c in vec.items()])) or 1.0
        if dot is None:
            dot = math.fsum(shared_products(w, vec, idf))
        return _features(feats, w, dnorm, snorm, dot, profile, core, name_profile, lead_profile, year_profile,
                         n_members, idf)

    @staticmethod
    def residual(w: Mapping[str, float], cosine: float, vec: Mapping[str, int], idf: Idf) -> float:
        """The ``cosine`` of an article (weights ``w``) with a story vector ``vec`` without the part
        the largest shared term carries: a leave-one-out similarity.

        Why: one rare shared term can carry the cosine and every name feature by itself. "AI"
        is in a dozen of the background's 19,581 documents, so its IDF is a rare name's, and
        short unrelated teasers about AI (a model launch, an IPO, hiring tools) shared it and
        nothing else, yet scored a join. Coverage of one event shares several terms.
        """
        parts = shared_products(w, vec, idf)
        return Scorer.leave_one_out(cosine, math.fsum(parts), max(parts) if parts else 0.0)

    @staticmethod
    def leave_one_out(cosine: float, shared: float, largest: float) -> float:
        """:meth:`residual` from the fsum (``shared``) and the largest of the shared products, as
        the window index's story vector gives them (:meth:`bot.stories.index.WindowIndex.story_vector`)."""
        return cosine * (shared - largest) / shared if shared > 0.0 else 0.0

    def score(self, features: tuple[float, ...]) -> float:
        """The weighted sum of the features (left to right, as ``sum`` adds; ``map``: no generator
        frame per candidate)."""
        if len(features) != len(self.params.weights):
            raise ValueError(f"{len(features)} features for {len(self.params.weights)} weights")
        return sum(map(mul, self.params.weights, features))

    @staticmethod
    def norm(w: Mapping[str, float]) -> float:
        return math.sqrt(math.fsum([v * v for v in w.values()])) or 1.0

    def is_duplicate(self, w: Mapping[str, float], dnorm: float, other: Features, idf: Idf) -> bool:
        """Same outlet, near-identical text (an update or re-publication)."""
        ow = self.weights(other, idf)
        dot = math.fsum([v * ow.get(t, 0.0) for t, v in w.items()])  # order-free, as above
        return dot / (dnorm * self.norm(ow)) >= self.params.duplicate
