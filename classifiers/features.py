"""Feature transformers shipped inside the model files (so they must stay importable here).

``EmbeddingMean`` averages pretrained word vectors (GloVe 6B 50d, public domain, PDDL 1.0),
weighted towards rarer words, then L2-normalises. With a few thousand labelled articles, the
vectors carry what the labels cannot: that "striker" and "goalkeeper" are both football. Only
the vocabulary needed is kept (float16), which keeps the model file small.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["EmbeddingMean", "head_chars"]

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def head_chars(texts: Iterable[str], n: int = 160) -> list[str]:
    """The first ``n`` characters (the title twice and the start of the lead): what the character
    n-grams read. Character n-grams catch word forms and names the word features miss, and
    reading only the head keeps them cheap on long articles."""
    return [t[:n] for t in texts]


class EmbeddingMean(BaseEstimator, TransformerMixin):
    """Rank-weighted mean of word vectors, as a sparse row (to sit in a FeatureUnion).

    ``vocab`` (word list, most frequent first) and ``vectors`` are given, not learned; ``fit``
    keeps only the ``max_words`` most frequent words, skipping the ``skip`` commonest.
    """

    def __init__(self, vocab: list[str] | None = None, vectors: np.ndarray | None = None,
                 max_words: int = 40000, skip: int = 50, scale: float = 1.0) -> None:
        self.vocab = vocab
        self.vectors = vectors
        self.max_words = max_words
        self.skip = skip
        self.scale = scale

    def fit(self, X: Iterable[str], y: object = None) -> EmbeddingMean:
        if self.vocab is None or self.vectors is None:
            raise ValueError("EmbeddingMean needs vocab and vectors")
        n = min(self.max_words, len(self.vocab))
        self.index_ = {w: i for i, w in enumerate(self.vocab[self.skip:n])}
        self.weights_ = np.log1p(np.arange(self.skip, n, dtype=np.float32))
        self.table_ = (np.asarray(self.vectors[self.skip:n], dtype=np.float32)
                       * self.weights_[:, None]).astype(np.float16)
        self.dim_ = self.table_.shape[1]
        return self

    def __getstate__(self) -> dict[str, object]:
        # the full input table is not needed once fitted: keep the pickle small
        state = dict(self.__dict__)
        if "table_" in state:
            state["vocab"] = state["vectors"] = None
        return state

    def transform(self, X: Iterable[str]) -> csr_matrix:
        docs = list(X)
        out = np.zeros((len(docs), self.dim_), dtype=np.float32)
        index, table = self.index_, self.table_
        for k, t in enumerate(docs):
            ids = [i for i in map(index.get, _WORD.findall(t.lower())) if i is not None]
            if ids:
                v = table[ids].astype(np.float32).sum(0)
                norm = float(np.linalg.norm(v))
                if norm:
                    out[k] = v * (self.scale / norm)
        return csr_matrix(out)
