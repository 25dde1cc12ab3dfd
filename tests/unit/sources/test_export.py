"""Runtime source changes written back into the config text (for ``signals config export``)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.settings import SourceSettings, settings_from_mapping
from bot.sources.export import merge_sources, merge_sources_from_db, merge_sources_text
from bot.sources.registry import add_source, pause_source, remove_source
from bot.store import Store

CONFIG = """# my bot
timezone: UTC
sources:
  - name: Wire   # the wire
    url: https://wire.example/feed
  - name: Blog
    url: https://blog.example/rss
    every: 1h
channels:
  - name: c   # keep me
    console: true
"""


def test_merge_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    settings = settings_from_mapping(yaml.safe_load(CONFIG))
    store = Store.open(f"sqlite:///{tmp_path}/e.db")
    try:
        assert merge_sources(CONFIG, settings, store) == (CONFIG, [])  # nothing changed at runtime
        add_source(settings, store, SourceSettings(name="New", url="https://new.example/a.xml", every="30m"), "cli:t")
        pause_source(settings, store, "Blog", "cli:t")
        remove_source(settings, store, "Wire", "cli:t")
        text, notes = merge_sources(CONFIG, settings, store)
    finally:
        store.close()
    assert text.startswith("# my bot\ntimezone: UTC\nsources:\n  - name: Blog\n")
    assert text.endswith("channels:\n  - name: c   # keep me\n    console: true\n")
    again = settings_from_mapping(yaml.safe_load(text))
    assert [(s.name, s.enabled, s.every.total_seconds()) for s in again.sources] == [
        ("Blog", False, 3600), ("New", True, 1800)]
    assert any("New: added" in n for n in notes)


def test_merge_shapes() -> None:
    listed = [{"name": "A", "url": "https://a.example/"}]
    for text in ("sources: []\ntopics: {}\n", "topics: {}\nsources:\n", "sources: [{name: X, url: 'https://x/'}]\n",
                 "topics: {}\n"):
        merged = merge_sources_text(text, listed)
        assert yaml.safe_load(merged)["sources"] == listed, merged
    assert yaml.safe_load(merge_sources_text(CONFIG, []))["sources"] == []


def test_from_db(tmp_path: Path) -> None:
    settings = settings_from_mapping(yaml.safe_load(CONFIG))
    assert merge_sources_from_db(CONFIG, settings, f"sqlite:///{tmp_path}/none.db") == (CONFIG, [])
    assert not (tmp_path / "none.db").exists()  # not created by an export
    store = Store.open(f"sqlite:///{tmp_path}/e.db")
    pause_source(settings, store, "Wire", "cli:t")
    store.close()
    text, _ = merge_sources_from_db(CONFIG, settings, f"sqlite:///{tmp_path}/e.db")
    assert settings_from_mapping(yaml.safe_load(text)).sources[0].enabled is False
