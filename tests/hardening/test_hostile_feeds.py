"""Hostile feeds over real loopback HTTP, through the real Fetcher (and the pipeline's store step).

Complements ``tests/unit/ingest/test_ingest_parser.py`` (entity attacks on the parser alone)
and ``tests/scenario/test_fetch_http.py`` (size caps incl. a gzip bomb and an endless body,
a server slow to answer, refused connections): what is here is what those do not cover —
entity attacks arriving over HTTP with a listener that counts any outbound entity fetch,
quadratic blow-up, the three timeout kinds separately (connect, read, total against a
trickling server), 100 KB titles, invalid UTF-8 and JSON lone surrogates all the way into
the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.ingest import Fetcher
from bot.ingest.cleaner import MAX_TITLE
from bot.models import FetchState
from bot.pipeline import Pipeline
from bot.settings import FetchSettings, SourceSettings, settings_from_mapping
from bot.store import Store
from tests.feedserver import FeedServer, Reply, feed_server

__all__ = ["feed_server"]


def fetcher(**kw: object) -> Fetcher:
    base: dict[str, object] = {"timeout": 5, "connect_timeout": 2, "retries": 0, "max_bytes": 2_000_000}
    base.update(kw)
    return Fetcher(FetchSettings(**base), backoff=0.01)  # type: ignore[arg-type]


async def poll(f: Fetcher, name: str, url: str):  # type: ignore[no-untyped-def]
    return await f.fetch(SourceSettings(name=name, url=url), FetchState(source=name, url=url))


def _rss(title: bytes, doctype: bytes = b"", n: int = 1) -> bytes:
    return (b'<?xml version="1.0" encoding="utf-8"?>' + doctype + b'<rss version="2.0"><channel><title>t</title>'
            b"<link>https://t.example/</link><item><title>" + title + b"</title><link>https://t.example/%d</link>"
            b"<guid>g%d</guid><description>d</description></item></channel></rss>" % (n, n))


def _titles(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.title for e in res.feed.entries] if res.feed else []


async def test_external_entities_over_http_are_never_fetched_or_read(feed_server: FeedServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    spy = feed_server.url("/spy")
    feed_server.add("/spy", Reply(body=b"SPIED", content_type="text/plain"))
    feed_server.add("/evil.dtd", Reply(body=f'<!ENTITY exfil SYSTEM "{spy}?x">'.encode(), content_type="text/plain"))
    docs = {
        "file": (b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://' + str(secret).encode() + b'">]>', b"&xxe;"),
        "http": (b'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "' + spy.encode() + b'">]>', b"&xxe;"),
        "parameter": (b'<!DOCTYPE rss [<!ENTITY % dtd SYSTEM "' + feed_server.url("/evil.dtd").encode()
                      + b'"> %dtd;]>', b"&exfil;"),
        "external-dtd": (b'<!DOCTYPE rss SYSTEM "' + feed_server.url("/evil.dtd").encode() + b'">', b"&exfil; x"),
    }
    urls = {k: feed_server.feed(f"/{k}.xml", _rss(ref, doctype)) for k, (doctype, ref) in docs.items()}
    async with fetcher() as f:
        results = {k: await poll(f, k, u) for k, u in urls.items()}
    for kind, res in results.items():
        assert res.status in ("ok", "error"), (kind, res)
        assert not any("SECRET" in t or "SPIED" in t for t in _titles(res)), (kind, _titles(res))
    assert feed_server.hits["/spy"] == 0 and feed_server.hits["/evil.dtd"] == 0  # nothing left the parser


LOL = b'<!ENTITY lol "lol">' + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
PAD = b"<!--" + b"p" * 70_000 + b"-->"  # pushes the DOCTYPE past a 64 KB look-ahead


def _utf16(doc: bytes) -> bytes:
    return doc.replace(b'encoding="utf-8"', b'encoding="utf-16"').decode().encode("utf-16")


ATTACKS = {  # name: (doctype, reference in the title, transform of the whole document)
    "billion-laughs": (b"<!DOCTYPE rss [" + LOL + b"]>", b"&lol9;", None),
    "quadratic": (b'<!DOCTYPE rss [<!ENTITY big "' + b"B" * 50_000 + b'">]>', b"&big;" * 2000, None),
    "billion-laughs-after-70KB-comment": (PAD + b"<!DOCTYPE rss [" + LOL + b"]>", b"&lol9;", None),
    "billion-laughs-70KB-into-the-DTD": (b"<!DOCTYPE rss [" + PAD + LOL + b"]>", b"&lol9;", None),
    "billion-laughs-utf16": (b"<!DOCTYPE rss [" + LOL + b"]>", b"&lol9;", _utf16),
    "quadratic-utf16": (b'<!DOCTYPE rss [<!ENTITY big "' + b"B" * 50_000 + b'">]>', b"&big;" * 2000, _utf16),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_entity_expansion_over_http_is_refused_quickly(feed_server: FeedServer, attack: str) -> None:
    doctype, ref, transform = ATTACKS[attack]
    body = _rss(ref, doctype)
    url = feed_server.feed("/attack.xml", transform(body) if transform else body)
    async with fetcher() as f:
        t0 = time.perf_counter()
        res = await poll(f, "Attack", url)
        took = time.perf_counter() - t0
    assert res.status == "error" and "declares entities" in (res.error or ""), (res.status, res.error, _titles(res))
    assert took < 1.0, f"{attack} took {took:.2f}s"


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A port whose accept queue is full: a new connection's SYN is dropped, so connect() hangs."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    port = srv.getsockname()[1]
    fill = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            s.connect(("127.0.0.1", port))
        fill.append(s)
    time.sleep(0.1)
    yield port
    for s in fill:
        s.close()
    srv.close()


async def test_connect_timeout(blackhole: int) -> None:
    async with fetcher(timeout=5, connect_timeout=0.4) as f:
        t0 = time.monotonic()
        res = await poll(f, "Blackhole", f"http://127.0.0.1:{blackhole}/feed.xml")
        took = time.monotonic() - t0
    assert res.status == "error" and "timed out" in (res.error or "") and "Connect" in (res.error or "")
    assert 0.3 < took < 2.0, took


async def test_read_timeout_when_the_body_stalls(feed_server: FeedServer) -> None:
    def stall() -> Iterator[bytes]:
        yield b"<rss><channel>"
        time.sleep(3)
        yield b"</channel></rss>"

    url = feed_server.add("/stall.xml", Reply(chunks=stall))
    async with fetcher(timeout=0.8) as f:
        t0 = time.monotonic()
        res = await poll(f, "Stall", url)
        took = time.monotonic() - t0
    assert res.status == "error" and "timed out" in (res.error or ""), res.error
    assert took < 2.0, took


async def test_total_timeout_against_a_trickling_server(feed_server: FeedServer) -> None:
    """One byte every 0.1 s never trips a read timeout; the total deadline still ends the request."""
    def trickle() -> Iterator[bytes]:
        yield b"<rss><channel><title>"
        for _ in range(100):
            time.sleep(0.1)
            yield b"x"

    url = feed_server.add("/trickle.xml", Reply(chunks=trickle))
    async with fetcher(timeout=1.0) as f:
        t0 = time.monotonic()
        res = await poll(f, "Trickle", url)
        took = time.monotonic() - t0
    assert res.status == "error" and "timed out" in (res.error or ""), res.error
    assert 0.9 < took < 2.5, took


async def test_a_pathological_body_does_not_stall_the_other_polls(feed_server: FeedServer) -> None:
    """600 KB of ``<`` in a title: lxml refuses it, the lenient fallback spends seconds on it — in a
    worker thread, so a normal feed polled at the same time still arrives within its own deadline."""
    worst = feed_server.feed("/worst.xml", _rss(b"<" * 600_000))
    normal = feed_server.add("/normal.xml", Reply(body=_rss(b"Ordinary", n=2), delay=0.3))
    async with fetcher(timeout=2.0) as f:
        t0 = time.monotonic()

        async def timed(name: str, url: str):  # type: ignore[no-untyped-def]
            res = await poll(f, name, url)
            return res, time.monotonic() - t0

        (bad, bad_took), (ok, ok_took) = await asyncio.gather(timed("Worst", worst), timed("Normal", normal))
    assert ok.status == "ok" and ok_took < 1.5, (ok.error, ok_took)
    assert bad.status in ("ok", "error") and bad_took > ok_took


# -- into the database -----------------------------------------------------------------------
JSON_SURROGATES = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
                   b'{"id": "j1\\ud800", "url": "https://j.example/1", "title": "Lone \\udfff surrogate",'
                   b' "content_text": "Text \\ud83d with a half emoji"},'
                   b'{"id": "j2", "url": "https://j.example/2", "title": "Fine \\ud83d\\ude80 rocket"}]}')


async def test_hostile_feeds_are_stored_not_fatal(feed_server: FeedServer, tmp_path: Path) -> None:
    """100 KB titles, invalid UTF-8, control/bidi characters and JSON lone surrogates: each entry is stored
    (cleaned), and no feed costs the others their articles."""
    huge = b"Huge " + b"title " * 20_000
    bad_utf8 = b"Caf\xc3 na\xefve \xff\xfe broken \xed\xa0\x80 bytes"
    controls = "Ctrl\x01\x1b[31m \u202eevil\u202c \u200bzero\ufeff width @everyone".encode()
    urls = {
        "huge": feed_server.feed("/huge.xml", _rss(huge, n=1)),
        "utf8": feed_server.feed("/utf8.xml", _rss(bad_utf8, n=2)),
        "controls": feed_server.feed("/controls.xml", _rss(controls, n=3)),
        "json": feed_server.feed("/j.json", JSON_SURROGATES, content_type="application/feed+json"),
        "good": feed_server.feed("/good.xml", _rss(b"An ordinary title", n=4)),
    }
    settings = settings_from_mapping({"sources": [{"name": k, "url": u, "full_text": "never"} for k, u in urls.items()],
                                      "channels": [{"name": "c", "console": True}]})
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        async with Pipeline(settings, store, {}, process=False) as p:
            report = await p.run_cycle()
        arts = {a.source: a for a in store.unprocessed_articles(100)}
        titles = {a.title for a in store.unprocessed_articles(100)}
    finally:
        store.close()
    assert report.errors == 0 and set(arts) == set(urls), (report, set(arts))
    assert len(arts["huge"].title) <= MAX_TITLE and arts["huge"].title.startswith("Huge title")
    assert "Caf" in arts["utf8"].title
    ctl = arts["controls"].title
    assert not any(c in ctl for c in "\x01\x1b\u202e\u202c\u200b\ufeff"), repr(ctl)
    assert "Lone \ufffd surrogate" in titles and "Fine \U0001f680 rocket" in titles


async def test_a_feed_of_sixty_thousand_entries_is_read_to_its_newest(
        feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """7.5 MB of small items (a feed of 1,000,000 would be cut by ``fetch.max_bytes`` first): the newest
    ``fetch.max_entries`` are read, the source is named in a warning, and its neighbours are unaffected.
    Before: all 60,000 were cleaned, stored and clustered in one poll (20,000 took 45 s of the cycle),
    and each teaser's article page fetched (1,000 teasers: 1,000 page requests in one poll)."""
    n = 60_000
    items = b"".join(b"<item><title>Story %d</title><link>https://many.example/%d</link>"
                     b"<pubDate>%s</pubDate></item>" % (i, i, _rfc822(i).encode()) for i in range(n))
    urls = {"many": feed_server.feed("/many.xml", b"<rss version='2.0'><channel><title>m</title>" + items
                                     + b"</channel></rss>"),
            "good": feed_server.feed("/good.xml", _rss(b"An ordinary title", n=4))}
    settings = settings_from_mapping({"sources": [{"name": k, "url": u, "full_text": "never"} for k, u in urls.items()],
                                      "channels": [{"name": "c", "console": True}],
                                      "fetch": {"max_entries": 500}})
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        async with Pipeline(settings, store, {}, process=False) as p:
            report = await p.run_cycle()
        arts = store.unprocessed_articles(n)
    finally:
        store.close()
    assert report.errors == 0
    many = sorted(int(a.title.split()[1]) for a in arts if a.source == "many")
    assert many == list(range(n - 500, n))  # the newest 500, by date (the feed lists the oldest first)
    assert [a.title for a in arts if a.source == "good"] == ["An ordinary title"]
    assert any("many" in r.getMessage() and "60,000 entries" in r.getMessage() and "500" in r.getMessage()
               for r in caplog.records if r.levelname == "WARNING")


def _rfc822(minutes: int) -> str:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    return format_datetime(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes))


# U+202E right-to-left override, U+2066 isolate, U+200B zero width, U+009B the 8-bit terminal CSI, U+0085
HIDDEN = "\u202e\u2066\u200b\u009b\u0085"


async def test_links_carrying_bidi_zero_width_or_c1_controls_reach_no_output_raw(
        feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A link is shown as text by the console destination (and ``signals stories``/``search``), and sent
    to Slack, Discord and webhooks. Before: C0 controls were dropped from links but a right-to-left
    override reached the output, so ``https://evil.example/\\u202emoc.elgoog//:sptth`` read as ending in
    ``https://google.com``, and ``\\x9b31m`` (one-byte CSI) coloured the terminal. Now such characters
    are percent-encoded: the link still leads to the same page (a browser sends those bytes)."""
    from bot.adapters.registry import build_destinations

    link = f"https://evil.example/a{HIDDEN}31m/moc.elgoog//:sptth"
    body = ("<rss version='2.0'><channel><title>t</title><item><title>Nvidia unveils a new GPU accelerator</title>"
            f"<link>{link}</link><description>Nvidia unveiled a GPU accelerator for AI.</description></item>"
            "</channel></rss>").encode()
    url = feed_server.feed("/bidi.xml", body)
    settings = settings_from_mapping({"sources": [{"name": "bidi", "url": url, "full_text": "never"}],
                                      "channels": [{"name": "c", "console": True, "min_importance": 0}]})
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        async with Pipeline(settings, store, build_destinations(settings)) as p:
            report = await p.run_cycle()
        (article,) = store.processed_since(datetime(2000, 1, 1, tzinfo=UTC))
    finally:
        store.close()
    out = capsys.readouterr().out
    assert report.delivered.sent == 1 and "Nvidia unveils" in out
    assert not any(c in out or c in article.url for c in HIDDEN), ascii(out)
    assert article.url == "https://evil.example/a%E2%80%AE%E2%81%A6%E2%80%8B%C2%9B%C2%8531m/moc.elgoog//:sptth"


@pytest.mark.parametrize("body", [b'{"items": [' + b"[" * 100_000, b'{"items": [{"title": ' + b'{"a": ' * 100_000],
                         ids=["arrays", "objects"])
async def test_deeply_nested_json_is_a_clear_per_source_error(feed_server: FeedServer, body: bytes,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """100,000 nested brackets in 100 KB. Before: the JSON reader's RecursionError was reported as a
    parser bug ("parser failed: RecursionError", with an ERROR traceback per poll); now it is the
    feed's own malformation, named, like any invalid JSON."""
    url = feed_server.feed("/deep.json", body, content_type="application/feed+json")
    async with fetcher() as f:
        res = await poll(f, "deep", url)
    assert res.status == "error" and "nested too deeply" in (res.error or ""), res.error
    assert [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []


async def test_a_feed_of_teasers_costs_at_most_max_full_text_page_requests_per_poll(
        feed_server: FeedServer, tmp_path: Path) -> None:
    """Each teaser's article page is fetched (up to 5 MB each, then run through the extractor), at
    URLs the feed chooses. Before: one poll of a feed of 1,000 teasers sent 1,000 page requests (22 s,
    up to 5 GB); now the newest ``fetch.max_full_text`` are completed and the rest keep their teaser."""
    page = feed_server.add("/article", Reply(body=b"<html><body><article><p>" + b"Full article text. " * 60
                                             + b"</p></article></body></html>", content_type="text/html"))
    items = b"".join(b"<item><title>Teaser %d</title><link>%s?n=%d</link><description>Short.</description>"
                     b"<pubDate>%s</pubDate></item>" % (i, page.encode(), i, _rfc822(i).encode()) for i in range(150))
    url = feed_server.feed("/teasers.xml", b"<rss version='2.0'><channel><title>t</title>" + items + b"</channel></rss>")
    settings = settings_from_mapping({"sources": [{"name": "teasers", "url": url, "full_text": "auto"}],
                                      "channels": [{"name": "c", "console": True}], "fetch": {"max_full_text": 20}})
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        async with Pipeline(settings, store, {}, process=False) as p:
            report = await p.run_cycle()
        arts = store.unprocessed_articles(1000)
    finally:
        store.close()
    pages = sum(n for path, n in feed_server.hits.items() if path.startswith("/article"))
    assert report.new_articles == 150 and pages == 20, (report, pages)
    completed = sorted(int(a.title.split()[1]) for a in arts if "Full article text" in a.text)
    assert completed == list(range(130, 150))  # the newest
