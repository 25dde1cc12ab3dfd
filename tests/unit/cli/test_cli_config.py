"""``signals config check|show|export`` on a real file and a real SQLite overrides table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.settings import load_settings
from bot.store import Store
from bot.store import schema as t

CONFIG = """\
# team config
timezone: Europe/Berlin
sources:
  - name: wire
    url: http://127.0.0.1:9/feed.xml
topics:
  ai:
    keywords: [ai]
  chips:
    keywords: [chip]
defaults:
  min_importance: 5   # keep this comment
channels:
  - name: news
    console: true
    topics:
      - ai
  - name: hooks
    webhook: https://hooks.example.com/services/T000/B000/SECRETSECRET
    quiet_hours: "22:00-07:00"
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, str]:
    cfg = tmp_path / "signals.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    db = f"sqlite:///{tmp_path}/signals.db"
    store = Store.open(db)
    at = datetime(2026, 11, 24, 10, tzinfo=UTC)
    with store.begin() as c:
        c.execute(t.overrides.insert(), [
            {"channel": "news", "key": "min_importance", "value": 7, "by": "U1", "at": at},
            {"channel": "news", "key": "topics", "value": ["ai", "chips"], "by": "U1", "at": at},
            {"channel": "news", "key": "muted", "value": ["chips"], "by": "U2", "at": at}])
    store.close()
    return cfg, db


def test_show_prints_effective_rules_with_origins_and_redacts_secrets(setup, capsys) -> None:
    cfg, db = setup
    assert main(["config", "show", str(cfg), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "3 runtime override(s)" in out
    assert "    min_importance: 7  # override by U1 at 2026-11-24 10:00 UTC; file: 5" in out
    assert "    topics: [ai, chips]  # override by U1" in out
    assert "# muted: [chips]  (runtime only, by U2" in out
    assert "    quiet_hours: '22:00-07:00'" in out
    assert "    timezone: Europe/Berlin  # global timezone" in out
    assert "    urgent_importance: 9.0  # built-in" in out
    assert "SECRETSECRET" not in out and "https://hooks.example.com/[redacted]" in out
    assert main(["config", "show", str(cfg), "--db", db, "--channel", "hooks"]) == 0
    assert "name: news" not in capsys.readouterr().out


def test_export_merges_overrides_keeping_comments(setup, tmp_path: Path, capsys) -> None:
    cfg, db = setup
    assert main(["config", "export", str(cfg), "--db", db]) == 0
    cap = capsys.readouterr()
    assert "# keep this comment" in cap.out and "# team config" in cap.out
    data = yaml.safe_load(cap.out)
    assert data["channels"][0]["min_importance"] == 7 and data["channels"][0]["topics"] == ["ai", "chips"]
    assert "muted" in cap.err  # runtime-only keys are reported, not written
    out = tmp_path / "merged.yaml"
    assert main(["config", "export", str(cfg), "--db", db, "-o", str(out)]) == 0
    merged = load_settings(out)
    assert merged.channel("news").min_importance == 7 and merged.channel("hooks").quiet_hours == "22:00-07:00"


def test_check_is_unchanged(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIG.replace("min_importance: 5", "min_importance: eleven"), encoding="utf-8")
    assert main(["config", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:12: defaults.min_importance:" in err
    good = tmp_path / "good.yaml"
    good.write_text(CONFIG, encoding="utf-8")
    assert main(["config", "check", str(good)]) == 0
    assert capsys.readouterr().out.startswith("ok: 1 sources, 2 topics, 2 channels")
