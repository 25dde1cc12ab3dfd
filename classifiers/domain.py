"""Domain (business, technology, world, ...): a linear model over words and word vectors.

The fitted scikit-learn pipeline is shipped in ``models/domain.pkl`` (``signals train``).
Its input is the title and lead (``features.lead_text``): the domain is decided early in a
news text and reading less keeps scoring fast. Probabilities are a softmax over the SVM's
margins (calibrated by ``temperature_`` at training time); the explanation lists the words
that pushed the winning class most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from classifiers.text import lead_text
from classifiers.types import Contribution

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = ["DomainModel", "DomainResult", "margins_2d"]


def margins_2d(margins: np.ndarray) -> np.ndarray:
    """One column per class, also for a two-class model (whose decision_function is 1-D)."""
    m = np.asarray(margins)
    return np.column_stack([-m / 2, m / 2]) if m.ndim == 1 else m


@dataclass(frozen=True, slots=True)
class DomainResult:
    label: str
    prob: float
    contributions: list[Contribution]


class DomainModel:
    """Wraps the fitted pipeline (``union`` of ``words`` + ``emb``, then ``clf``)."""

    def __init__(self, pipeline: Pipeline, temperature: float = 1.0) -> None:
        self.pipeline = pipeline
        self.temperature = temperature
        union = pipeline.named_steps["union"]
        self._words = dict(union.transformer_list)["words"]
        self._clf = pipeline.named_steps["clf"]
        self._vocab = self._words.get_feature_names_out()
        self._n_words = len(self._vocab)
        coef = self._clf.coef_
        self._coef = np.vstack([-coef[0], coef[0]]) if coef.shape[0] == 1 else coef

    def predict(self, titles: Sequence[str], texts: Sequence[str], explain: int = 4) -> list[DomainResult]:
        if not titles:
            return []
        X = self.pipeline.named_steps["union"].transform([lead_text(t, x) for t, x in zip(titles, texts, strict=True)])
        margins = margins_2d(self._clf.decision_function(X))
        z = margins / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        best = p.argmax(axis=1)
        classes = self._clf.classes_
        contribs = self._explain(X.tocsr(), best, explain) if explain else [[] for _ in titles]
        out = [DomainResult(str(classes[k]), float(p[i, k]), contribs[i]) if (titles[i].strip() or texts[i].strip())
               else DomainResult("other", 0.0, []) for i, k in enumerate(best)]  # nothing to read: no guess
        return out

    def _explain(self, X: Any, best: np.ndarray, top: int) -> list[list[Contribution]]:
        """Per row, the word features with the largest |tf-idf × weight| for the predicted class."""
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        cols = X.indices
        words = cols < self._n_words
        vals = np.where(words, X.data * self._coef[best[rows], np.minimum(cols, self._n_words - 1)], 0.0)
        out = []
        for i in range(X.shape[0]):
            a, b = X.indptr[i], X.indptr[i + 1]
            seg = vals[a:b]
            order = np.argsort(-np.abs(seg))[:top]
            out.append([Contribution(str(self._vocab[cols[a + j]]), float(seg[j])) for j in order if seg[j]])
        return out
