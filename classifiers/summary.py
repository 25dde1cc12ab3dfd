"""Extractive summary: the two or three sentences that carry the article, never boilerplate.

Each sentence gets a few cheap features (position, length, overlap with the article's
word centroid and with the title, quotes, numbers); a linear model over them, fitted by
``signals train`` on BBC reference summaries (sentence in the reference or not), ranks
them. Without a trained model the built-in weights (centroid + lead) are used.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain, filterfalse, repeat

import numpy as np

from classifiers import _fast
from classifiers.sentences import is_boilerplate, split_sentences, strip_dateline
from classifiers.text import STOPWORDS, tokens

_DIGIT = re.compile(r"\d")

__all__ = ["FEATURES", "SentenceRanker", "candidate_sentences", "sentence_features"]

FEATURES = ("bias", "first", "position", "log_position", "length", "short", "centroid", "title_overlap",
            "quote", "digits", "question", "paragraph_start")
_DEFAULT = np.array([0.0, 1.0, -1.0, -0.3, 0.3, -1.0, 3.0, 1.0, -0.3, 0.2, -1.0, 0.2])
MAX_CHARS = 280
MAX_SENTENCES = 40  # beyond this the lead-heavy ranker never picks them; skipping saves time on long texts


def candidate_sentences(title: str, text: str) -> list[tuple[str, bool]]:
    """Sentences worth considering, with whether each starts a paragraph; drops the repeated title.
    Boilerplate is filtered later, on the few sentences that rank high (it is rare and the test costs)."""
    sents, first, _ = split_sentences(text, with_tokens=False)
    return [(sents[i], first[i]) for i in _candidates(title, sents)]


def _candidates(title: str, sents: Sequence[str]) -> list[int]:
    """Indices of the candidate sentences among all of the text's (``candidate_sentences``)."""
    out: list[int] = []
    t = title.strip().lower()
    n_t = len(t)
    for i, s in enumerate(sents):
        # (lower-casing keeps an ASCII sentence's length: only a same-length one can be the title)
        if len(s) < 25 or (t and (len(s) == n_t or not s.isascii()) and s.lower() == t):
            continue
        out.append(i)
        if len(out) >= MAX_SENTENCES:
            break
    return out


def sentence_features(title: str, cands: Sequence[tuple[str, bool]],
                      words: Sequence[Sequence[str]] | None = None) -> np.ndarray:
    """One row of ``FEATURES`` per candidate, filled column by column (a Python tuple per sentence
    and ``np.array`` over them cost more than the features themselves). ``words`` are the
    candidates' lower-case tokens when the caller has them (``split_sentences``)."""
    sents = [s for s, _ in cands]
    n = len(cands)
    if not n:
        return np.empty((0, len(FEATURES)), dtype=np.float64)
    stop = STOPWORDS
    if words is None:
        words = list(map(tokens, sents))
    X = _positions(n).copy()  # bias, first, position, log_position: the same for every text of n sentences
    marks = np.frombuffer(_sentence_marks(sents), dtype=np.float64).reshape(n, 4)
    lens = marks[:, 0]
    X[:, 4] = np.minimum(lens, 400.0) / 200.0
    X[:, 5] = lens < 60
    X[:, 6], X[:, 7] = _word_stats(list(words), stop, set(tokens(title)) - stop)
    X[:, 8:11] = marks[:, 1:]  # quote, digits, question
    X[:, 11] = [p for _, p in cands]
    return X


def _py_sentence_marks(sents: list[str]) -> bytes:
    """Per sentence ``[len, opens with a quote, has a digit, ends with "?"]`` as float64 bytes (n x 4):
    the features read off the sentence's characters, in one buffer the core can fill in one pass."""
    return np.array([(len(s), s[:1] in "\"'“‘", _has_digit(s), s.endswith("?")) for s in sents],
                    dtype=np.float64).tobytes()


_sentence_marks = _fast.pick("sentence_marks", _py_sentence_marks)  # (``_fast`` decides which)


def _py_word_stats(words: Sequence[Sequence[str]], stop: frozenset[str],
                   title_words: set[str]) -> tuple[list[float], list[float]]:
    """The centroid and title-overlap features of sentences given their tokens: each sentence's
    content words (a set), then how many other sentences share them (summed, per sentence of
    ``n``, over the square root of its word count) and the share of the title's content words
    it holds. The compiled core's ``word_stats`` does the same arithmetic in the same order."""
    n = len(words)
    # each sentence's content words; filterfalse drops stopwords in C, before the set is built
    ws_all = list(map(set, map(filterfalse, repeat(stop.__contains__), words)))
    n_title = len(title_words) or 1
    if n > 1:
        get = Counter(chain.from_iterable(ws_all)).__getitem__  # in how many sentences each word occurs
        norm, sqrt = 1.0 / n, math.sqrt
        cent = [(sum(map(get, ws)) - len(ws)) * norm / sqrt(len(ws)) if ws else 0.0 for ws in ws_all]
    else:
        cent = [0.0] * n
    return cent, [len(ws & title_words) / n_title for ws in ws_all]


_word_stats = _fast.pick("word_stats", _py_word_stats)  # (``_fast`` decides which)

_DIGITS = b"0123456789"


def _has_digit(s: str) -> bool:
    """``\\d`` in ``s``. An ASCII sentence has one exactly when deleting the ASCII digits (one C pass
    over bytes) shortens it: ~4x cheaper than the regex, whose Unicode digit test per character
    was a large part of the summary features. Other text keeps the regex (other scripts' digits)."""
    if s.isascii():
        return len(s.encode("ascii").translate(None, _DIGITS)) != len(s)
    return _DIGIT.search(s) is not None


@functools.cache
def _positions(n: int) -> np.ndarray:
    X = np.zeros((n, len(FEATURES)), dtype=np.float64)
    X[:, 0] = 1.0
    X[0, 1] = 1.0
    X[:, 2] = [i / max(1, n - 1) for i in range(n)]
    X[:, 3] = [math.log1p(i) for i in range(n)]
    X.flags.writeable = False
    return X


@dataclass(slots=True)
class SentenceRanker:
    """Linear sentence scorer; ``coef_`` is learned by ``fit`` (logistic regression)."""

    n_bullets: int = 3
    coef_: np.ndarray = field(default_factory=lambda: _DEFAULT.copy())

    def fit(self, X: np.ndarray, y: np.ndarray) -> SentenceRanker:
        from sklearn.linear_model import LogisticRegression

        m = LogisticRegression(C=1.0, max_iter=1000, fit_intercept=False).fit(X, y)
        self.coef_ = m.coef_[0].copy()
        return self

    def summarize(self, title: str, text: str,
                  split: tuple[list[str], list[bool], list[list[str]]] | None = None) -> tuple[list[str], list[int]]:
        """Up to ``n_bullets`` sentences in text order, and their indices among the candidates.
        ``split`` is ``split_sentences(text)`` when the caller has it (the scorer shares it)."""
        sents, first, toks = split if split is not None else split_sentences(text)
        idx = _candidates(title, sents)
        if not idx:
            s = text.strip().split("\n")[0] if text.strip() else ""
            return ([_clip(s)] if len(s) >= 25 and not is_boilerplate(s) else []), []
        cands = [(sents[i], first[i]) for i in idx]
        X = sentence_features(title, cands, [toks[i] for i in idx])
        order = np.argsort(-(X @ self.coef_), kind="stable").tolist()
        top: list[int] = []
        for i in order:  # boilerplate is checked only on the best few: most sentences are never looked at
            if not is_boilerplate(cands[i][0]):
                top.append(i)
                if len(top) == self.n_bullets:
                    break
        top.sort()
        return [_clip(cands[i][0]) for i in top], top


def _clip(s: str) -> str:
    """The bullet as shown: without a wire dateline, at most ``MAX_CHARS`` (cut at a word, with "…")."""
    s = strip_dateline(s)
    if len(s) <= MAX_CHARS:
        return s
    cut = s[: MAX_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
