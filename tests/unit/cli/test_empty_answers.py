"""The read commands say which database they read when it holds nothing to show.

The README's order is ``make demo`` (which stores into ``var/demo.db``), then ``signals
stories`` and ``signals why ID``, which read ``var/signals.db``: the new user got 'no stories
since ...' and 'no story with id ...' for the story the demo had just printed, with nothing
saying another database was read. ``signals stories`` also ignored the config's
``database_url``, which the README says every command follows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.store import Store


def _seed(url: str, sid: str = "s-demo-1") -> None:
    from bot.models import Article
    from bot.store import StoryRow

    now = datetime.now(UTC)
    store = Store.open(url)
    art = Article(source="Wire", guid=sid, url=f"https://wire.example/{sid}", canonical_url=f"https://wire.example/{sid}",
                  title="Nvidia beats estimates", text="Nvidia beats estimates. Revenue rose.", published_at=now,
                  fetched_at=now, content_hash=sid, story_id=sid)
    (stored,) = store.add_articles([art])
    row = StoryRow(id=sid, first_seen=now, updated_at=now, representative_id=stored.id or 0,
                   title="Nvidia beats estimates", n_sources=1, importance=6.0, category="Industry", topics=[],
                   scores={})
    with store.begin() as c:
        store.save_story(c, row)
    store.close()


@pytest.fixture
def after_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout where ``make demo`` ran: var/demo.db holds stories, no config database is set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SIGNALS_DATABASE_URL", raising=False)
    monkeypatch.delenv("SIGNALS_CONFIG", raising=False)
    (tmp_path / "var").mkdir()
    _seed("sqlite:///var/demo.db")
    return tmp_path


@pytest.mark.parametrize("argv", [["stories"], ["why", "s-demo-1"], ["search", "nvidia"]], ids=lambda a: a[0])
def test_an_empty_answer_names_the_database_and_the_demos(after_the_demo: Path, argv: list[str],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    main(argv)
    out = capsys.readouterr()
    text = out.out + out.err
    assert "var/signals.db" in text, text
    assert "--db sqlite:///var/demo.db" in text, text


def test_stories_reads_the_configs_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SIGNALS_DATABASE_URL", raising=False)
    _seed(f"sqlite:///{tmp_path}/team.db")
    cfg = tmp_path / "signals.yaml"
    cfg.write_text(f"database_url: sqlite:///{tmp_path}/team.db\nchannels:\n  - name: c\n    console: true\n")
    monkeypatch.setenv("SIGNALS_CONFIG", str(cfg))
    assert main(["stories"]) == 0
    assert "Nvidia beats estimates" in capsys.readouterr().out
    assert main(["stories", "--config", str(cfg)]) == 0
    assert "Nvidia beats estimates" in capsys.readouterr().out
