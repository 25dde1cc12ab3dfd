"""``signals search``, ``signals why`` and ``signals feedback`` against a real SQLite file."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.cli import main
from bot.store import schema as t

from .conftest import NOW


def db(store) -> list[str]:
    return ["--db", str(store.engine.url)]


def test_search(store, capsys):
    assert main(["search", "nvidia", *db(store)]) == 0
    out = capsys.readouterr().out
    assert "1. Nvidia beats earnings estimates" in out and "https://wire.example/s-nvidia-1" in out
    assert main(["search", "openai", "story", "--format", "jsonl", *db(store)]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rows[0]["story_id"] == "s-old-3"


def test_why(store, capsys):
    with store.begin() as c:
        c.execute(t.decisions.insert().values(story_id="s-nvidia-1", channel="news", action="skip",
                                              reason="below_min_importance", detail="8.2 < 9", importance=8.2, at=NOW))
    assert main(["why", "s-nvidia-1", *db(store)]) == 0
    out = capsys.readouterr().out
    assert "importance 8.2/10 · category Industry · domain business · event earnings" in out
    assert "relevance: ai 0.91, chips 0.40" in out
    assert "why importance:" in out and "+1.50  n_sources" in out
    assert "news: skip (below_min_importance) — 8.2 < 9" in out
    assert main(["why", "s-nvidia-1", "--format", "json", *db(store)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["contributions"]["relevance:ai"] == [["nvidia", 0.7]]
    assert main(["why", "nope-nope", *db(store)]) == 1


def test_feedback(store, capsys):
    assert main(["feedback", "s-nvidia-1", "up", "--topic", "ai", "--user", "U9", *db(store)]) == 0
    assert "recorded; now 1 up, 0 down" in capsys.readouterr().out
    assert main(["feedback", "s-nvidia-1", "up", "--topic", "ai", "--user", "U9", *db(store)]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert main(["feedback", "missing", "down", *db(store)]) == 1
    with store.begin() as c:
        rows = c.execute(select(t.feedback)).all()
    assert [(r.user, r.label, r.topic) for r in rows] == [("U9", 1, "ai")]
