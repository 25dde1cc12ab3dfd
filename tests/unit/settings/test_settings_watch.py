"""Hot reload: valid edits are applied, a broken edit is reported once and the old config stays."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.settings import Settings, load_settings
from bot.settings.watch import ConfigWatcher

GOOD = """\
sources:
  - name: wire
    url: http://127.0.0.1:9/feed.xml
topics:
  ai:
    keywords: [ai]
channels:
  - name: news
    console: true
    topics: [ai]
    min_importance: {threshold}
"""


def write(path: Path, text: str, bump: int) -> None:
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump * 1_000_000_000))  # a distinct mtime


def test_reload_applies_valid_edits_and_keeps_old_config_on_a_broken_one(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    cfg = tmp_path / "signals.yaml"
    write(cfg, GOOD.format(threshold=5), 0)
    applied: list[Settings] = []
    watcher = ConfigWatcher(cfg, applied.append, current=load_settings(cfg))
    assert watcher.check_once() is False  # nothing changed

    write(cfg, GOOD.format(threshold=7), 1)
    assert watcher.check_once() is True
    assert applied[-1].channels[0].min_importance == 7

    caplog.set_level(logging.ERROR, logger="bot.settings.watch")
    write(cfg, GOOD.format(threshold="eleven"), 2)
    assert watcher.check_once() is False
    assert len(applied) == 1 and watcher.current is applied[-1]  # previous settings stay in force
    assert watcher.last_error is not None
    [record] = [r for r in caplog.records if "not reloaded" in r.getMessage()]
    assert f"{cfg}:11: channels[0].min_importance:" in record.getMessage()

    write(cfg, GOOD.format(threshold="eleven") + "\n", 3)  # edited, same problem: reported once only
    assert watcher.check_once() is False
    assert len([r for r in caplog.records if "not reloaded" in r.getMessage()]) == 1

    write(cfg, "channels: [\n", 5)  # invalid YAML
    assert watcher.check_once() is False
    write(cfg, GOOD.format(threshold=6), 6)
    assert watcher.check_once() is True and applied[-1].channels[0].min_importance == 6
    assert watcher.last_error is None


def test_touch_without_change_and_missing_file_keep_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "signals.yaml"
    write(cfg, GOOD.format(threshold=5), 0)
    applied: list[Settings] = []
    watcher = ConfigWatcher(cfg, applied.append, current=load_settings(cfg))
    write(cfg, GOOD.format(threshold=5), 1)  # same bytes, new mtime
    assert watcher.check_once() is False
    cfg.unlink()
    assert watcher.check_once() is False
    write(cfg, GOOD.format(threshold=8), 2)
    assert watcher.check_once() is True and applied[-1].channels[0].min_importance == 8


def test_a_failing_callback_does_not_swap_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "signals.yaml"
    write(cfg, GOOD.format(threshold=5), 0)
    first = load_settings(cfg)

    def boom(_: Settings) -> None:
        raise RuntimeError("cannot apply")

    watcher = ConfigWatcher(cfg, boom, current=first)
    write(cfg, GOOD.format(threshold=6), 1)
    assert watcher.check_once() is False and watcher.current is first


def test_half_finished_edits_are_reported_with_their_line_and_the_watcher_keeps_going(tmp_path: Path) -> None:
    """An emptied value or a repeated key raised out of ``check_once`` (or was applied silently)."""
    cfg = tmp_path / "signals.yaml"
    write(cfg, GOOD.format(threshold=5), 0)
    applied: list[Settings] = []
    watcher = ConfigWatcher(cfg, applied.append, current=load_settings(cfg))

    write(cfg, GOOD.format(threshold=5).replace("    keywords: [ai]\n", ""), 1)  # ``ai:`` left empty
    assert watcher.check_once() is False and not applied
    assert watcher.last_error is not None and watcher.last_error.issues[0].line == 5

    write(cfg, GOOD.format(threshold=5) + "    min_importance: 9\n", 2)  # a second min_importance
    assert watcher.check_once() is False and not applied
    assert watcher.last_error is not None and "already set on line 11" in str(watcher.last_error)

    write(cfg, GOOD.format(threshold=8), 3)
    assert watcher.check_once() is True and applied[-1].channels[0].min_importance == 8
