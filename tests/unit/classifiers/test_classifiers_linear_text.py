"""The compiled domain model (``linear_text``) gives the scikit-learn pipeline's margins (every block:
words and bigrams, character n-grams, word vectors, word clusters), on tiny inline data."""

from __future__ import annotations

import numpy as np

from classifiers.domain import margins_2d
from classifiers.linear_text import LinearText, compile_pipeline
from classifiers.text import lead_text
from classifiers.train import build_domain_pipeline

TEXTS = ["The striker scored twice as United beat City in the league", "Shares fell after the bank cut its forecast",
         "The goalkeeper saved a penalty in the cup final", "The company reported quarterly revenue above estimates",
         "Midfielder signs new contract with the champions", "Investors sold bonds as the central bank raised rates",
         "Film star wins award at the festival", "Band releases a new album after a long break"]
LABELS = ["sports", "business", "sports", "business", "sports", "business", "entertainment", "entertainment"]


def _pipeline() -> object:
    vocab = ["the", "a", "goal", "striker", "bank", "shares", "league", "profit", "film", "album"]
    vecs = np.eye(len(vocab), 4, dtype=np.float32) + 0.1
    clusters = np.arange(len(vocab), dtype=np.int32) % 4
    X = [lead_text(t, t + " " + t) for t in TEXTS]
    pipe = build_domain_pipeline((vocab, vecs), clusters=clusters)
    pipe.set_params(union__emb__skip=0, union__clusters__skip=0)  # a tiny vocabulary: read every word
    return pipe.fit(X, LABELS)


def test_compiled_margins_equal_the_pipeline_and_survive_a_state_round_trip() -> None:
    pipe = _pipeline()
    unseen = ["Striker  scores\tlate winner", "Bank shares slide on profit warning", "", "   ", "Ünïcode — film, album!"]
    X = [lead_text(t, t) for t in TEXTS + unseen]
    want = margins_2d(pipe.decision_function(X))  # type: ignore[attr-defined]
    model = LinearText.from_state(compile_pipeline(pipe).to_state())
    got, words = model.margins(X)
    np.testing.assert_allclose(got, want, atol=1e-5)
    again, _ = model.margins(X)  # second pass reads the per-word n-gram cache
    np.testing.assert_allclose(again, want, atol=1e-5)
    assert words.shape == (len(X), len(model.word_idf))
    names = model.word_names()
    assert "striker" in names and "the striker" in names  # bigram names rebuilt from their words
    assert model.classes == ["business", "entertainment", "sports"]


def test_shrunk_model_keeps_the_labels_and_the_margins_to_a_few_thousandths() -> None:
    pipe = _pipeline()
    X = [lead_text(t, t) for t in [*TEXTS, "Striker scores late winner", "Bank shares slide on profit warning"]]
    want = margins_2d(pipe.decision_function(X))  # type: ignore[attr-defined]
    model = LinearText.from_state(compile_pipeline(pipe).shrink().to_state())
    got, _ = model.margins(X)
    assert model.emb_table.dtype == np.int8 and model.emb_row_scale is not None
    np.testing.assert_allclose(got, want, atol=5e-3)
    assert (got.argmax(1) == want.argmax(1)).all()


def test_scoring_side_does_not_import_scikit_learn() -> None:
    """The compiled model exists so that the bot never imports scikit-learn (~50 MB, ~1 s)."""
    import subprocess
    import sys

    code = ("import sys; import classifiers.linear_text, classifiers.domain; "
            "sys.exit(1 if any(m.split('.')[0] == 'sklearn' for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_tfidf_of_grouped_rows_sorts_row_by_row_into_the_same_matrix() -> None:
    """``grouped`` sorts each row's codes on their own: the same CSR arrays, bit for bit, as one sort."""
    from classifiers.linear_text import _tfidf

    rng = np.random.default_rng(3)
    idf = rng.random(50, dtype=np.float64).astype(np.float32) + 1.0
    for n in (0, 1, 7, 300):
        rows = np.sort(rng.integers(0, max(n, 1), rng.integers(0, 2000) if n else 0))  # empty rows too
        cols = rng.integers(0, 50, len(rows))
        one, by_row = _tfidf(rows, cols, n, idf), _tfidf(rows, cols.copy(), n, idf, grouped=True)
        for a, b in ((one.indptr, by_row.indptr), (one.indices, by_row.indices), (one.data, by_row.data)):
            assert a.dtype == b.dtype and np.array_equal(a, b)


def test_lettered_columns_are_those_whose_names_hold_a_letter() -> None:
    """``lettered`` (what ``DomainModel`` reads to leave texts it cannot read as "other") answers as
    testing every column name, on the tiny model and on the shipped one, without building names."""
    from classifiers.models import MODEL_DIR, load_artifact

    tiny = compile_pipeline(_pipeline())
    shipped = LinearText.from_state(load_artifact("domain", MODEL_DIR)["linear"])
    for model in (tiny, shipped):
        want = np.array([any(c.isalpha() for c in w) for w in model.word_names()], dtype=bool)
        model.names = None
        np.testing.assert_array_equal(model.lettered(), want)
        assert model.names is None
