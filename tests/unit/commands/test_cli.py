"""``signals search``, ``signals why`` and ``signals feedback`` against a real SQLite file."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.cli import main
from bot.store import schema as t

from .conftest import NOW, add_story


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


def test_feedback(store, capsys, tmp_path):
    config = tmp_path / "signals.yaml"
    config.write_text("topics:\n  ai:\n    keywords: [nvidia, openai]\n  chips:\n    keywords: [tsmc]\n")
    args = [*db(store), "--config", str(config)]
    assert main(["feedback", "s-nvidia-1", "up", "--topic", "ai", "--user", "U9", *args]) == 0
    assert "recorded; now 1 up, 0 down" in capsys.readouterr().out
    assert main(["feedback", "s-nvidia-1", "up", "--topic", "ai", "--user", "U9", *args]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert main(["feedback", "missing", "down", *args]) == 1
    with store.begin() as c:
        rows = c.execute(select(t.feedback)).all()
    assert [(r.user, r.label, r.topic) for r in rows] == [("U9", 1, "ai")]


def test_feedback_names_a_topic_the_config_has(store, capsys, tmp_path):
    """A vote trains one topic's model: one the config does not have would be stored and train
    nothing, so it is refused, saying which topics there are; without --topic the story's only
    topic is the one voted on, and a story of several topics (or none) asks which."""
    config = tmp_path / "signals.yaml"
    config.write_text("topics:\n  ai:\n    keywords: [nvidia, openai]\n  chips:\n    keywords: [tsmc]\n")
    args = [*db(store), "--config", str(config), "--user", "U9"]
    assert main(["feedback", "s-nvidia-1", "down", "--topic", "a1", *args]) == 1
    err = capsys.readouterr().err
    assert "no topic 'a1'" in err and "ai, chips" in err and str(config) in err
    assert main(["feedback", "s-tsmc-2", "down", *args]) == 0  # its one topic
    assert "(topic chips)" in capsys.readouterr().out
    add_story(store, "s-both-4", "Nvidia and TSMC", 7.0, ["ai", "chips"])
    assert main(["feedback", "s-both-4", "up", *args]) == 1
    assert "--topic ai or --topic chips" in capsys.readouterr().err
    add_story(store, "s-none-5", "A missed story", 2.0, [])
    assert main(["feedback", "s-none-5", "up", *args]) == 1
    assert "--topic" in capsys.readouterr().err
    assert main(["feedback", "s-none-5", "up", "--topic", "chips", *args]) == 0  # a reported miss
    with store.begin() as c:
        rows = c.execute(select(t.feedback.c.story_id, t.feedback.c.topic).order_by(t.feedback.c.id)).all()
    assert [tuple(r) for r in rows] == [("s-tsmc-2", "chips"), ("s-none-5", "chips")]


def test_stories_badge_rounds_half_up(store, capsys):
    """``signals stories`` listed a 6.5 story as 6/10 (round half to even), the alert as 7/10."""
    add_story(store, "s-half", "Half story", 6.5, ["ai"], at=NOW)
    assert main(["stories", "--since", "100000d", *db(store)]) == 0
    assert "s-half  7/10 · Industry" in capsys.readouterr().out


def test_why_of_a_story_whose_decisions_retention_deleted_says_so(store, capsys, tmp_path):
    """The chat ``why`` says so (8d5c9ff); ``signals why --channel news`` still said "no decision
    recorded for this story" of a story the daily prune had emptied, as if never routed there."""
    from datetime import UTC, datetime, timedelta

    old = datetime.now(UTC) - timedelta(days=120)
    add_story(store, "s-ancient", "Old chip story", 7.0, ["ai"], at=old)
    config = tmp_path / "signals.yaml"
    config.write_text("retention: 90d\n")
    for extra in ([], ["--channel", "news"]):
        assert main(["why", "s-ancient", *db(store), "--config", str(config), *extra]) == 0
        out = capsys.readouterr().out
        assert "no decision recorded" not in out
        assert (f"this story's routing decisions were deleted (retention: 90d without a new article; "
                f"last article {old:%Y-%m-%d})") in out, out
    assert main(["why", "s-nvidia-1", "--channel", "news", *db(store), "--config", str(config)]) == 0
    assert "news: no decision recorded for this story" in capsys.readouterr().out  # recent: nothing deleted
