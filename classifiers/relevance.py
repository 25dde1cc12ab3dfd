"""Topic relevance: cold start from keywords, sharpened by term associations and by feedback.

Cold start (no training step): a document's evidence for a topic is how often and where
(title, lead, body) the topic's keywords occur, plus how many *associated* terms it uses. The
associations (``expansion``: term → weighted related terms, learned without labels by
``signals train`` from news text) let it find articles about the topic that never repeat
the keywords, and the density/position features reject a keyword mentioned in passing.
``exclude`` terms veto; ``examples`` add a similarity-to-examples feature.

Feedback (👍/👎) is kept per topic and refitted lazily: a logistic regression on the voted
documents' stemmed terms that takes the cold-start logit as a fixed offset (a prior) and learns
only a strongly regularised correction per term. Once a topic has a few votes, the recent
articles the bot has seen (``pool``, shared by every topic) add self-training: the ones the
corrected model is most sure about join the fit as down-weighted pseudo-labels. With no votes,
or for a document sharing no term with any voted or pseudo-labelled one, the score is exactly
the cold start's; see ``TopicModel._refit`` and ``classifiers.feedback``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from classifiers import _fast
from classifiers.feedback import dot, fit_correction, pseudo_labels
from classifiers.text import STOPWORDS, doc_stems, stem, tokens
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


def doc_terms(title: str, text: str, text_lines: list[list[str]] | None = None) -> DocTerms:
    """Stem the document once; relevance (every topic) and event rules read the result.
    ``text_lines`` is the text's tokens line by line when the caller has cut them already (the
    scorer has: ``split_sentences``)."""
    tt, bt, counts = doc_stems(tokens(title), text_lines if text_lines is not None else [tokens(text)])
    allt = tt + bt
    return DocTerms(counts, tt, bt[:150], frozenset(tt), frozenset(bt[:60]), " " + " ".join(allt) + " ",
                    " " + " ".join(tt) + " ", max(1, len(allt)))


def _phrases(words: Sequence[str]) -> list[str]:
    """The keywords as stem phrases, each once: "gpu", "GPU" and "GPUs" are one keyword, and listed
    three times it tripled the keyword density and distinct-keyword count of every story."""
    return list(dict.fromkeys(" ".join(stem(w) for w in tokens(k)) for k in words if tokens(k)))


def _plural(key: str) -> str | None:
    """The stem of a one-word keyword's plural when the stemmer does not fold it back to the
    keyword, else None. ``stem`` keeps the s of words in -us and -is ("virus", "analysis"), so
    "GPUs", "TPUs", "APIs" stay "gpus", "tpus", "apis" and never matched the keywords gpu, tpu, api."""
    if " " in key or not key.endswith(("u", "i")):
        return None
    p = stem(key + "s")
    return p if p != key else None


def _with_plurals(keys: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """``keys`` plus the plurals ``_plural`` finds, and the (keyword, plural) pairs: a plural is
    matched as one more key, and ``TopicModel.features`` counts a pair found together once."""
    pairs = [(k, p) for k in keys if (p := _plural(k)) is not None and p not in keys]
    return keys + [p for _, p in pairs], pairs


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _hits(counts: Counter[str], title: frozenset[str], lead: frozenset[str], joined: str, title_joined: str,
          key: str) -> tuple[int, bool, bool]:
    """How often ``key`` (stems; a phrase when it holds a space) occurs, and whether in the title and the lead."""
    if " " in key:
        pat = f" {key} "
        return joined.count(pat), pat in title_joined, joined.find(pat, 0, 400) >= 0
    return counts.get(key, 0), key in title, key in lead


def _py_cold_features(counts: Counter[str], title: frozenset[str], lead: frozenset[str], joined: str,
                      title_joined: str, n: int, keys: list[str], excl: list[str], expansion: dict[str, float],
                      rank: dict[str, int]) -> dict[str, float]:
    """A topic's cold-start features of a document (``DocTerms``' fields): how densely, how
    variedly and where its keywords occur, its associated terms (``expansion``: term -> weight,
    ``rank``: each one's position in it) and its excluded terms; ``example_similarity`` is 0.0
    (``TopicModel.features`` fills it in). The compiled core's ``cold_features`` gives the same floats."""
    total = distinct = in_title = in_lead = 0
    for k in keys:
        if " " in k:
            c, t, in_l = _hits(counts, title, lead, joined, title_joined, k)
        else:  # _hits inlined for the common one-word keyword
            c, t, in_l = counts.get(k, 0), k in title, k in lead
        total += c
        distinct += c > 0
        in_title += t
        in_lead += in_l
    assoc = 0.0
    if expansion:
        # only the associated terms the document has (a C-level intersection, iterating the
        # smaller side), summed in the expansion's order as before (same float result)
        present = counts.keys() & rank.keys()
        if present:
            log = math.log
            for term in sorted(present, key=rank.__getitem__):
                assoc += expansion[term] * (1.0 + log(counts[term]))
        assoc /= math.sqrt(n / 100.0 + 1.0)
    veto = sum(_hits(counts, title, lead, joined, title_joined, k)[0] > 0 for k in excl)
    return {
        "keyword_density": total / math.sqrt(n), "keywords_distinct": float(distinct),
        "keyword_in_title": float(in_title > 0), "keyword_in_lead": float(in_lead > 0),
        "associated_terms": assoc, "example_similarity": 0.0, "excluded_terms": float(veto),
    }


# ``_py_cold_features`` or the compiled core's same function (``_fast`` decides)
_cold_features = _fast.pick("cold_features", _py_cold_features)


@dataclass(slots=True)
class TopicModel:
    """One topic's scorer. Fit-free for the cold start; ``add_feedback`` makes it learn."""

    spec: TopicSpec
    expansion: dict[str, float] = field(default_factory=dict)  # associated stem -> weight (0..1]
    keys_: list[str] = field(default_factory=list)
    excl_: list[str] = field(default_factory=list)
    exp_rank_: dict[str, int] = field(default_factory=dict)  # each of the expansion's terms' rank in it
    examples_: list[Counter[str]] = field(default_factory=list)
    labels_: list[tuple[DocTerms, bool]] = field(default_factory=list)
    fb_dirty_: bool = False
    fb_weights_: dict[str, float] = field(default_factory=dict)  # stem -> logit per unit of _unit(doc)
    # the bot's recent documents, shared by every topic (``Scorer.set_pool``): self-training reads them
    pool: list[DocTerms] = field(default_factory=list)
    st_weights_: dict[str, float] = field(default_factory=dict)  # the pseudo-labels' share of fb_weights_
    pseudo_: tuple[int, int] = (0, 0)  # pool documents taken as 👍 / 👎 at the last refit
    cold_memo_: dict[int, tuple[DocTerms, float]] = field(default_factory=dict)
    plurals_: list[tuple[str, str]] = field(default_factory=list)  # (keyword, its plural) among keys_
    excl_plurals_: list[tuple[str, str]] = field(default_factory=list)  # the same among excl_

    def fit(self) -> TopicModel:
        self.keys_, self.plurals_ = _with_plurals(_phrases(self.spec.keywords))
        self.excl_, self.excl_plurals_ = _with_plurals(_phrases(self.spec.exclude))
        self.exp_rank_ = {t: i for i, t in enumerate(self.expansion)}
        self.examples_ = [doc_terms("", e).counts for e in self.spec.examples if e.strip()]
        return self

    # -- cold start --------------------------------------------------------------------------------
    def features(self, d: DocTerms) -> dict[str, float]:
        """The cold start's evidence for the topic in ``d`` (``_cold_features``), and its similarity
        to the topic's examples when it has any."""
        f = _cold_features(d.counts, d.title, d.lead, d.joined, d.title_joined, d.n, self.keys_, self.excl_,
                           self.expansion, self.exp_rank_)
        if self.plurals_ or self.excl_plurals_:  # "GPU" and "GPUs" in one story: one keyword, not two
            c = d.counts
            if both := sum(k in c and p in c for k, p in self.plurals_):
                f["keywords_distinct"] -= both
            if both := sum(k in c and p in c for k, p in self.excl_plurals_):
                f["excluded_terms"] -= both
        if self.examples_:
            f["example_similarity"] = max(_cosine(d.counts, e) for e in self.examples_)
        return f

    WEIGHTS: ClassVar[dict[str, float]] = {"keyword_density": 1.6, "keywords_distinct": 0.6, "keyword_in_title": 1.8, "keyword_in_lead": 0.7,
               "associated_terms": 1.0, "example_similarity": 4.0, "excluded_terms": -4.0}
    BIAS: ClassVar[float] = -2.8

    def cold_logit(self, f: dict[str, float]) -> tuple[float, list[Contribution]]:
        contrib = [Contribution(k, self.WEIGHTS[k] * v) for k, v in f.items() if v]
        return self.BIAS + sum(c.weight for c in contrib), contrib

    # -- feedback ----------------------------------------------------------------------------------
    FB_C: ClassVar[float] = 200.0  # inverse L2 strength of the per-term correction; see _refit
    FB_MAX_LABELS: ClassVar[int] = 500  # refit on the newest votes only: bounded cost (~0.7 CPU-s at 500), follows drift

    ST_MIN_VOTES: ClassVar[int] = 10  # self-training starts once this many votes say where the cold start errs
    ST_POS: ClassVar[int] = 60  # at most this many pool documents taken as 👍 ...
    ST_NEG: ClassVar[int] = 60  # ... and as 👎
    ST_POS_LOGIT: ClassVar[float] = 2.0  # only if the vote-corrected logit is at least this (p >= 0.88) ...
    ST_NEG_LOGIT: ClassVar[float] = -1.0  # ... or at most this (p <= 0.27: the confident negatives nearest the boundary)
    ST_WEIGHT: ClassVar[float] = 0.3  # a pseudo-label counts this much of a vote
    ST_ROUNDS: ClassVar[int] = 1  # pick and refit this many times (each round picks from the last fit)

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
        voted document keeps its cold-start score exactly. ``FB_C`` is weak (200): the logistic
        loss saturates, so a vote still moves its own document only a few logit units past the
        boundary, while the former 30 shrank the correction more than the votes warrant (with
        30 random votes and self-training, F1 rose on all five Reuters topics). It holds with few
        votes too (random votes on the even rows: 4 0.756 -> 0.760, 8 0.765 -> 0.768, 10 0.769 ->
        0.791). Chosen together with ``ST_POS``/``ST_NEG`` below, see there.

        Self-training (given a ``pool`` and ``ST_MIN_VOTES`` votes): the pool's documents are scored
        with the vote-corrected model; the ``ST_POS`` most confident above ``ST_POS_LOGIT`` and the
        ``ST_NEG`` highest at or below ``ST_NEG_LOGIT`` (the confident negatives nearest the
        boundary) are added as labels of weight ``ST_WEIGHT`` and the correction refitted once.
        Thirty votes touch a few hundred terms; the pseudo-labels carry the correction to the
        vocabulary that comes with them (on Reuters, 15+15 random votes: F1 0.770 -> 0.783; see
        the classifiers README). The pseudo-labels' share of the weights is kept apart
        (``st_weights_``) so that ``signals why`` shows it as its own line. The parameters were
        tuned on half of Reuters TRAIN (even rows, seeds 10-15), then ``FB_C`` 30 -> 200 with
        ``ST_POS``/``ST_NEG`` 30 -> 60 on the even rows, seeds 3-16, both protocols of ``signals
        eval feedback`` (random votes 0.793 -> 0.807, stream 0.792 -> 0.798) and checked on the
        odd rows (0.769 -> 0.783, 0.786 -> 0.789); the README reports seeds 0-2.

        Solved in the dual (``w`` is a combination of the labelled documents), so the cost depends
        on their number only: a Newton step is one n×n solve.
        """
        self.fb_dirty_ = False
        labels = self.labels_[-self.FB_MAX_LABELS:]
        self.fb_weights_, self.st_weights_ = {}, {}
        self.pseudo_ = (0, 0)
        if not labels:
            return
        docs = [d for d, _ in labels]
        cold = np.array([self._cold(d) for d in docs])
        y = np.array([1.0 if lab else 0.0 for _, lab in labels])
        w, _ = fit_correction(docs, cold, y, self.FB_C)
        st: dict[str, float] = {}
        pool = self._pool_docs(docs)
        if pool and len(labels) >= self.ST_MIN_VOTES:
            pool_cold = np.array([self._cold(d) for d in pool])
            for _ in range(self.ST_ROUNDS):
                logits = pool_cold + np.array([dot(w, d) for d in pool])
                pos, neg = pseudo_labels(logits, self.ST_POS, self.ST_NEG, self.ST_POS_LOGIT, self.ST_NEG_LOGIT)
                if not pos and not neg:
                    break
                extra = pos + neg
                w, st = fit_correction(docs + [pool[i] for i in extra], np.concatenate([cold, pool_cold[extra]]),
                                       np.concatenate([y, np.ones(len(pos)), np.zeros(len(neg))]), self.FB_C,
                                       np.concatenate([np.ones(len(labels)), np.full(len(extra), self.ST_WEIGHT)]),
                                       split=len(labels))
                self.pseudo_ = (len(pos), len(neg))
        self.fb_weights_, self.st_weights_ = w, st

    def _cold(self, d: DocTerms) -> float:
        """The cold-start logit, remembered for the pool's documents (they are scored at every refit)."""
        hit = self.cold_memo_.get(id(d))
        if hit is not None and hit[0] is d:
            return hit[1]
        v = self.cold_logit(self.features(d))[0]
        self.cold_memo_[id(d)] = (d, v)
        return v

    def _pool_docs(self, voted: list[DocTerms]) -> list[DocTerms]:
        """The pool's documents that were not voted on (the same text counts as voted); the
        cold-logit memo is trimmed to them, so it stays as bounded as the pool."""
        if not self.pool:
            self.cold_memo_.clear()
            return []
        seen = {d.joined for d in voted}
        out = [d for d in self.pool if d.joined not in seen]
        keep = {id(d) for d in out} | {id(d) for d in voted}
        self.cold_memo_ = {k: v for k, v in self.cold_memo_.items() if k in keep}
        return out

    def _feedback_logit(self, d: DocTerms) -> float:
        """``w · unit(d)``, iterating over the document's terms only (a few µs)."""
        return dot(self.fb_weights_, d)

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
            st = dot(self.st_weights_, d) if self.st_weights_ else 0.0
            contrib.append(Contribution("feedback", fb - st))
            if st:
                contrib.append(Contribution("self-training", st))
            logit += fb
        p = _sigmoid(logit)
        if f["excluded_terms"]:
            p = min(p, 0.2)
        contrib.sort(key=lambda c: -abs(c.weight))
        return p, contrib


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0) for k, v in a.items() if k not in STOPWORDS)
    na = math.sqrt(sum(v * v for k, v in a.items() if k not in STOPWORDS))
    nb = math.sqrt(sum(v * v for k, v in b.items() if k not in STOPWORDS))
    return dot / (na * nb) if na and nb else 0.0
