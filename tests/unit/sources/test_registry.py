"""Sources added/removed/paused/resumed at runtime, over the config file, audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.errors import CommandError
from bot.models import FetchState
from bot.settings import Settings, SourceSettings, settings_from_mapping
from bot.sources.registry import (
    add_source,
    add_sources,
    effective_sources,
    export_sources,
    pause_source,
    remove_source,
    resume_source,
)
from bot.store import Store
from bot.store import schema as t

CONFIG = {"sources": [{"name": "Wire", "url": "https://wire.example/feed"},
                      {"name": "Blog", "url": "https://blog.example/rss", "every": "1h"}]}


@pytest.fixture
def settings() -> Settings:
    return settings_from_mapping(CONFIG)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/t.db")
    yield s
    s.close()


def names(settings: Settings, store: Store) -> list[tuple[str, bool]]:
    return [(s.name, s.enabled) for s in effective_sources(settings, store)]


def test_add_pause_resume_remove(settings: Settings, store: Store) -> None:
    new = SourceSettings(name="Added", url="https://added.example/atom.xml", every="30m")
    add_source(settings, store, new, "slack:U1")
    assert names(settings, store) == [("Wire", True), ("Blog", True), ("Added", True)]
    with pytest.raises(CommandError, match="already exists"):
        add_source(settings, store, new.model_copy(update={"url": "https://other.example/"}), "slack:U1")
    with pytest.raises(CommandError, match="already polled"):
        add_source(settings, store, new.model_copy(update={"name": "Again"}), "slack:U1")
    pause_source(settings, store, "Wire", "slack:U1")
    pause_source(settings, store, "Added", "slack:U1")
    assert names(settings, store) == [("Wire", False), ("Blog", True), ("Added", False)]
    with pytest.raises(CommandError, match="already paused"):
        pause_source(settings, store, "Wire", "slack:U1")
    resume_source(settings, store, "Wire", "slack:U1")
    resume_source(settings, store, "Added", "slack:U1")
    assert names(settings, store) == [("Wire", True), ("Blog", True), ("Added", True)]
    remove_source(settings, store, "Blog", "cli:me")
    remove_source(settings, store, "Added", "cli:me")
    assert names(settings, store) == [("Wire", True)]
    with pytest.raises(CommandError, match="No source named"):
        remove_source(settings, store, "Blog", "cli:me")
    add_source(settings, store, SourceSettings(name="Blog", url="https://blog2.example/rss"), "cli:me")  # name free again
    with store.begin() as c:
        audit = c.execute(select(t.audit.c.actor, t.audit.c.action, t.audit.c.target).order_by(t.audit.c.id)).all()
    assert [(a.action, a.target) for a in audit] == [
        ("source add", "source:Added"), ("source pause", "source:Wire"), ("source pause", "source:Added"),
        ("source resume", "source:Wire"), ("source resume", "source:Added"), ("source remove", "source:Blog"),
        ("source remove", "source:Added"), ("source add", "source:Blog")]


def test_resume_clears_a_pause_after_failures(settings: Settings, store: Store) -> None:
    store.save_fetch_state(FetchState(source="Wire", url="https://wire.example/feed", paused=True, failures=10,
                                      pause_reason="paused after 10 consecutive failures"))
    resume_source(settings, store, "Wire", "slack:U1")
    st = store.fetch_state("Wire", "https://wire.example/feed")
    assert not st.paused and st.failures == 0


def test_export_sources(settings: Settings, store: Store) -> None:
    add_source(settings, store, SourceSettings(name="Added", url="https://added.example/a.xml", every="2h",
                                               topics=["ai"]), "cli:me")
    pause_source(settings, store, "Blog", "cli:me")
    listed, notes = export_sources(settings, store)
    assert listed == [{"name": "Wire", "url": "https://wire.example/feed"},
                      {"name": "Blog", "url": "https://blog.example/rss", "every": "1h", "enabled": False},
                      {"name": "Added", "url": "https://added.example/a.xml", "every": "2h", "topics": ["ai"]}]
    assert any("Added: added at runtime by cli:me" in n for n in notes)
    settings_from_mapping({"sources": listed})  # valid config


@pytest.mark.parametrize("url", ["http://wire.example/feed", "https://wire.example/feed/", "https://WIRE.example/feed",
                                 "https://wire.example:443/feed#top", "feed://wire.example/feed"])
def test_the_same_feed_under_another_address_is_refused(settings: Settings, store: Store, url: str) -> None:
    """http vs https, a trailing slash, the host's case, a default port: the same feed. Adding it
    again was accepted, and the feed was polled twice, its stories credited to two "sources"."""
    with pytest.raises(CommandError, match=re.escape("already polled as “Wire” (https://wire.example/feed)")):
        add_source(settings, store, SourceSettings(name="Wire again", url=url), "slack:U1")
    add_source(settings, store, SourceSettings(name="Other", url="https://wire.example/feed?lang=de"), "slack:U1")
    assert [n for n, _ in names(settings, store)] == ["Wire", "Blog", "Other"]  # a query is another feed


def test_feed_scheme_urls_are_read_as_http(tmp_path: Path) -> None:
    """``feed://`` and ``feed:https://`` (what browsers and OPML files hand out) in the config."""
    s = settings_from_mapping({"sources": [{"name": "A", "url": "feed://a.example/rss"},
                                           {"name": "B", "url": "feed:https://b.example/atom.xml"}]})
    assert [x.url for x in s.sources] == ["http://a.example/rss", "https://b.example/atom.xml"]


def test_add_sources_is_all_or_none(settings: Settings, store: Store) -> None:
    batch = [SourceSettings(name="One", url="https://one.example/rss"),
             SourceSettings(name="Two", url="https://two.example/rss"),
             SourceSettings(name="One again", url="http://one.example/rss/")]  # the first one, another address
    with pytest.raises(CommandError, match="already polled as “One”"):
        add_sources(settings, store, batch, "cli:me")
    assert [n for n, _ in names(settings, store)] == ["Wire", "Blog"]  # nothing half-added
    with pytest.raises(CommandError, match="named “Blog” already exists"):
        add_sources(settings, store, [SourceSettings(name="Blog", url="https://new.example/")], "cli:me")
    changes = add_sources(settings, store, batch[:2], "cli:me")
    assert [c.name for c in changes] == ["One", "Two"]
    assert [n for n, _ in names(settings, store)] == ["Wire", "Blog", "One", "Two"]


def test_a_config_name_removed_then_added_again_polls_the_new_address(settings: Settings, store: Store) -> None:
    """"Blog" moved: remove it, add "Blog" with its new URL. The config's old URL was polled
    again (the runtime settings were ignored), and removing the new one brought the old back."""
    remove_source(settings, store, "Blog", "cli:me")
    add_source(settings, store, SourceSettings(name="Blog", url="https://blog2.example/rss"), "cli:me")
    assert [(s.name, s.url) for s in effective_sources(settings, store)] == [
        ("Wire", "https://wire.example/feed"), ("Blog", "https://blog2.example/rss")]
    pause_source(settings, store, "Blog", "cli:me")
    assert [(s.url, s.enabled) for s in effective_sources(settings, store) if s.name == "Blog"] == [
        ("https://blog2.example/rss", False)]
    resume_source(settings, store, "Blog", "cli:me")
    remove_source(settings, store, "Blog", "cli:me")
    assert names(settings, store) == [("Wire", True)]
    listed, _ = export_sources(settings, store)
    assert [d["name"] for d in listed] == ["Wire"]

    # A source added at runtime and since written into the config file (config export): the file wins.
    add_source(settings, store, SourceSettings(name="Later", url="https://later.example/rss"), "cli:me")
    edited = settings_from_mapping({"sources": [*CONFIG["sources"], {"name": "Later", "url": "https://later.example/v2"}]})
    assert [(s.name, s.url) for s in effective_sources(edited, store)][-1] == ("Later", "https://later.example/v2")
