"""Unsupervised term associations for cold-start topic expansion (no labels used).

LSA over news text: TF-IDF on stemmed words, truncated SVD, then each term's nearest terms
by cosine in the latent space. A topic with keywords ``oil, opec`` thereby also counts
``refinery``, ``bpd`` and ``saudi`` as (weaker) evidence, which finds articles that do not
repeat the exact keywords. Trained by ``signals train`` from every text in ``--data``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from classifiers import datasets
from classifiers.models import MODEL_DIR, save_artifact
from classifiers.text import STOPWORDS, stem, tokens

__all__ = ["Associations", "corpus", "neighbours", "train_associations"]


class Associations:
    """Term → {associated term: cosine}, stored as arrays (fast to load); rows built on demand."""

    def __init__(self, terms: list[str], index: np.ndarray, weights: np.ndarray) -> None:
        self.terms = terms
        self.index = index
        self.weights = weights
        self._row = {t: i for i, t in enumerate(terms)}

    @classmethod
    def from_dict(cls, nb: dict[str, dict[str, float]]) -> Associations:
        terms = sorted(set(nb) | {t for row in nb.values() for t in row})
        pos = {t: i for i, t in enumerate(terms)}
        width = max((len(r) for r in nb.values()), default=0)
        index = np.full((len(terms), width), -1, dtype=np.int32)
        weights = np.zeros((len(terms), width), dtype=np.float16)
        for t, row in nb.items():
            for j, (u, w) in enumerate(sorted(row.items(), key=lambda kv: -kv[1])):
                index[pos[t], j] = pos[u]
                weights[pos[t], j] = w
        return cls(terms, index, weights)

    def get(self, term: str) -> dict[str, float]:
        i = self._row.get(term)
        if i is None:
            return {}
        return {self.terms[j]: float(w) for j, w in zip(self.index[i], self.weights[i], strict=True) if j >= 0}


def corpus(data: Path) -> list[str]:
    """All unlabelled news text under ``data`` (labels are not read)."""
    texts = [r.title + "\n" + r.text for r in datasets.reuters_all(data)]
    texts += [r.title + "\n" + r.text for r in datasets.ag_news(data)]
    texts += [r.title + "\n" + r.text for r in datasets.bbc(data)]
    return texts


def _analyzer(text: str) -> list[str]:
    return [stem(w) for w in tokens(text) if w not in STOPWORDS and len(w) > 1 and not w.isdigit()]


def neighbours(texts: list[str], dims: int = 150, min_df: int = 5, top: int = 25,
               min_cos: float = 0.35, max_df: float = 0.2) -> dict[str, dict[str, float]]:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer=_analyzer, min_df=min_df, max_df=max_df, sublinear_tf=True, dtype=np.float32)
    X = vec.fit_transform(texts)
    svd = TruncatedSVD(dims, random_state=0).fit(X)
    T = (svd.components_.T * svd.singular_values_).astype(np.float32)
    T /= np.linalg.norm(T, axis=1, keepdims=True) + 1e-9
    vocab = vec.get_feature_names_out()
    out: dict[str, dict[str, float]] = {}
    for start in range(0, len(vocab), 2048):
        sims = T[start:start + 2048] @ T.T
        for i, row in enumerate(sims):
            a = start + i
            row[a] = -1
            idx = np.argpartition(-row, min(top, len(row) - 1))[:top]
            keep = {str(vocab[j]): round(float(row[j]), 3) for j in idx if row[j] >= min_cos}
            if keep:
                out[str(vocab[a])] = keep
    return out


def train_associations(data: Path, out: Path = MODEL_DIR) -> dict[str, Any]:
    texts = corpus(data)
    nb = neighbours(texts)
    meta = {"data": ["reuters21578 (text only)", "ag_news (text only)", "bbc_news_summary (text only)"],
            "rows": len(texts), "params": {"method": "LSA", "dims": 150, "top": 25, "min_cos": 0.35},
            "scores": {"terms": len(nb)}}
    a = Associations.from_dict(nb)
    save_artifact("associations", {"terms": a.terms, "index": a.index, "weights": a.weights}, meta, out)
    return meta
