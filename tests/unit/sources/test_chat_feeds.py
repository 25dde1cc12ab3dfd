"""``/signals feeds add|remove|pause|resume|test`` from chat: admins only, SSRF-guarded, audited."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.commands import CommandService, Invocation
from bot.settings import Settings, settings_from_mapping
from bot.sources.registry import effective_sources
from bot.store import Store
from bot.store import schema as t
from tests.feedserver import FeedServer, Reply, feed_server  # noqa: F401

CONFIG = {
    "topics": {"ai": {"keywords": ["nvidia", "gpu"]}},
    "channels": [{"name": "news", "slack": "C1", "admins": ["U_ADMIN"]}],
    "sources": [{"name": "Wire", "url": "https://wire.example/feed"}],
}


def rss(title: str = "Loop News") -> bytes:
    items = "".join(f"<item><title>Nvidia GPU story {i}</title><link>https://loop.example/{i}</link>"
                    f"<guid>g{i}</guid><pubDate>{formatdate(time.time() - 60 * i, usegmt=True)}</pubDate>"
                    f"<description>Nvidia unveiled a new GPU accelerator number {i}.</description></item>"
                    for i in range(3))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title><link>https://loop.example/"
            f"</link><description>d</description>{items}</channel></rss>").encode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/t.db")
    yield s
    s.close()


def run(settings: Settings, store: Store, text: str, user: str = "U_ADMIN"):  # type: ignore[no-untyped-def]
    return CommandService(settings, store).run(Invocation(text=text, user=user, platform_channel="C1"))


def test_metadata_address_is_refused_with_the_reason(store: Store) -> None:
    settings = settings_from_mapping(CONFIG)
    r = run(settings, store, "feeds add http://169.254.169.254/latest/meta-data/")
    assert r.error and "metadata" in r.text
    r = run(settings, store, "feeds add http://127.0.0.1:9/feed")
    assert r.error and "private/loopback" in r.text and "allow_hosts" in r.text
    r = run(settings, store, "feeds add file:///etc/passwd")
    assert r.error and "http" in r.text
    assert [s.name for s in effective_sources(settings, store)] == ["Wire"]


def test_only_admins(store: Store) -> None:
    settings = settings_from_mapping(CONFIG)
    r = run(settings, store, "feeds pause Wire", user="U_SOMEONE")
    assert r.error and "admins" in r.text
    assert run(settings, store, "feeds pause Wire").text == "Source “Wire” paused."


def test_allow_listed_loopback_add_test_pause_resume_remove(store: Store, feed_server: FeedServer) -> None:  # noqa: F811
    url = feed_server.add("/loop.xml", Reply(body=rss()))
    settings = settings_from_mapping({**CONFIG, "fetch": {"allow_hosts": ["127.0.0.1"]}})
    r = run(settings, store, f"feeds test {url}")
    assert not r.error, r.text
    assert "Loop News" in r.text and "/10" in r.text and len(r.sections[0].lines) == 3
    r = run(settings, store, f"feeds add {url} every 5m")
    assert not r.error and "Added source “Loop News”" in r.text and not r.ephemeral
    added = [s for s in effective_sources(settings, store) if s.name == "Loop News"]
    assert added and added[0].url == url and added[0].every.total_seconds() == 300
    assert "Loop News" in run(settings, store, "feeds").text
    assert run(settings, store, f"feeds add {url}").error  # already polled
    assert run(settings, store, "feeds pause Loop News").text == "Source “Loop News” paused."
    assert run(settings, store, '"feeds" resume "Loop News"').text == "Source “Loop News” resumed."
    assert run(settings, store, 'feeds remove "Loop News"').text == "Source “Loop News” removed."
    with store.begin() as c:
        actions = [r.action for r in c.execute(select(t.audit.c.action, t.audit.c.actor))]
    assert actions[0] == "source add"


def test_site_address_offers_its_feeds(store: Store, feed_server: FeedServer) -> None:  # noqa: F811
    feed_server.add("/a.xml", Reply(body=rss("A")))
    feed_server.add("/b.xml", Reply(body=rss("B")))
    html = (b"<html><head><link rel='alternate' type='application/rss+xml' href='/a.xml'>"
            b"<link rel='alternate' type='application/rss+xml' href='/b.xml'></head></html>")
    site = feed_server.add("/", Reply(body=html, content_type="text/html"))
    settings = settings_from_mapping({**CONFIG, "fetch": {"allow_hosts": ["127.0.0.1"]}})
    r = run(settings, store, f"feeds add {site}")
    assert r.error and "several feeds" in r.text and feed_server.url("/a.xml") in r.text


def test_a_feed_title_with_markup_names_the_source_as_it_reads(store: Store, feed_server: FeedServer) -> None:  # noqa: F811
    """An Atom title is a text construct: "Tech &amp; Chips" reads "Tech & Chips", and an xhtml one
    is markup. The source was named "Tech &amp; Chips" (and the preview showed it so), or after
    the serialised markup, ``<b xmlns="http://www.w3.org/1999/xhtml">``."""
    entry = (b"<entry><id>tag:c,1</id><title>Nvidia GPU story</title><link href='https://c.example/1'/>"
             b"<updated>2026-11-24T08:00:00Z</updated><summary>Nvidia unveiled a GPU.</summary></entry>")
    text = feed_server.add("/t.atom", Reply(body=b"<feed xmlns='http://www.w3.org/2005/Atom'><title>Tech &amp; Chips"
                                                 b"</title>" + entry + b"</feed>", content_type="application/atom+xml"))
    xhtml = feed_server.add("/x.atom", Reply(body=b"<feed xmlns='http://www.w3.org/2005/Atom'><title type='xhtml'>"
                                                  b"<div xmlns='http://www.w3.org/1999/xhtml'>Chip <b>Notes</b></div>"
                                                  b"</title>" + entry.replace(b"c,1", b"c,2") + b"</feed>"))
    settings = settings_from_mapping({**CONFIG, "fetch": {"allow_hosts": ["127.0.0.1"]}})
    r = run(settings, store, f"feeds test {text}")
    assert not r.error and "Tech & Chips" in r.text and "&amp;" not in r.text, r.text
    assert "Added source “Tech & Chips”" in run(settings, store, f"feeds add {text}").text
    assert "Added source “Chip Notes”" in run(settings, store, f"feeds add {xhtml}").text


def test_feed_scheme_and_wrapped_urls_are_added_as_http(store: Store, feed_server: FeedServer) -> None:  # noqa: F811
    """Browsers and feed readers hand out ``feed://host/rss`` and ``feed:https://host/rss``; both
    were refused as "expected an http:// or https:// URL"."""
    one = feed_server.add("/one.xml", Reply(body=rss("One")))
    two = feed_server.add("/two.xml", Reply(body=rss("Two")))
    settings = settings_from_mapping({**CONFIG, "fetch": {"allow_hosts": ["127.0.0.1"]}})
    r = run(settings, store, f"feeds test {one.replace('http://', 'feed://')}")
    assert not r.error and "One" in r.text, r.text
    r = run(settings, store, f"feeds add {one.replace('http://', 'feed://')}")
    assert not r.error and f"Added source “One” ({one})" in r.text, r.text
    r = run(settings, store, f"feeds add feed:{two}")
    assert not r.error and f"({two})" in r.text, r.text
    for bad in ("feed:file:///etc/passwd", "feed:javascript:alert(1)"):
        r = run(settings, store, f"feeds add {bad}")
        assert r.error and f"Refused {bad!r}: expected an http:// or https:// URL." == r.text, r.text
    r = run(settings, store, f"feeds add {one}/")  # the same feed again, with a trailing slash
    assert r.error and "already polled as “One”" in r.text, r.text
    assert [(s.name, s.url) for s in effective_sources(settings, store)] == [
        ("Wire", "https://wire.example/feed"), ("One", one), ("Two", two)]


def test_a_wordpress_site_address_adds_its_posts_feed(store: Store, feed_server: FeedServer) -> None:  # noqa: F811
    """Every WordPress page advertises its posts feed and its comments feed: pasting the site's
    address answered "a site with several feeds; add one of them" for nearly every blog."""
    page = (Path(__file__).parent / "pages" / "wordpress.html").read_bytes()
    site = feed_server.add("/", Reply(body=page.replace(b"{BASE}", feed_server.base_url.encode()),
                                      content_type="text/html; charset=utf-8"))
    feed_server.add("/wp/feed/", Reply(body=rss("Chip Notes")))
    feed_server.add("/wp/comments/feed/", Reply(body=rss("Comments for Chip Notes")))
    settings = settings_from_mapping({**CONFIG, "fetch": {"allow_hosts": ["127.0.0.1"]}})
    r = run(settings, store, f"feeds add {site}")
    assert not r.error and f"Added source “Chip Notes” ({feed_server.url('/wp/feed/')})" in r.text, r.text
