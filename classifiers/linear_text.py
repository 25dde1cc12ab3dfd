"""The domain model compiled to plain arrays: same margins as the scikit-learn pipeline, ~10x cheaper.

Training builds a scikit-learn pipeline (word 1-2-gram TF-IDF + character 2-5-gram TF-IDF of the
head + mean word vectors, then a linear SVM). Scoring does not need scikit-learn: ``compile_pipeline``
turns the fitted pipeline into vocabularies (dicts), idf and class-weight arrays, and
``LinearText.margins`` rebuilds the same sparse rows for a whole batch in one pass (tokenise with
one regex, look n-grams up with ``map(dict.get)``, one CSR matrix, sublinear tf x idf, L2 per
block, one sparse x dense product). The shipped file then holds only dicts and numpy arrays, so
loading it imports neither scikit-learn nor its pickles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

__all__ = ["LinearText", "compile_pipeline"]

_WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_EMB_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")  # features.EmbeddingMean's tokens


@dataclass(slots=True)
class LinearText:
    """A linear classifier over (word TF-IDF | char_wb TF-IDF of the head | mean word vectors)."""

    classes: list[str]
    intercept: np.ndarray  # (C,)
    word_vocab: dict[str, int]  # insertion order == column order
    word_idf: np.ndarray
    word_coef: np.ndarray  # (Vw, C)
    char_vocab: dict[str, int]
    char_idf: np.ndarray
    char_coef: np.ndarray  # (Vc, C)
    emb_index: dict[str, int]
    emb_table: np.ndarray  # (E, dim) float16, rank weights folded in
    emb_coef: np.ndarray  # (dim, C)
    emb_scale: float = 1.0
    head_chars: int = 160
    char_range: tuple[int, int] = (2, 5)
    char_cache: dict[str, list[int]] = field(default_factory=dict, repr=False)  # word -> its n-gram ids

    def to_state(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if k != "char_cache"}  # type: ignore[attr-defined]

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LinearText:
        return cls(**state)

    def word_names(self) -> list[str]:
        return list(self.word_vocab)

    def margins(self, texts: Sequence[str]) -> tuple[np.ndarray, csr_matrix]:
        """Class margins (n, C) and the word block's TF-IDF rows (for explanations)."""
        wget, eget = self.word_vocab.get, self.emb_index.get
        cache = self._char_cache()
        cget = cache.get
        w_ids: list[int] = []
        c_ids: list[int] = []
        e_ids: list[int] = []
        w_ptr, c_ptr, e_ptr = [0], [0], [0]
        for t in texts:
            low = t.lower()
            toks = _WORD_TOKEN.findall(low)
            w_ids += [i for i in map(wget, toks) if i is not None]
            w_ids += [i for i in map(wget, map(" ".join, pairwise(toks))) if i is not None]
            w_ptr.append(len(w_ids))
            for w in t[: self.head_chars].lower().split():  # char n-grams never cross words: cache per word
                ids = cget(w)
                if ids is None:
                    ids = self._word_grams(w, cache)
                c_ids += ids
            c_ptr.append(len(c_ids))
            e_ids += [i for i in map(eget, _EMB_WORD.findall(low)) if i is not None]
            e_ptr.append(len(e_ids))
        Xw = _tfidf(w_ids, w_ptr, self.word_idf)
        Xc = _tfidf(c_ids, c_ptr, self.char_idf)
        m = Xw @ self.word_coef + Xc @ self.char_coef + self._embed(e_ids, e_ptr) @ self.emb_coef + self.intercept
        return np.asarray(m, dtype=np.float64), Xw

    def _char_cache(self) -> dict[str, list[int]]:
        if len(self.char_cache) > 300_000:  # bounded: a long-running bot sees endless new words
            self.char_cache.clear()
        return self.char_cache

    def _word_grams(self, w: str, cache: dict[str, list[int]]) -> list[int]:
        """char_wb n-gram ids of one word (padded with a space each side, as scikit-learn does)."""
        s = f" {w} "
        lo, hi = self.char_range
        cget = self.char_vocab.get
        ids = [i for i in map(cget, [s[i:i + n] for n in range(lo, hi + 1) for i in range(len(s) - n + 1)])
               if i is not None]
        cache[w] = ids
        return ids

    def _embed(self, ids: list[int], ptr: list[int]) -> np.ndarray:
        """Per row, the L2-normalised sum of its words' (rank-weighted) vectors, times ``emb_scale``."""
        n = len(ptr) - 1
        out = np.zeros((n, self.emb_table.shape[1]), dtype=np.float64)
        if ids:
            p = np.asarray(ptr)
            full = np.flatnonzero(np.diff(p))  # rows with words; reduceat needs non-empty segments
            out[full] = np.add.reduceat(self.emb_table[np.asarray(ids)].astype(np.float32), p[full], axis=0)
            norms = np.linalg.norm(out, axis=1)
            ok = norms > 0
            out[ok] *= (self.emb_scale / norms[ok])[:, None]
        return out


def _tfidf(ids: list[int], ptr: list[int], idf: np.ndarray) -> csr_matrix:
    """Rows of counts -> (1 + log tf) * idf, L2-normalised (scikit-learn's sublinear TF-IDF)."""
    n = len(ptr) - 1
    X = csr_matrix((np.ones(len(ids), dtype=np.float64), np.asarray(ids, dtype=np.int32),
                    np.asarray(ptr, dtype=np.int32)), shape=(n, len(idf)))
    X.sum_duplicates()
    X.data = (np.log(X.data) + 1.0) * idf[X.indices]
    rows = np.repeat(np.arange(n), np.diff(X.indptr))
    norms = np.sqrt(np.bincount(rows, weights=X.data * X.data, minlength=n))
    norms[norms == 0] = 1.0
    X.data /= norms[rows]
    return X


def compile_pipeline(pipeline: Any) -> LinearText:
    """The fitted ``Pipeline([("union", FeatureUnion([words, chars, emb])), ("clf", LinearSVC)])``
    as plain arrays (see ``train.build_domain_pipeline``)."""
    union = dict(pipeline.named_steps["union"].transformer_list)
    words, chars, emb = union["words"], union["chars"].steps[-1][1], union["emb"]
    clf = pipeline.named_steps["clf"]
    coef = np.asarray(clf.coef_, dtype=np.float64)
    intercept = np.asarray(clf.intercept_, dtype=np.float64)
    if coef.shape[0] == 1:  # two classes: one margin column per class, as domain.margins_2d
        coef, intercept = np.vstack([-coef[0] / 2, coef[0] / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    nw, nc = len(words.vocabulary_), len(chars.vocabulary_)
    head = union["chars"].steps[0][1].kw_args or {}

    def vocab(v: dict[str, int]) -> dict[str, int]:
        return dict(sorted(((str(k), int(i)) for k, i in v.items()), key=lambda kv: kv[1]))

    return LinearText(
        classes=[str(c) for c in clf.classes_], intercept=intercept,
        word_vocab=vocab(words.vocabulary_), word_idf=np.asarray(words.idf_, dtype=np.float32),
        word_coef=np.ascontiguousarray(coef[:, :nw].T, dtype=np.float32),
        char_vocab=vocab(chars.vocabulary_), char_idf=np.asarray(chars.idf_, dtype=np.float32),
        char_coef=np.ascontiguousarray(coef[:, nw:nw + nc].T, dtype=np.float32),
        emb_index=dict(emb.index_), emb_table=emb.table_,
        emb_coef=np.ascontiguousarray(coef[:, nw + nc:].T, dtype=np.float32), emb_scale=float(emb.scale),
        head_chars=int(head.get("n", 160)), char_range=tuple(chars.ngram_range))
