"""Feature transformers used to train the domain model (``linear_text`` compiles them away).

``EmbeddingMean`` averages pretrained word vectors (GloVe 6B 50d, public domain, PDDL 1.0),
weighted towards rarer words, then L2-normalises. With a few thousand labelled articles, the
vectors carry what the labels cannot: that "striker" and "goalkeeper" are both football. Only
the vocabulary needed is kept (float16), which keeps the model file small.

``EmbeddingClusters`` is the same knowledge as a bag of word clusters (k-means over the same
vectors, the classic "word classes" trick for small labelled sets): a word never seen in
training still lands in the cluster of its neighbours, and each cluster gets its own weight
per class, which a single linear map of the mean vector cannot express.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.base import BaseEstimator, TransformerMixin

from classifiers.linear_text import WORD_PATTERN

__all__ = ["EmbeddingClusters", "EmbeddingMean", "cluster_words", "head_chars"]

_WORD = re.compile(WORD_PATTERN)


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


def cluster_words(vectors: np.ndarray, n_clusters: int = 2000, seed: int = 0) -> np.ndarray:
    """k-means cluster id per word (cosine: vectors L2-normalised first). Unsupervised and from the
    vectors alone (no training text), so it is computed once, outside cross-validation folds."""
    from sklearn.cluster import MiniBatchKMeans

    v = np.asarray(vectors, dtype=np.float32)
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-6)
    km = MiniBatchKMeans(n_clusters, random_state=seed, batch_size=8192, n_init=1, max_iter=50)
    return km.fit(v).labels_.astype(np.int32)


class EmbeddingClusters(BaseEstimator, TransformerMixin):
    """Sublinear TF-IDF over word clusters: ``vocab`` (most frequent first) and ``clusters`` (one id
    per vocab word, from ``cluster_words``) are given; ``fit`` learns the clusters' idf.

    Reads the words ``skip:max_words`` of ``vocab``, as ``EmbeddingMean`` does, so that the compiled
    model looks each word up once for both blocks."""

    def __init__(self, vocab: list[str] | None = None, clusters: np.ndarray | None = None,
                 max_words: int = 40000, skip: int = 50) -> None:
        self.vocab = vocab
        self.clusters = clusters
        self.max_words = max_words
        self.skip = skip

    def _counts(self, X: Iterable[str]) -> csr_matrix:
        index = self.index_
        ids: list[int] = []
        ptr = [0]
        for t in X:
            ids += [i for i in map(index.get, _WORD.findall(t.lower())) if i is not None]
            ptr.append(len(ids))
        M = csr_matrix((np.ones(len(ids)), np.asarray(ids, dtype=np.int64), np.asarray(ptr)),
                       shape=(len(ptr) - 1, self.n_clusters_))
        M.sum_duplicates()
        return M

    def fit(self, X: Iterable[str], y: object = None) -> EmbeddingClusters:
        if self.vocab is None or self.clusters is None:
            raise ValueError("EmbeddingClusters needs vocab and clusters")
        n = min(self.max_words, len(self.vocab))
        cl = np.asarray(self.clusters)
        self.index_ = {w: int(c) for w, c in zip(self.vocab[self.skip:n], cl[self.skip:n], strict=True)}
        self.n_clusters_ = int(cl.max()) + 1
        M = self._counts(X)
        df = np.bincount(M.indices, minlength=self.n_clusters_)
        self.idf_ = (np.log((1 + M.shape[0]) / (1 + df)) + 1).astype(np.float32)  # scikit-learn's smooth idf
        return self

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        if "index_" in state:
            state["vocab"] = state["clusters"] = None
        return state

    def transform(self, X: Iterable[str]) -> csr_matrix:
        M = self._counts(X)
        M.data = (np.log(M.data) + 1.0) * self.idf_[M.indices]
        norms = np.sqrt(np.asarray(M.multiply(M).sum(1)).ravel())
        norms[norms == 0] = 1.0
        return csr_matrix(M.multiply(1.0 / norms[:, None]))
