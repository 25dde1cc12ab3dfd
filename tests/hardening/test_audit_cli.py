"""``signals audit``: every change made from chat, read back with who, when, action, target, before → after."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.overrides import set_override
from bot.store import Store


@pytest.fixture
def db(store_url: str) -> str:
    """SQLite and PostgreSQL (``store_url`` from tests/conftest.py)."""
    url = store_url
    store = Store.open(url)
    now = datetime.now(UTC)
    set_override(store, "news", "min_importance", 7.5, "slack:U1", 5.0, now=now - timedelta(days=30))
    set_override(store, "news", "min_importance", 8, "slack:U2", 7.5, now=now - timedelta(hours=2))
    set_override(store, "alerts", "topics", ["ai", "chips"], "discord:42", None, now=now - timedelta(hours=1))
    set_override(store, "alerts", "topics", None, "discord:42", ["ai", "chips"], now=now)
    store.close()
    return url


def test_text_lists_recent_changes_oldest_first(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # the 30-day-old change is outside the default 7 days
    assert "slack:U2  set min_importance  news: 7.5 → 8" in lines[0]
    assert lines[1].endswith('discord:42  set topics  alerts: (unset) → ["ai", "chips"]')
    assert lines[2].endswith('discord:42  set topics  alerts: ["ai", "chips"] → (unset)')
    assert lines[0][:4].isdigit() and " UTC " in lines[0]


def test_jsonl_since_and_filters(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--db", db, "--since", "60d", "--format", "jsonl"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["actor"] for r in rows] == ["slack:U1", "slack:U2", "discord:42", "discord:42"]
    assert rows[0] == {**rows[0], "action": "set min_importance", "target": "news", "before": 5.0, "after": 7.5}
    assert datetime.fromisoformat(rows[0]["at"]).tzinfo is not None
    assert main(["audit", "--db", db, "--since", "60d", "--actor", "slack:U1", "--format", "jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert main(["audit", "--db", db, "--target", "alerts"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_empty_and_bad_since(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    assert main(["audit", "--db", url, "--since", "1h"]) == 0
    assert capsys.readouterr().out.startswith("no changes since ")
    assert main(["audit", "--db", url, "--since", "yesterday"]) == 1
    assert "--since" in capsys.readouterr().err
