"""Domain (business, technology, world, ...): a linear model over words and word vectors.

The fitted scikit-learn pipeline is shipped in ``models/domain.joblib`` (``signals train``).
Its input is the title and lead (``features.lead_text``): the domain is decided early in a
news text and reading less keeps scoring fast. Probabilities are a softmax over the SVM's
margins (calibrated by ``temperature_`` at training time); the explanation lists the words
that pushed the winning class most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from classifiers.text import lead_text
from classifiers.types import Contribution

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = ["DomainModel", "DomainResult"]


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

    def predict(self, titles: Sequence[str], texts: Sequence[str], explain: int = 4) -> list[DomainResult]:
        if not titles:
            return []
        X = self.pipeline.named_steps["union"].transform([lead_text(t, x) for t, x in zip(titles, texts, strict=True)])
        margins = np.asarray(self._clf.decision_function(X))
        z = margins / self.temperature
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        best = p.argmax(axis=1)
        classes = self._clf.classes_
        coef = self._clf.coef_
        Xw = X.tocsr()[:, : self._n_words] if explain else None
        out = []
        for i, k in enumerate(best):
            contrib: list[Contribution] = []
            if Xw is not None:
                row = Xw[i]
                if row.nnz:
                    w = row.data * coef[k, row.indices]
                    top = np.argsort(-np.abs(w))[:explain]
                    contrib = [Contribution(str(self._vocab[row.indices[j]]), float(w[j])) for j in top]
            out.append(DomainResult(str(classes[k]), float(p[i, k]), contrib))
        return out
