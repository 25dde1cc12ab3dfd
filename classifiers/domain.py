"""Domain (business, technology, world, ...): a linear model over words and word vectors.

``signals train`` fits a scikit-learn pipeline and ships it compiled to plain arrays
(``linear_text``) in ``models/domain.pkl``.
Its input is the title and lead (``text.lead_text``, ``LinearText.lead_chars`` of the text: 400
since the model learned from it): the domain is decided early in a news text (the first 400
characters hold the first two or three sentences, and 99% of AG News descriptions whole), and
reading less keeps scoring fast: the cost is per token. Probabilities are a softmax over the SVM's
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

    from classifiers.linear_text import LinearText

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
    """The compiled linear model (``linear_text.LinearText``), softmax over its margins, explanations."""

    def __init__(self, model: LinearText, temperature: float = 1.0) -> None:
        self.model = model
        self.temperature = temperature
        self._vocab: list[str] | None = None
        self._coef = model.word_coef  # (Vw, C)
        self._lettered: np.ndarray | None = None  # per word column: does the feature hold a letter?

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline, temperature: float = 1.0) -> DomainModel:
        """From a fitted scikit-learn pipeline (an older model file, or straight after training)."""
        from classifiers.linear_text import compile_pipeline

        return cls(compile_pipeline(pipeline), temperature)

    def predict(self, titles: Sequence[str], texts: Sequence[str], explain: int = 4) -> list[DomainResult]:
        if not titles:
            return []
        lead = self.model.lead_chars
        margins, X = self.model.margins([lead_text(t, x, lead) for t, x in zip(titles, texts, strict=True)])
        z = margins / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        best = p.argmax(axis=1)
        classes = self.model.classes
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))  # the row of each stored value
        contribs = self._explain(X, rows, best, explain) if explain else [[] for _ in titles]
        readable = self._readable(X, rows)
        return [DomainResult(classes[k], float(p[i, k]), contribs[i]) if readable[i]
                else DomainResult("other", 0.0, []) for i, k in enumerate(best)]  # nothing to read: no guess

    def _words(self) -> list[str]:
        """The word block's feature names (read from the model once, when first needed)."""
        if self._vocab is None:
            self._vocab = self.model.word_names()
        return self._vocab

    def _readable(self, X: Any, rows: np.ndarray) -> np.ndarray:
        """Per row, whether the model knows one of its words (not only numbers). Why: an article in
        a script the model cannot read (Japanese, Russian) is left with "0", "5" or "21"; the margins of
        those alone said "sports" at 0.70 for a central bank's rate rise."""
        if self._lettered is None:
            self._lettered = self.model.lettered()
        out = np.zeros(X.shape[0], dtype=bool)
        out[rows[self._lettered[X.indices]]] = True
        return out

    def _explain(self, X: Any, rows: np.ndarray, best: np.ndarray, top: int) -> list[list[Contribution]]:
        """Per row, the word features with the largest |tf-idf × weight| for the predicted class.
        One sort for the whole batch (by row, then by |contribution|), not one per row."""
        n = X.shape[0]
        vals = X.data * self._coef[X.indices, best[rows]]
        order = np.lexsort((-np.abs(vals), rows))
        rank = np.arange(len(order)) - X.indptr[rows[order]]  # rows[order] == rows: CSR rows are ascending
        keep = order[(rank < top) & (vals[order] != 0)]
        out: list[list[Contribution]] = [[] for _ in range(n)]
        vocab = self._words()
        for r, c, v in zip(rows[keep].tolist(), X.indices[keep].tolist(), vals[keep].tolist(), strict=True):
            out[r].append(Contribution(vocab[c], v))
        return out
