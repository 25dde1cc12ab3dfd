"""Topic relevance: cold start from keywords, sharpened by term associations and by feedback.

Cold start (no training step): a document's evidence for a topic is how often and where
(title, lead, body) the topic's keywords occur, plus how many *associated* terms it uses. The
associations (``expansion``: term → weighted related terms, learned without labels by
``signals train`` from news text) let it find articles about the topic that never repeat
the keywords, and the density/position features reject a keyword mentioned in passing.
``exclude`` terms veto; ``examples`` add a similarity-to-examples feature.

Feedback (👍/👎) is kept per topic and refitted lazily: a logistic regression on the voted
documents' stemmed terms that takes the cold-start logit as a fixed offset (a prior) and learns
only a strongly regularised correction per term. With no votes, or for a document sharing no
term with any voted one, the score is exactly the cold start's; see ``TopicModel._refit``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from scipy.sparse import csr_matrix

from classifiers.text import STOPWORDS, stem, stem_tokens, stems, tokens
from classifiers.types import Contribution, TopicSpec

__all__ = ["DocTerms", "TopicModel", "doc_terms"]


@dataclass(slots=True)
class DocTerms:
    """A document reduced once for every topic: stemmed counts and the title/lead stems."""

    counts: Counter[str]
    title_stems: list[str]
    lead_stems: list[str]  # the first 150 words after the title
    title: frozenset[str]
    lead: frozenset[str]  # the first 60 words after the title
    joined: str  # " stem stem ... " for phrase matching
    title_joined: str
    n: int


def doc_terms(title: str, text: str, text_tokens: list[str] | None = None) -> DocTerms:
    """Stem the document once; relevance (every topic) and event rules read the result.
    ``text_tokens`` is ``tokens(text)`` when the caller has cut it already (the scorer has)."""
    tt = stems(title)
    bt = stems(text) if text_tokens is None else stem_tokens(text_tokens)
    if tt and bt[: len(tt)] == tt:  # text repeats the title (BBC style): don't count it twice
        bt = bt[len(tt):]
    allt = tt + bt
    return DocTerms(Counter(allt), tt, bt[:150], frozenset(tt), frozenset(bt[:60]), " " + " ".join(allt) + " ",
                    " " + " ".join(tt) + " ", max(1, len(allt)))


def _phrases(words: Sequence[str]) -> list[str]:
    return [" ".join(stem(w) for w in tokens(k)) for k in words if tokens(k)]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


@dataclass(slots=True)
class TopicModel:
    """One topic's scorer. Fit-free for the cold start; ``add_feedback`` makes it learn."""

    spec: TopicSpec
    expansion: dict[str, float] = field(default_factory=dict)  # associated stem -> weight (0..1]
    keys_: list[str] = field(default_factory=list)
    excl_: list[str] = field(default_factory=list)
    exp_terms_: set[str] = field(default_factory=set)  # the expansion's terms, and each one's rank in it
    exp_rank_: dict[str, int] = field(default_factory=dict)
    examples_: list[Counter[str]] = field(default_factory=list)
    labels_: list[tuple[DocTerms, bool]] = field(default_factory=list)
    fb_dirty_: bool = False
    fb_weights_: dict[str, float] = field(default_factory=dict)  # stem -> logit per unit of _unit(doc)

    def fit(self) -> TopicModel:
        self.keys_ = _phrases(self.spec.keywords)
        self.excl_ = _phrases(self.spec.exclude)
        self.exp_terms_ = set(self.expansion)
        self.exp_rank_ = {t: i for i, t in enumerate(self.expansion)}
        self.examples_ = [doc_terms("", e).counts for e in self.spec.examples if e.strip()]
        return self

    # -- cold start --------------------------------------------------------------------------------
    def _hits(self, d: DocTerms, key: str) -> tuple[int, bool, bool]:
        if " " in key:
            pat = f" {key} "
            return d.joined.count(pat), pat in d.title_joined, d.joined.find(pat, 0, 400) >= 0
        return d.counts.get(key, 0), key in d.title, key in d.lead

    def features(self, d: DocTerms) -> dict[str, float]:
        total = distinct = in_title = in_lead = 0
        counts = d.counts
        for k in self.keys_:
            if " " in k:
                c, t, lead = self._hits(d, k)
            else:  # _hits inlined for the common one-word keyword
                c, t, lead = counts.get(k, 0), k in d.title, k in d.lead
            total += c
            distinct += c > 0
            in_title += t
            in_lead += lead
        assoc = 0.0
        if self.expansion:
            # only the associated terms the document has (a C-level intersection, iterating the
            # smaller side), summed in the expansion's order as before (same float result)
            present = counts.keys() & self.exp_terms_
            if present:
                w_of, log = self.expansion, math.log
                for term in sorted(present, key=self.exp_rank_.__getitem__):
                    assoc += w_of[term] * (1.0 + log(counts[term]))
            assoc /= math.sqrt(d.n / 100.0 + 1.0)
        ex = 0.0
        if self.examples_:
            ex = max(_cosine(d.counts, e) for e in self.examples_)
        veto = sum(self._hits(d, k)[0] > 0 for k in self.excl_)
        return {
            "keyword_density": total / math.sqrt(d.n), "keywords_distinct": float(distinct),
            "keyword_in_title": float(in_title > 0), "keyword_in_lead": float(in_lead > 0),
            "associated_terms": assoc, "example_similarity": ex, "excluded_terms": float(veto),
        }

    WEIGHTS: ClassVar[dict[str, float]] = {"keyword_density": 1.6, "keywords_distinct": 0.6, "keyword_in_title": 1.8, "keyword_in_lead": 0.7,
               "associated_terms": 1.0, "example_similarity": 4.0, "excluded_terms": -4.0}
    BIAS: ClassVar[float] = -2.8

    def cold_logit(self, f: dict[str, float]) -> tuple[float, list[Contribution]]:
        contrib = [Contribution(k, self.WEIGHTS[k] * v) for k, v in f.items() if v]
        return self.BIAS + sum(c.weight for c in contrib), contrib

    # -- feedback ----------------------------------------------------------------------------------
    FB_C: ClassVar[float] = 30.0  # inverse L2 strength of the per-term correction; see _refit
    FB_MAX_LABELS: ClassVar[int] = 500  # refit on the newest votes only: bounded cost (~0.7 CPU-s at 500), follows drift

    def add_feedback(self, d: DocTerms, label: bool) -> None:
        """Record a 👍 (True) / 👎 (False); the model refits lazily at the next ``score``."""
        self.labels_.append((d, label))
        self.fb_dirty_ = True

    def _refit(self) -> None:
        """Fit ``logit = cold_logit + w · unit(doc)`` on the votes by L2-regularised logistic
        regression, the cold-start logit being a fixed offset (coefficient 1, no intercept).

        Why this form: the cold start already knows the topic and sets the stream's base rate;
        the votes only say *where it is wrong*, so only a correction is learned, and the L2 penalty
        shrinks it to zero (the cold start) while votes are few or contradict each other. A liked
        document that the cold start already scores high hardly moves anything; a 👎 on a
        confident alert pushes that document's terms down. There is no learned intercept: votes come
        from a far more balanced sample than the stream (mostly alerts), so a fitted bias would
        say more about who votes than about the topic, and a document sharing no term with any
        voted document keeps its cold-start score exactly. ``FB_C`` was chosen by cross-validation
        on Reuters TRAIN with seeds other than the ones ``signals eval feedback`` reports.

        Solved in the dual (``w`` is a combination of the voted documents), so the cost depends on
        the number of votes only: a Newton step is one n×n solve.
        """
        self.fb_dirty_ = False
        labels = self.labels_[-self.FB_MAX_LABELS:]
        self.fb_weights_ = {}
        if not labels:
            return
        xs = [_unit(d.counts) for d, _ in labels]
        vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for i, x in enumerate(xs):
            for k, v in x.items():
                rows.append(i)
                cols.append(vocab.setdefault(k, len(vocab)))
                vals.append(v)
        m = csr_matrix((vals, (rows, cols)), shape=(len(xs), max(1, len(vocab))))
        gram = (m @ m.T).toarray()
        cold = np.array([self.cold_logit(self.features(d))[0] for d, _ in labels])
        y = np.array([1.0 if lab else 0.0 for _, lab in labels])
        alpha = _offset_logistic(gram, cold, y, self.FB_C)
        w = m.T @ alpha
        self.fb_weights_ = {k: float(w[j]) for k, j in vocab.items() if w[j]}

    def _feedback_logit(self, d: DocTerms) -> float:
        """``w · unit(d)``, iterating over the document's terms only (a few µs)."""
        w = self.fb_weights_
        s = 0.0
        for k, c in d.counts.items():
            x = w.get(k)
            if x is not None:
                s += x * _LOGTF[c]
        return s / _norm(d) if s else 0.0

    # -- scoring -----------------------------------------------------------------------------------
    def score(self, d: DocTerms, explain: bool = True) -> tuple[float, list[Contribution]]:
        """Probability that ``d`` is on the topic, and the contributions behind it (empty when not
        ``explain``: building and sorting them was a third of the cost for callers that never show
        them). The probability is the same either way: the weights are summed in the same order."""
        f = self.features(d)
        if not explain:
            w = self.WEIGHTS
            logit = self.BIAS + sum([w[k] * v for k, v in f.items() if v])
            if self.fb_dirty_:
                self._refit()
            if self.labels_:
                logit += self._feedback_logit(d)
            p = _sigmoid(logit)
            return (min(p, 0.2) if f["excluded_terms"] else p), []
        logit, contrib = self.cold_logit(f)
        if self.fb_dirty_:
            self._refit()
        if self.labels_:
            fb = self._feedback_logit(d)
            contrib.append(Contribution("feedback", fb))
            logit += fb
        p = _sigmoid(logit)
        if f["excluded_terms"]:
            p = min(p, 0.2)
        contrib.sort(key=lambda c: -abs(c.weight))
        return p, contrib


def _unit(c: Counter[str]) -> dict[str, float]:
    v = {k: 1.0 + math.log(n) for k, n in c.items() if k not in STOPWORDS}
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {k: x / norm for k, x in v.items()}


class _LogTf(dict[int, float]):
    """count -> 1 + log count, filled on first use: a lookup is ~3x cheaper than
    ``math.log`` in the per-article loops below."""

    def __missing__(self, c: int) -> float:
        v = self[c] = 1.0 + math.log(c)
        return v


_LOGTF = _LogTf()
_NORM_MEMO: tuple[object, float] = (None, 1.0)


def _norm(d: DocTerms) -> float:
    """Euclidean norm of ``_unit``'s unnormalised vector; every topic with votes needs it for the
    same document in a row, so the last document's norm is kept (compared by identity)."""
    global _NORM_MEMO
    memo = _NORM_MEMO
    if memo[0] is d:
        return memo[1]
    n = math.sqrt(sum([_LOGTF[c] ** 2 for k, c in d.counts.items() if k not in STOPWORDS])) or 1.0
    _NORM_MEMO = (d, n)
    return n


def _offset_logistic(gram: np.ndarray, offset: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """Dual coefficients ``a`` minimising ``sum logloss(y, offset + gram @ a) + a @ gram @ a / 2c``
    (L2 logistic regression with a fixed offset, ``w = X.T @ a``): damped Newton steps, each
    solving ``(diag(p(1-p)) gram + I/c) step = p - y + a/c``, halved until the loss decreases."""
    n = len(y)
    a = np.zeros(n)

    def loss(a: np.ndarray) -> float:
        ka = gram @ a
        z = offset + ka
        return float((np.logaddexp(0.0, z) - y * z).sum() + a @ ka / (2.0 * c))

    cur = loss(a)
    for _ in range(50):
        z = offset + gram @ a
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
        step = np.linalg.solve((p * (1.0 - p))[:, None] * gram + np.eye(n) / c, p - y + a / c)
        t = 1.0
        while t > 1e-4:
            new = loss(a - t * step)
            if new <= cur:
                break
            t /= 2.0
        else:
            break
        a, done = a - t * step, cur - new < 1e-9
        cur = new
        if done:
            break
    return a


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0) for k, v in a.items() if k not in STOPWORDS)
    na = math.sqrt(sum(v * v for k, v in a.items() if k not in STOPWORDS))
    nb = math.sqrt(sum(v * v for k, v in b.items() if k not in STOPWORDS))
    return dot / (na * nb) if na and nb else 0.0
