"""Fetch over real HTTP: the real httpx client against a loopback feed server."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

if str(ROOT := Path(__file__).resolve().parents[2]) not in sys.path:  # plain `pytest` (not -m) run
    sys.path.insert(0, str(ROOT))
from bot.ingest import Fetcher, clean_entry, complete_teasers, is_teaser
from bot.models import FetchState
from bot.settings import FetchSettings, SourceSettings
from tests.feedserver import FeedServer, Reply, feed_server

__all__ = ["feed_server"]

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def rss(*items: str, encoding: str = "utf-8", extra_ns: str = "") -> bytes:
    body = "".join(items)
    doc = (f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0" '
           f'xmlns:content="http://purl.org/rss/1.0/modules/content/"{extra_ns}><channel><title>T</title>'
           f"<link>https://t.example/</link><description>d</description>{body}</channel></rss>")
    return doc.encode(encoding)


def item(n: int, title: str | None = None, desc: str = "A story with enough words to be the full text.") -> str:
    return (f"<item><title>{title or f'Story {n}'}</title><link>https://t.example/{n}?utm_source=rss</link>"
            f"<guid>t-{n}</guid><pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate>"
            f"<description>{desc}</description></item>")


def src(name: str, url: str, **kw: object) -> SourceSettings:
    return SourceSettings(name=name, url=url, **kw)  # type: ignore[arg-type]


def fetcher(**kw: object) -> Fetcher:
    base: dict[str, object] = {"timeout": 5, "connect_timeout": 2, "retries": 2, "pause_after_failures": 3,
                               "max_bytes": 200_000}
    base.update(kw)
    return Fetcher(FetchSettings(**base), backoff=0.01, max_retry_after=5)  # type: ignore[arg-type]


async def poll(f: Fetcher, source: SourceSettings, state: FetchState | None = None):  # type: ignore[no-untyped-def]
    return await f.fetch(source, state or FetchState(source=source.name, url=source.url))


async def test_ok_then_not_modified_with_etag(feed_server: FeedServer) -> None:
    url = feed_server.feed("/a.xml", rss(item(1), item(2)), etag='"v1"', last_modified="Tue, 24 Nov 2026 10:00:00 GMT")
    s = src("A", url)
    async with fetcher() as f:
        first = await poll(f, s)
        assert first.status == "ok" and first.feed is not None and len(first.feed.entries) == 2
        assert first.state.etag == '"v1"' and first.state.last_modified == "Tue, 24 Nov 2026 10:00:00 GMT"
        assert first.state.last_status == 200 and first.state.last_ok_at is not None
        second = await poll(f, s, first.state)
    assert second.status == "not_modified" and second.feed is None and second.state.last_status == 304
    assert second.state.etag == '"v1"'
    sent = feed_server.requests[-1].headers
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == "Tue, 24 Nov 2026 10:00:00 GMT"


async def test_not_modified_with_last_modified_only(feed_server: FeedServer) -> None:
    url = feed_server.feed("/lm.xml", rss(item(1)), last_modified="Mon, 23 Nov 2026 08:00:00 GMT")
    async with fetcher() as f:
        first = await poll(f, src("LM", url))
        assert first.state.etag is None
        second = await poll(f, src("LM", url), first.state)
    assert second.status == "not_modified"
    assert "If-None-Match" not in feed_server.requests[-1].headers


async def test_permanent_redirect_updates_url_temporary_does_not(feed_server: FeedServer) -> None:
    new = feed_server.feed("/new.xml", rss(item(1)))
    old = feed_server.redirect("/old.xml", new, 301)
    tmp = feed_server.redirect("/tmp.xml", new, 302)
    perm308 = feed_server.redirect("/p308.xml", "/new.xml", 308)
    async with fetcher() as f:
        moved = await poll(f, src("Old", old))
        temp = await poll(f, src("Tmp", tmp))
        rel = await poll(f, src("P", perm308))
    assert moved.status == "ok" and moved.state.url == new
    assert temp.status == "ok" and temp.state.url == tmp
    assert rel.state.url == new  # relative Location resolved


async def test_429_retry_after_then_success(feed_server: FeedServer) -> None:
    url = feed_server.add("/busy.xml", Reply(status=429, headers={"Retry-After": "1"}), Reply(body=rss(item(1))))
    async with fetcher() as f:
        t0 = time.monotonic()
        res = await poll(f, src("Busy", url))
        waited = time.monotonic() - t0
    assert res.status == "ok" and feed_server.hits["/busy.xml"] == 2
    assert waited >= 1.0  # Retry-After honoured, not the 10 ms backoff


async def test_503_retry_after_http_date(feed_server: FeedServer) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
    url = feed_server.add("/d.xml", Reply(status=503, headers={"Retry-After": when}), Reply(body=rss(item(1))))
    async with fetcher() as f:
        res = await poll(f, src("D", url))
    assert res.status == "ok" and feed_server.hits["/d.xml"] == 2


async def test_long_retry_after_gives_up_and_schedules(feed_server: FeedServer) -> None:
    url = feed_server.add("/slow.xml", Reply(status=429, headers={"Retry-After": "3600"}))
    async with fetcher() as f:
        res = await poll(f, src("Slow", url))
    assert res.status == "error" and feed_server.hits["/slow.xml"] == 1
    assert "429" in (res.error or "") and "3600" in (res.error or "")
    assert res.state.next_poll_at is not None and res.state.next_poll_at > datetime.now(UTC) + timedelta(minutes=59)


async def test_500_then_recovery(feed_server: FeedServer) -> None:
    url = feed_server.add("/flaky.xml", Reply(status=500), Reply(body=rss(item(1))))
    async with fetcher() as f:
        res = await poll(f, src("Flaky", url))
    assert res.status == "ok" and res.state.failures == 0 and feed_server.hits["/flaky.xml"] == 2


async def test_500_across_polls_counts_failures_then_resets(feed_server: FeedServer) -> None:
    url = feed_server.add("/down.xml", Reply(status=500), Reply(status=500), Reply(body=rss(item(1))))
    async with fetcher(retries=0) as f:
        first = await poll(f, src("Down", url))
        assert first.status == "error" and first.state.failures == 1 and "HTTP 500" in (first.error or "")
        second = await poll(f, src("Down", url), first.state)
        assert second.state.failures == 2
        third = await poll(f, src("Down", url), second.state)
    assert third.status == "ok" and third.state.failures == 0 and third.state.last_error is None


async def test_malformed_feed_is_a_clear_error_and_others_are_unaffected(feed_server: FeedServer) -> None:
    good = [feed_server.feed(f"/g{i}.xml", rss(item(i))) for i in range(3)]
    bad = feed_server.feed("/bad.xml", b'<rss version="2.0"><channel><title>Broken</title><<<>>> &&& </chan')
    html = feed_server.feed("/page.xml", b"<!DOCTYPE html><html><body><p>Not a feed</p></body></html>",
                            content_type="text/html")
    sources = [src(f"Good {i}", u) for i, u in enumerate(good)] + [src("Broken Feed", bad), src("Web Page", html)]
    async with fetcher() as f:
        results = await asyncio.gather(*(poll(f, s) for s in sources))
    assert [r.status for r in results] == ["ok", "ok", "ok", "error", "error"]
    assert "Broken Feed" in (results[3].error or "") and "/bad.xml" in (results[3].error or "")
    assert "HTML page" in (results[4].error or "")
    assert all(r.feed and len(r.feed.entries) == 1 for r in results[:3])


async def test_huge_body_is_capped(feed_server: FeedServer) -> None:
    big = rss(*(item(i, desc="x" * 1000) for i in range(400)))
    declared = feed_server.feed("/big.xml", big)
    streamed = feed_server.add("/stream.xml", Reply(chunks=lambda: (b"<rss>" + b"y" * 65536 for _ in range(100))))
    bomb = feed_server.add("/bomb.xml", Reply(body=b"<rss>" + b" " * 50_000_000, gzip=True))
    async with fetcher(max_bytes=100_000) as f:
        results = [await poll(f, src(n, u)) for n, u in (("Big", declared), ("Stream", streamed), ("Bomb", bomb))]
    for r in results:
        assert r.status == "error" and "too large" in (r.error or "") and "100,000" in (r.error or "")


async def test_gzip_body_is_decoded(feed_server: FeedServer) -> None:
    url = feed_server.add("/gz.xml", Reply(body=rss(item(1)), gzip=True))
    async with fetcher() as f:
        res = await poll(f, src("Gz", url))
    assert res.status == "ok" and res.feed is not None and res.feed.entries[0].title == "Story 1"


async def test_410_gone_pauses_and_stops_polling(feed_server: FeedServer) -> None:
    url = feed_server.add("/gone.xml", Reply(status=410))
    async with fetcher() as f:
        res = await poll(f, src("Gone", url))
        assert res.status == "paused" and res.state.paused and "410" in (res.state.pause_reason or "")
        again = await poll(f, src("Gone", url), res.state)
    assert again.status == "paused" and feed_server.hits["/gone.xml"] == 1


async def test_repeated_failures_pause(feed_server: FeedServer) -> None:
    url = feed_server.add("/missing.xml", Reply(status=404))
    state = FetchState(source="Missing", url=url)
    async with fetcher(pause_after_failures=3) as f:
        statuses = []
        for _ in range(3):
            res = await poll(f, src("Missing", url), state)
            statuses.append(res.status)
            state = res.state
    assert statuses == ["error", "error", "paused"]
    assert state.paused and "3 consecutive failures" in (state.pause_reason or "") and "404" in state.pause_reason


async def test_connection_refused_and_timeout_are_errors(feed_server: FeedServer) -> None:
    slow = feed_server.add("/sleepy.xml", Reply(body=rss(item(1)), delay=1.5))
    async with fetcher(timeout=0.4, retries=0) as f:
        timed = await poll(f, src("Sleepy", slow))
        refused = await poll(f, src("Nowhere", "http://127.0.0.1:9/feed.xml"))
    assert timed.status == "error" and "timed out" in (timed.error or "")
    assert refused.status == "error" and "network error" in (refused.error or "")


async def test_per_host_limit(feed_server: FeedServer) -> None:
    urls = [feed_server.add(f"/p{i}.xml", Reply(body=rss(item(i)), delay=0.3)) for i in range(6)]
    async with fetcher(per_host=2) as f:
        t0 = time.monotonic()
        results = await asyncio.gather(*(poll(f, src(f"P{i}", u)) for i, u in enumerate(urls)))
        took = time.monotonic() - t0
    assert all(r.status == "ok" for r in results)
    assert took >= 0.85  # three waves of two


async def test_windows_1252_declared_in_prolog(feed_server: FeedServer) -> None:
    body = rss(item(1, title="Caf\u00e9 \u201csmart\u201d chips \u2013 \u20ac5bn"), encoding="windows-1252")
    assert b"\xe9" in body and b"\x80" in body
    url = feed_server.feed("/cp.xml", body, content_type="application/rss+xml")
    async with fetcher() as f:
        res = await poll(f, src("CP", url))
    assert res.feed is not None
    art = clean_entry(res.feed.entries[0], "CP", NOW)
    assert art.title == "Café “smart” chips – €5bn"


async def test_latin1_declared_only_in_header(feed_server: FeedServer) -> None:
    doc = ('<rss version="2.0"><channel><title>L</title><item><title>R\u00e9sum\u00e9 na\u00efve</title>'
           "<link>https://l.example/1</link><description>Fa\u00e7ade</description></item></channel></rss>")
    url = feed_server.feed("/l1.xml", doc.encode("latin-1"), content_type="text/xml; charset=ISO-8859-1")
    async with fetcher() as f:
        res = await poll(f, src("L1", url))
    assert res.feed is not None
    art = clean_entry(res.feed.entries[0], "L1", NOW)
    assert art.title == "Résumé naïve" and art.text == "Façade"


async def test_mojibake_and_residue_repaired(feed_server: FeedServer) -> None:
    body = rss(item(1, title="Big idea \u00f0\u0178\u2019\u00a1 for chips",
                    desc="Big news\u0e50 today. Nvidia shipped it.&lt;p&gt;Share this&lt;/p&gt;"))
    url = feed_server.feed("/moji.xml", body)
    async with fetcher() as f:
        res = await poll(f, src("Moji", url))
    assert res.feed is not None
    art = clean_entry(res.feed.entries[0], "Moji", NOW)
    assert art.title == "Big idea 💡 for chips"
    assert art.text == "Big news today. Nvidia shipped it."
    assert art.canonical_url == "https://t.example/1"


ARTICLE_PAGE = b"""<!DOCTYPE html><html><head><title>Chip deal</title></head><body>
<nav><a href="/">Home</a> <a href="/tech">Tech</a></nav>
<article><h1>Chipmaker signs cloud deal</h1>
<p>The chipmaker said on Tuesday that it had signed a multi-year agreement to supply accelerators to a large cloud
provider, in a deal analysts valued at several billion dollars over its lifetime.</p>
<p>Shipments are expected to start in the second quarter, and the company raised its revenue forecast for the
year on the back of the agreement, sending its shares up eight percent in early trading.</p>
<p>The cloud provider will use the chips to train and serve large language models in three new data centres.</p>
</article><footer>Copyright 2026 Example Media. Sign up for our newsletter.</footer></body></html>"""


async def test_teaser_fetches_article_page(feed_server: FeedServer) -> None:
    page = feed_server.add("/pages/deal.html", Reply(body=ARTICLE_PAGE, content_type="text/html; charset=utf-8"))
    teaser = (f"<item><title>Chipmaker signs cloud deal</title><link>{page}</link><guid>deal</guid>"
              "<description>The chipmaker signed a deal\u2026</description></item>")
    full = item(2, desc=" ".join(["word"] * 80))
    url = feed_server.feed("/teaser.xml", rss(teaser, full))
    async with fetcher() as f:
        res = await poll(f, src("Teasers", url))
        assert res.feed is not None
        entries = res.feed.entries
        assert is_teaser(entries[0]) and not is_teaser(entries[1])
        text = await f.fetch_article_text(page)
        filled = await complete_teasers(f, entries, "auto")
    assert text is not None and "multi-year agreement" in text and "Home" not in text
    assert filled == 1 and feed_server.hits["/pages/deal.html"] == 2
    art = clean_entry(entries[0], "Teasers", NOW)
    assert "second quarter" in art.text and "\n" in art.text


async def test_complete_teasers_fetches_at_most_max_full_text_pages(feed_server: FeedServer) -> None:
    """The ingest API's teaser completion keeps the pipeline's per-poll cap: each page is a request
    to an address the feed chose (before, every teaser of a 1,000-teaser feed was fetched)."""
    page = feed_server.add("/pages/deal.html", Reply(body=ARTICLE_PAGE, content_type="text/html; charset=utf-8"))
    teasers = [f"<item><title>Deal {i}</title><link>{page}?n={i}</link><guid>d{i}</guid>"
               f"<pubDate>Tue, 24 Nov 2026 0{i}:00:00 GMT</pubDate><description>A deal\u2026</description></item>"
               for i in range(5)]
    url = feed_server.feed("/teasers.xml", rss(*teasers))
    async with fetcher(max_full_text=2) as f:
        res = await poll(f, src("Teasers", url))
        assert res.feed is not None
        filled = await complete_teasers(f, res.feed.entries, "auto")
    assert filled == 2 and sum(n for p, n in feed_server.hits.items() if p.startswith("/pages/deal.html")) == 2
    assert [e.guid for e in res.feed.entries if e.content] == ["d3", "d4"]  # the newest two


async def test_article_page_failure_is_none(feed_server: FeedServer) -> None:
    async with fetcher(retries=0) as f:
        assert await f.fetch_article_text(feed_server.url("/pages/missing.html")) is None


JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J", "home_page_url": "https://j.example/",
 "items": [{"id": "j1", "url": "https://j.example/1?fbclid=abc", "title": "JSON & friends",
            "content_html": "<p>Hello <b>JSON</b></p>", "date_published": "2026-11-24T09:30:00+01:00",
            "authors": [{"name": "Ada"}]},
           {"id": "j2", "url": "/2", "title": "Text only", "content_text": "Line one.\\nLine two."}]}"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><link href="https://a.example/"/>
<entry><id>tag:a,2026:1</id><title type="html">Atom &amp;lt;3 chips</title>
<link rel="alternate" href="https://a.example/1"/><updated>2026-11-24T08:00:00Z</updated>
<summary>Short</summary><content type="html">&lt;p&gt;Full &lt;i&gt;text&lt;/i&gt;&lt;/p&gt;</content>
<author><name>Bo</name></author></entry></feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://r.example/"><title>R</title><link>https://r.example/</link><description>d</description></channel>
<item rdf:about="https://r.example/1"><title>RDF one</title><link>https://r.example/1</link>
<description>First RDF item.</description><dc:date>2026-11-24T07:00:00Z</dc:date><dc:creator>Cy</dc:creator></item>
</rdf:RDF>"""


@pytest.mark.parametrize(("path", "body", "ctype", "kind", "title", "text"), [
    ("/j.json", JSON_FEED, "application/feed+json", "json1.1", "JSON & friends", "Hello JSON"),
    ("/a.atom", ATOM, "application/atom+xml", "atom1.0", "Atom <3 chips", "Full text"),
    ("/r.rdf", RDF, "application/rdf+xml", "rss1.0", "RDF one", "First RDF item."),
])
async def test_formats_over_http(feed_server: FeedServer, path: str, body: bytes, ctype: str, kind: str,
                                 title: str, text: str) -> None:
    url = feed_server.feed(path, body, content_type=ctype)
    async with fetcher() as f:
        res = await poll(f, src("F", url))
    assert res.status == "ok" and res.feed is not None and res.feed.kind == kind
    art = clean_entry(res.feed.entries[0], "F", NOW)
    assert art.title == title and art.text == text and art.published_at is not None
    assert res.feed.entries[0].author is not None


async def test_json_feed_relative_url_and_text_content(feed_server: FeedServer) -> None:
    url = feed_server.feed("/j2.json", JSON_FEED, content_type="application/json")
    async with fetcher() as f:
        res = await poll(f, src("J", url))
    assert res.feed is not None
    first, second = (clean_entry(e, "J", NOW) for e in res.feed.entries)
    assert first.canonical_url == "https://j.example/1"
    assert second.url == url.rsplit("/", 1)[0] + "/2" and second.text == "Line one.\nLine two."


async def test_stock_httpx_transport_behaves_the_same(feed_server: FeedServer) -> None:
    ok = feed_server.feed("/s.xml", rss(item(1)), etag='"s1"')
    moved = feed_server.redirect("/s-old.xml", ok, 308)
    busy = feed_server.add("/s-busy.xml", Reply(status=503, headers={"Retry-After": "0"}), Reply(body=rss(item(2))))
    big = feed_server.add("/s-big.xml", Reply(chunks=lambda: (b"<rss>" + b"z" * 65536 for _ in range(20))))
    settings = FetchSettings(timeout=5, retries=1, max_bytes=100_000)  # type: ignore[arg-type]
    async with Fetcher(settings, backoff=0.01, transport=httpx.AsyncHTTPTransport()) as f:
        first = await poll(f, src("S", moved))
        again = await poll(f, src("S", moved), first.state)
        retried = await poll(f, src("B", busy))
        capped = await poll(f, src("Big", big))
        refused = await poll(f, src("No", "http://127.0.0.1:9/x.xml"))
    assert first.status == "ok" and first.state.url == ok and again.status == "not_modified"
    assert retried.status == "ok" and "too large" in (capped.error or "") and "network error" in (refused.error or "")


async def test_a_permanent_redirect_to_a_page_that_is_no_feed_keeps_the_feeds_address(feed_server: FeedServer) -> None:
    """Publishers that drop a feed often 301 it to their home page (or a 'page not found' page).
    Before: the home page became the source's address before it was read, so the poll failed
    as 'malformed feed from <home page>' and every later poll (and a paused source's probes)
    went to the home page: when the feed came back at its address, it was never read again.
    Now a move is adopted only when its target is a feed; otherwise the error says where the
    feed was sent, and the feed's own address is polled next time."""
    home = feed_server.feed("/", b"<!doctype html><html><head><title>Home</title></head><body>Welcome</body></html>",
                            content_type="text/html; charset=utf-8")
    old = feed_server.redirect("/blog.xml", home, 301)
    async with fetcher() as f:
        first = await poll(f, src("Blog", old))
        assert first.status == "error" and first.state.url == old
        assert f"moved permanently to {home}" in (first.error or ""), first.error
        feed_server.feed("/blog.xml", rss(item(1)))  # the publisher restores the feed
        second = await poll(f, src("Blog", old), first.state)
    assert second.status == "ok" and second.state.url == old and second.feed is not None


async def test_per_host_limits_are_not_kept_for_every_host_ever_fetched(feed_server: FeedServer) -> None:
    """A bot running for months fetches article pages on tens of thousands of hosts (an aggregator's
    links): the per-host limit of a host nobody is fetching from is dropped, not kept forever."""
    url = feed_server.feed("/page.html", b"<html><body><p>text</p></body></html>")
    async with fetcher(retries=0, allow_hosts=["127.0.0.1"]) as f:  # the others are refused by the guard
        await asyncio.gather(*(f.fetch_page(f"http://127.0.{i // 250}.{i % 250 + 2}/a") for i in range(300)))
        assert await f.fetch_page(url)
        assert len(f._hosts) == 0
        # the limit still holds while a host is busy: per_host fetches at once, the others wait
        feed_server.add("/slow.html", Reply(body=b"<html><body><p>x</p></body></html>", content_type="text/html",
                                            delay=0.3))
        slow = feed_server.url("/slow.html")
        started = time.monotonic()
        assert all(await asyncio.gather(*(f.fetch_page(slow) for _ in range(3 * f.settings.per_host))))
        assert time.monotonic() - started >= 0.85  # three rounds of 0.3 s
        assert len(f._hosts) == 0
