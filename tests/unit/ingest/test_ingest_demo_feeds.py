"""The bundled demo feeds parse, clean and show what the demo promises."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.demo.server import FEEDS_DIR, render
from bot.ingest import clean_entry, is_teaser, parse_feed

NOW = datetime.now(UTC)
FILES = sorted(p for p in FEEDS_DIR.iterdir() if p.suffix in (".xml", ".json"))


def load(name: str, later: float = 0.0) -> list:  # type: ignore[type-arg]
    t = time.time()
    text = render((FEEDS_DIR / name).read_text(encoding="utf-8"), 8765, t, t + later)
    assert "{PORT}" not in text and "{NOW" not in text and "{ISO" not in text
    feed = parse_feed(text.encode("utf-8"), name)
    return [clean_entry(e, name, NOW) for e in feed.entries], feed


def test_there_are_five_feeds_of_each_kind() -> None:
    kinds = Counter(parse_feed(render(p.read_text("utf-8"), 1, 0, 0).encode(), p.name).kind for p in FILES)
    assert len(FILES) == 5 and kinds["atom1.0"] == 1 and kinds["json1.1"] == 1 and kinds["rss2.0"] == 3


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_feed_is_clean_and_realistic(path) -> None:  # type: ignore[no-untyped-def]
    articles, feed = load(path.name, later=3600)
    assert feed.parser in ("lxml", "json") and 8 <= len(articles) <= 12
    assert len({a.guid for a in articles}) == len(articles)
    for a in articles:
        assert a.title and a.text and a.published_at is not None and a.published_at <= NOW + timedelta(hours=1)
        assert "{" not in a.url and "ð" not in a.title and "๐" not in a.text
        assert "appeared first on" not in a.text and "newsletter" not in a.text.lower()


def test_special_items() -> None:
    chip, _ = load("chipwire.xml")
    t9 = next(a for a in chip if "T9" in a.title)
    assert "utm_source" in t9.url and "utm_" not in t9.canonical_url
    pulse, feed = load("techpulse.xml")
    assert any(a.title.endswith("💡") for a in pulse)
    assert any("Big news for chip watchers" in a.text for a in pulse)
    teasers = [e for e in feed.entries if is_teaser(e)]
    assert len(teasers) == 1 and teasers[0].url == "http://127.0.0.1:8765/pages/lumora-series-c.html"
    assert (FEEDS_DIR / "pages" / "lumora-series-c.html").is_file()


def test_future_entries_appear_later() -> None:
    now_pulse, _ = load("techpulse.xml")
    later_pulse, _ = load("techpulse.xml", later=600)
    assert len(later_pulse) == len(now_pulse) + 1


def test_shared_stories_have_three_sources() -> None:
    everything = [a for p in FILES for a in load(p.name)[0]]
    for needle in ("Tessara", "Northwind", "SecureGate", "Lumora"):
        outlets = {a.source for a in everything if needle in a.title}
        assert len(outlets) >= 3, (needle, outlets)
