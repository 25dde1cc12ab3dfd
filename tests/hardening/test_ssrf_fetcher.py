"""The SSRF guard wired into the Fetcher, over loopback: config sources trusted, nothing else.

A source written in the config on 127.0.0.1 is fetched (the operator chose it), but its
redirect to ``localhost`` — another internal host — is refused, as are metadata
addresses, sources added at runtime that point inside, and article links from a feed
that point inside. Every refusal is a clear error naming the source and the reason, is
not retried, and never reaches the target.
"""

from __future__ import annotations

from pathlib import Path

from bot.ingest import Fetcher
from bot.models import FetchState
from bot.pipeline import Pipeline
from bot.settings import FetchSettings, SourceSettings, settings_from_mapping
from bot.store import Store
from tests.feedserver import FeedServer, feed_server, story_rss
from tests.hardening.hostile import FEEDS

__all__ = ["feed_server"]

FEED = story_rss(FEEDS["wire"], "wire.example")


def fetcher(config: list[SourceSettings], **kw: object) -> Fetcher:
    base: dict[str, object] = {"timeout": 5, "connect_timeout": 2, "retries": 2}
    base.update(kw)
    return Fetcher(FetchSettings(**base), backoff=0.01, config_sources=lambda: config)  # type: ignore[arg-type]


async def poll(f: Fetcher, source: SourceSettings):  # type: ignore[no-untyped-def]
    return await f.fetch(source, FetchState(source=source.name, url=source.url))


async def test_config_source_on_loopback_works_its_redirect_to_localhost_is_refused(feed_server: FeedServer) -> None:
    feed_server.feed("/feed.xml", FEED)
    feed_server.redirect("/moved.xml", f"http://localhost:{feed_server.port}/feed.xml")
    feed_server.redirect("/meta.xml", "http://169.254.169.254/latest/meta-data/")
    ok = SourceSettings(name="Intranet wire", url=feed_server.url("/feed.xml"))
    moved = SourceSettings(name="Moved wire", url=feed_server.url("/moved.xml"))
    meta = SourceSettings(name="Meta wire", url=feed_server.url("/meta.xml"))
    async with fetcher([ok, moved, meta]) as f:
        good, bad, worse = await poll(f, ok), await poll(f, moved), await poll(f, meta)
    assert good.status == "ok" and good.feed is not None and len(good.feed.entries) == 2
    assert bad.status == "error" and bad.error is not None
    assert bad.error.startswith("Moved wire: ") and "SSRF" in bad.error
    assert "localhost resolves to 127.0.0.1" in bad.error and "fetch.allow_hosts" in bad.error
    assert worse.status == "error" and "Meta wire" in (worse.error or "") and "metadata" in (worse.error or "")
    assert feed_server.hits["/moved.xml"] == 1 and feed_server.hits["/meta.xml"] == 1  # refusals are not retried
    assert feed_server.hits["/feed.xml"] == 1  # the localhost hop never left the process


async def test_runtime_added_source_pointing_inside_needs_allow_hosts(feed_server: FeedServer) -> None:
    url = feed_server.feed("/feed.xml", FEED)
    added = SourceSettings(name="Added from chat", url=url)  # not in the config's sources
    async with fetcher([]) as f:
        refused = await poll(f, added)
    assert refused.status == "error" and "Added from chat" in (refused.error or "")
    assert "private/loopback" in (refused.error or "") and feed_server.hits["/feed.xml"] == 0
    async with fetcher([], allow_hosts=["127.0.0.0/8"]) as f:
        assert (await poll(f, added)).status == "ok"


async def test_article_links_pointing_inside_are_not_fetched(feed_server: FeedServer) -> None:
    page = feed_server.feed("/page.html", b"<html><body><article><p>" + b"word " * 200 + b"</p></article></body></html>",
                     content_type="text/html")
    src = SourceSettings(name="Wire", url=feed_server.feed("/feed.xml", FEED))
    async with fetcher([src]) as f:
        assert (await poll(f, src)).status == "ok"
        assert await f.fetch_page(page) is not None  # the config source's own host
        assert await f.fetch_page(f"http://localhost:{feed_server.port}/page.html") is None
        assert await f.fetch_page("http://169.254.169.254/latest/meta-data/") is None
        assert await f.fetch_page("http://10.0.0.1/admin") is None
    assert feed_server.hits["/page.html"] == 1


async def test_pipeline_trusts_the_config_sources(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.feed("/wire.xml", FEED)
    feed_server.redirect("/hop.xml", f"http://localhost:{feed_server.port}/wire.xml")
    settings = settings_from_mapping({
        "sources": [{"name": "wire", "url": feed_server.url("/wire.xml"), "full_text": "never"},
                    {"name": "hop", "url": feed_server.url("/hop.xml"), "full_text": "never"}],
        "channels": [{"name": "c", "console": True}]})
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        async with Pipeline(settings, store, {}, process=False) as p:
            report = await p.run_cycle()
        hop = store.fetch_state("hop", feed_server.url("/hop.xml"))
    finally:
        store.close()
    assert report.fetched == 1 and report.errors == 1 and report.new_articles == 2
    assert "hop: refused by the SSRF guard" in (hop.last_error or "") and "localhost" in (hop.last_error or "")


async def test_pipeline_does_not_trust_sources_added_from_chat(feed_server: FeedServer, tmp_path: Path) -> None:
    """A source added at runtime is polled like a config source, but its host is not trusted."""
    from bot.sources.registry import add_source

    feed_server.feed("/wire.xml", FEED)
    feed_server.feed("/inside.xml", story_rss(FEEDS["daily"], "daily.example"))
    settings = settings_from_mapping({
        "sources": [{"name": "wire", "url": feed_server.url("/wire.xml"), "full_text": "never"}],
        "channels": [{"name": "c", "console": True}]})
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        # as if the URL had slipped past the command's own check (e.g. DNS changed since)
        inside = f"http://localhost:{feed_server.port}/inside.xml"
        add_source(settings, store, SourceSettings(name="chat", url=inside, full_text="never"), "slack:U1")
        async with Pipeline(settings, store, {}, process=False) as p:
            report = await p.run_cycle()
        chat = store.fetch_state("chat", inside)
    finally:
        store.close()
    assert report.sources == 2 and report.fetched == 1 and report.new_articles == 2
    assert "refused by the SSRF guard" in (chat.last_error or "") and feed_server.hits["/inside.xml"] == 0
