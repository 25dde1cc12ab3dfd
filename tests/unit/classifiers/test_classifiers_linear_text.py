"""The compiled domain model (``linear_text``) gives the scikit-learn pipeline's margins, on tiny inline data."""

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
    X = [lead_text(t, t + " " + t) for t in TEXTS]
    return build_domain_pipeline((vocab, vecs)).fit(X, LABELS)


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
    assert words.shape == (len(X), len(model.word_vocab))
    assert model.classes == ["business", "entertainment", "sports"]
