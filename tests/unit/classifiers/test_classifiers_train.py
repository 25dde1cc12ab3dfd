"""Training code on tiny inline data (never the shared evaluation data): domain pipeline, sentence ranker,
associations, the manifest, and loading the result through ``Scorer.load``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.errors import ModelError
from classifiers import Document, Scorer, TopicSpec
from classifiers.associations import Associations, neighbours
from classifiers.datasets import Labelled, read_labelled
from classifiers.models import load_artifact
from classifiers.summary import SentenceRanker, candidate_sentences, sentence_features
from classifiers.train import train_domain

SPORT = ["The striker scored twice as United beat City in the league",
         "The goalkeeper saved a penalty in the cup final",
         "The coach praised his defenders after the derby win",
         "Midfielder signs new contract with the champions"]
MONEY = ["Shares fell after the bank cut its profit forecast",
         "The company reported quarterly revenue above estimates",
         "Investors sold bonds as the central bank raised rates",
         "The retailer's sales rose five percent in the quarter"]


def _rows() -> list[Labelled]:
    return [Labelled(t, t, "sports") for t in SPORT] + [Labelled(t, t, "business") for t in MONEY]


def test_train_domain_writes_versioned_model_that_loads(tmp_path: Path) -> None:
    vocab = ["the", "a", "goal", "striker", "bank", "shares", "league", "profit"]
    vecs = np.eye(len(vocab), 4, dtype=np.float32) + 0.1
    meta = train_domain(None, (vocab, vecs), extra=_rows() * 2, folds=2, out=tmp_path)
    assert meta["rows"] == 16 and meta["params"]["vectors"] is True
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["models"]["domain"]["format"] == 1 and manifest["models"]["domain"]["bytes"] > 0
    s = Scorer.load(topics=[TopicSpec("x", ["goal"])], model_dir=tmp_path)  # no summary/associations: defaults
    sport, money = s.score([Document("1", "Striker scores late winner in league derby", "The striker scored."),
                            Document("2", "Bank shares slide on profit warning", "Shares in the bank fell.")])
    assert sport.domain == "sports" and money.domain == "business"
    assert sport.explanation["domain"] and 0 < sport.domain_prob <= 1


def test_missing_or_incompatible_model_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        Scorer.load(model_dir=tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"models": {"domain": {"format": 999}}}))
    (tmp_path / "domain.pkl").write_bytes(b"x")
    with pytest.raises(ModelError, match="format 999"):
        load_artifact("domain", tmp_path)


def test_sentence_ranker_learns_from_labels() -> None:
    text = ("Acme said profits doubled to $5bn in the year. Analysts had expected less.\n"
            "The weather was fine. Acme profits were driven by strong sales in Asia.")
    cands = candidate_sentences("Acme profits double", text)
    X = sentence_features("Acme profits double", cands)
    assert X.shape == (len(cands), 12)
    y = np.array(["profit" in s.lower() for s, _ in cands])
    r = SentenceRanker(n_bullets=2).fit(np.vstack([X] * 5), np.concatenate([y] * 5))
    bullets, _ = r.summarize("Acme profits double", text)
    assert all("profit" in b.lower() for b in bullets)


def test_associations_from_a_small_corpus() -> None:
    texts = ["oil prices opec crude barrel"] * 6 + ["football striker goal league"] * 6 + ["oil crude refinery"] * 5
    nb = neighbours(texts, dims=2, min_df=2, top=3, min_cos=0.5, max_df=1.0)
    a = Associations.from_dict(nb)
    assert "crude" in a.get("oil") and "striker" not in a.get("oil")
    assert a.get("unknown") == {}


def test_read_labelled_csv_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("title,text,label\nT,body,sports\nU,body2,\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"title": "T", "text": "x", "label": "business"}) + "\n")
    assert [r.label for r in read_labelled(tmp_path / "a.csv")] == ["sports"]
    assert read_labelled(tmp_path / "b.jsonl")[0].label == "business"
