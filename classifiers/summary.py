"""Extractive summary: the two or three sentences that carry the article, never boilerplate.

Each sentence gets a few cheap features (position, length, overlap with the article's
word centroid and with the title, quotes, numbers); a linear model over them, fitted by
``signals train`` on BBC reference summaries (sentence in the reference or not), ranks
them. Without a trained model the built-in weights (centroid + lead) are used.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from classifiers.text import STOPWORDS, is_boilerplate, sentences

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
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
    out: list[tuple[str, bool]] = []
    t = title.strip().lower()
    for para in text.split("\n"):
        for i, s in enumerate(sentences(para)):
            if len(s) < 25 or (t and s.lower() == t):
                continue
            out.append((s, i == 0))
            if len(out) >= MAX_SENTENCES:
                return out
    return out


def sentence_features(title: str, cands: Sequence[tuple[str, bool]]) -> np.ndarray:
    words = [set(_WORD.findall(s.lower())) - STOPWORDS for s, _ in cands]
    centroid: Counter[str] = Counter()
    for ws in words:
        centroid.update(ws)
    title_words = set(_WORD.findall(title.lower())) - STOPWORDS
    n_title = len(title_words) or 1
    n = len(cands)
    norm = 1.0 / max(1, n)
    rows = []
    get = centroid.__getitem__
    for i, ((s, para_start), ws) in enumerate(zip(cands, words, strict=True)):
        k = len(ws)
        cen = (sum(map(get, ws)) - k) * norm / math.sqrt(k) if k and n > 1 else 0.0
        rows.append((1.0, i == 0, i / max(1, n - 1), math.log1p(i), min(len(s), 400) / 200.0, len(s) < 60, cen,
                     len(ws & title_words) / n_title, s[:1] in "\"'“‘", _DIGIT.search(s) is not None,
                     s.endswith("?"), para_start))
    return np.array(rows, dtype=np.float64)


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

    def summarize(self, title: str, text: str) -> tuple[list[str], list[int]]:
        cands = candidate_sentences(title, text)
        if not cands:
            s = text.strip().split("\n")[0] if text.strip() else ""
            return ([_clip(s)] if len(s) >= 25 and not is_boilerplate(s) else []), []
        X = sentence_features(title, cands)
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
    if len(s) <= MAX_CHARS:
        return s
    cut = s[: MAX_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
