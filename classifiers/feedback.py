"""What a topic learns from 👍/👎: a per-term correction to the cold start, and self-training.

``TopicModel`` (``relevance.py``) owns the votes; this module holds the arithmetic:

- ``fit_correction``: L2 logistic regression on the voted documents' unit term vectors with the
  cold-start logit as a fixed offset, solved in the dual (the cost depends on the number of
  documents, not the vocabulary). See ``TopicModel._refit`` for why that form.
- ``pseudo_labels``: self-training. Thirty votes name a few dozen terms; the bot's recent
  articles (the *pool*) hold many more documents the vote-corrected model is already sure about.
  Taking the most confident of them as extra, down-weighted labels spreads the correction to the
  terms that co-occur with the voted ones (a 👎 on a rates story teaches "rates" and, through
  the confident pool articles, the rest of that vocabulary). Deterministic: it depends only on the
  votes and the pool, in order.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from scipy.sparse import csr_matrix
from threadpoolctl import ThreadpoolController

from classifiers.text import STOPWORDS

__all__ = ["fit_correction", "norm", "pseudo_labels", "unit"]


# The BLAS numpy loaded, found once: ``offset_logistic`` runs it single-threaded (see there).
_BLAS = ThreadpoolController()


class _Doc(Protocol):
    counts: Counter[str]


def unit(c: Counter[str]) -> dict[str, float]:
    """The document's 1 + log(count) term vector without stopwords, scaled to length 1."""
    v = {k: 1.0 + math.log(n) for k, n in c.items() if k not in STOPWORDS}
    n = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {k: x / n for k, x in v.items()}


class _LogTf(dict[int, float]):
    """count -> 1 + log count, filled on first use: a lookup is ~3x cheaper than
    ``math.log`` in the per-article loops."""

    def __missing__(self, c: int) -> float:
        v = self[c] = 1.0 + math.log(c)
        return v


LOGTF = _LogTf()
_NORM_MEMO: tuple[object, float] = (None, 1.0)


def norm(d: _Doc) -> float:
    """Euclidean norm of ``unit``'s unnormalised vector; every topic with votes needs it for the
    same document in a row, so the last document's norm is kept (compared by identity)."""
    global _NORM_MEMO
    memo = _NORM_MEMO
    if memo[0] is d:
        return memo[1]
    n = math.sqrt(sum([LOGTF[c] ** 2 for k, c in d.counts.items() if k not in STOPWORDS])) or 1.0
    _NORM_MEMO = (d, n)
    return n


def dot(w: dict[str, float], d: _Doc) -> float:
    """``w · unit(d)``, iterating over the document's terms only (a few µs)."""
    s = 0.0
    for k, c in d.counts.items():
        x = w.get(k)
        if x is not None:
            s += x * LOGTF[c]
    return s / norm(d) if s else 0.0


def fit_correction(docs: Sequence[_Doc], offset: np.ndarray, y: np.ndarray, c: float,
                   sample_weight: np.ndarray | None = None, split: int | None = None,
                   ) -> tuple[dict[str, float], dict[str, float]]:
    """Per-term weights ``w`` minimising ``sum s_i logloss(y_i, offset_i + w · unit(doc_i)) + |w|²/2c``,
    and the share of ``w`` owed to ``docs[split:]``. The solution is a combination of the documents
    (``w = sum a_i unit(doc_i)``), so it splits exactly by document: ``signals why`` can say how
    much of a score came from the votes and how much from self-training's pseudo-labels."""
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, d in enumerate(docs):
        for k, v in unit(d.counts).items():
            rows.append(i)
            cols.append(vocab.setdefault(k, len(vocab)))
            vals.append(v)
    m = csr_matrix((vals, (rows, cols)), shape=(len(docs), max(1, len(vocab))))
    gram = (m @ m.T).toarray()
    s = np.ones(len(docs)) if sample_weight is None else sample_weight
    a = offset_logistic(gram, offset, y, c, s)
    w = m.T @ a
    total = {k: float(w[j]) for k, j in vocab.items() if w[j]}
    if split is None or split >= len(docs):
        return total, {}
    tail = m[split:].T @ a[split:]
    return total, {k: float(tail[j]) for k, j in vocab.items() if tail[j]}


def offset_logistic(gram: np.ndarray, offset: np.ndarray, y: np.ndarray, c: float,
                    s: np.ndarray | None = None) -> np.ndarray:
    """Dual coefficients ``a`` minimising ``sum s logloss(y, offset + gram @ a) + a @ gram @ a / 2c``
    (weighted L2 logistic regression with a fixed offset, ``w = X.T @ a``): damped Newton steps,
    each solving ``(diag(s p(1-p)) gram + I/c) step = s (p - y) + a/c``, halved until the loss
    decreases. Single-threaded BLAS: the systems are small (votes + pseudo-labels, ~150 at 30
    votes) and OpenBLAS's threads cost more than they save there: a refit took 4-8x the wall time
    (and 4x the CPU) with two threads on a busy 2-core machine."""
    with _BLAS.limit(limits=1, user_api="blas"):
        return _offset_logistic(gram, offset, y, c, s)


def _offset_logistic(gram: np.ndarray, offset: np.ndarray, y: np.ndarray, c: float, s: np.ndarray | None,
                     ) -> np.ndarray:
    n = len(y)
    s = np.ones(n) if s is None else s
    a = np.zeros(n)

    def loss(a: np.ndarray) -> float:
        ka = gram @ a
        z = offset + ka
        return float((s * (np.logaddexp(0.0, z) - y * z)).sum() + a @ ka / (2.0 * c))

    cur = loss(a)
    for _ in range(50):
        z = offset + gram @ a
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
        step = np.linalg.solve((s * p * (1.0 - p))[:, None] * gram + np.eye(n) / c, s * (p - y) + a / c)
        t = 1.0
        while t > 1e-4:
            new = loss(a - t * step)
            if new <= cur:
                break
            t /= 2.0
        else:
            break
        a, done = a - t * step, cur - new < 1e-9
        cur = new
        if done:
            break
    return a


def pseudo_labels(logits: np.ndarray, n_pos: int, n_neg: int, pos_logit: float, neg_logit: float,
                  ) -> tuple[list[int], list[int]]:
    """Indices of the pool documents taken as 👍 (the ``n_pos`` highest logits at or above
    ``pos_logit``) and as 👎 (the ``n_neg`` highest logits at or below ``neg_logit``: the
    confident negatives nearest the boundary teach the most; the far ones are already right).
    Ties break by pool position, so the choice is deterministic."""
    order = np.argsort(-logits, kind="stable")
    pos = [int(i) for i in order[:n_pos] if logits[i] >= pos_logit]
    neg = [int(i) for i in order if logits[i] <= neg_logit][:n_neg]
    return pos, neg
