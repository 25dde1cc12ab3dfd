"""Real-world feed quirks over loopback HTTP: feed server → real httpx client → parser → cleaner → store.

Each case is one a feed reader meets in users' feeds (a CMS's labels, a server's headers, a
generator's escaping). ``tests/scenario/test_fetch_http.py`` covers the HTTP mechanics and the
common encodings; what is here broke Signals (a crash, a silent loss, a duplicate or wrong
text) until the fix next to each test's cause.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

if str(ROOT := Path(__file__).resolve().parents[2]) not in sys.path:  # plain `pytest` (not -m) run
    sys.path.insert(0, str(ROOT))
from bot.ingest import Fetcher
from bot.models import Article, FetchState
from bot.pipeline import CycleReport, Pipeline
from bot.settings import FetchSettings, SourceSettings, settings_from_mapping
from bot.store import Store
from tests.feedserver import FeedServer, Reply, feed_server

__all__ = ["feed_server"]


def rss(*items: str, encoding: str = "utf-8", declare: str | None = "utf-8") -> bytes:
    decl = f'<?xml version="1.0" encoding="{declare}"?>' if declare else ""
    return (decl + '<rss version="2.0"><channel><title>T</title><link>https://t.example/</link>'
            + "".join(items) + "</channel></rss>").encode(encoding)


def item(title: str, link: str, guid: str, desc: str = "Some words of text.") -> str:
    return (f"<item><title>{title}</title><link>{link}</link><guid>{guid}</guid>"
            f"<pubDate>Tue, 24 Nov 2026 10:00:00 GMT</pubDate><description>{desc}</description></item>")


def atom(*entries: bytes) -> bytes:
    return (b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
            b'<link href="https://a.example/"/>' + b"".join(entries) + b"</feed>")


async def store_cycle(tmp_path: Path, feeds: dict[str, str], cycles: int = 1,
                      store_url: str | None = None) -> tuple[list[CycleReport], list[Article]]:
    """Poll ``feeds`` (name → URL) through the pipeline into a fresh store (SQLite unless ``store_url``)."""
    settings = settings_from_mapping({
        "sources": [{"name": name, "url": url, "full_text": "never"} for name, url in feeds.items()],
        "channels": [{"name": "c", "console": True}], "fetch": {"retries": 0}})
    store = Store.open(store_url or f"sqlite:///{tmp_path}/s.db")
    try:
        async with Pipeline(settings, store, {}, process=False) as p:
            reports = [await p.run_cycle() for _ in range(cycles)]
        return reports, store.unprocessed_articles(1000)
    finally:
        store.close()


def titles(articles: list[Article]) -> dict[str, str]:
    return {a.source: a.title for a in articles}


# -- charsets and content types ------------------------------------------------------------------
async def test_unknown_charset_in_content_type_is_ignored(feed_server: FeedServer, tmp_path: Path) -> None:
    """``charset=utf8mb4`` (a MySQL name) or ``charset=none``: lxml's parser refused to be built,
    and the feed failed as "parser failed: LookupError". The document says what it is."""
    feeds = {
        "mysql": feed_server.feed("/m.xml", rss(item("Caf\u00e9 one", "https://m.example/1", "m1"), declare=None),
                                  content_type="application/rss+xml; charset=utf8mb4"),
        "none": feed_server.feed("/n.xml", rss(item("Plain two", "https://n.example/2", "n2")),
                                 content_type="text/xml; charset=none"),
    }
    reports, arts = await store_cycle(tmp_path, feeds)
    assert reports[0].errors == 0 and titles(arts) == {"mysql": "Café one", "none": "Plain two"}


async def test_xml_feed_served_as_json_is_read_as_xml(feed_server: FeedServer, tmp_path: Path) -> None:
    """A Content-Type of application/json on an RSS document failed as "invalid JSON"; the
    first byte tells which it is (and a JSON Feed labelled text/xml was already read as JSON)."""
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": '
                 b'[{"id": "j", "url": "https://j.example/1", "title": "JSON as XML"}]}')
    feeds = {
        "xml": feed_server.feed("/x", rss(item("XML as JSON", "https://x.example/1", "x1")),
                                content_type="application/json; charset=utf-8"),
        "json": feed_server.feed("/j", json_feed, content_type="text/xml"),
    }
    reports, arts = await store_cycle(tmp_path, feeds)
    assert reports[0].errors == 0 and titles(arts) == {"xml": "XML as JSON", "json": "JSON as XML"}


async def test_latin1_label_on_windows_1252_bytes(feed_server: FeedServer, tmp_path: Path) -> None:
    """Feeds labelled ISO-8859-1 (in the XML declaration or the header) are nearly always
    windows-1252: the bytes 0x80-0x9F are its “smart quotes”, dashes and €. Read as true
    Latin-1 they became C1 control characters, which the cleaner deletes: the text lost
    them silently. Browsers treat the label as windows-1252 (WHATWG Encoding Standard)."""
    title = "Caf\u00e9 \u201csmart\u201d quotes \u2013 \u20ac5bn"
    declared = rss(item(title, "https://d.example/1", "d1", "First."), encoding="cp1252", declare="ISO-8859-1")
    header = rss(item(title, "https://h.example/1", "h1", "Second."), encoding="cp1252", declare=None)
    assert b"\x93" in declared and b"\x80" in header
    feeds = {"declared": feed_server.feed("/d.xml", declared, content_type="application/rss+xml"),
             "header": feed_server.feed("/h.xml", header, content_type="text/xml; charset=iso-8859-1")}
    _, arts = await store_cycle(tmp_path, feeds)
    assert titles(arts) == {"declared": "Café “smart” quotes – €5bn", "header": "Café “smart” quotes – €5bn"}


# -- Retry-After ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1e400", "99999999999", str(365 * 86400)])
async def test_an_absurd_retry_after_does_not_silence_the_source(feed_server: FeedServer, tmp_path: Path,
                                                                 value: str) -> None:
    """``Retry-After: 1e400`` made ``fetch()`` raise OverflowError (it promises never to raise);
    a year (or 3,000 years) was obeyed, setting ``next_poll_at`` that far out: the source fell
    silent with no error worth a pause. The wait is capped at ``fetch.max_every``, like an
    over-long ``max-age`` (bot.sources.adaptive)."""
    url = feed_server.add("/busy.xml", Reply(status=503, headers={"Retry-After": value}))
    before = datetime.now(UTC)
    async with Fetcher(FetchSettings(retries=0), backoff=0.01) as f:  # type: ignore[call-arg]
        res = await f.fetch(SourceSettings(name="Busy", url=url), FetchState(source="Busy", url=url))
    assert res.status == "error" and "503" in (res.error or "")
    cap = before + timedelta(hours=6, minutes=1)
    assert res.state.next_poll_at is None or res.state.next_poll_at <= cap  # None: "1e400" is unreadable
    await store_cycle(tmp_path, {"Busy": url})
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        state = store.fetch_state("Busy", url)
    finally:
        store.close()
    assert state.next_poll_at is not None and state.last_status == 503
    assert state.next_poll_at.replace(tzinfo=UTC) <= datetime.now(UTC) + timedelta(hours=6, minutes=1)


# -- text ----------------------------------------------------------------------------------------
async def test_entity_escaped_titles_show_the_characters(feed_server: FeedServer, tmp_path: Path) -> None:
    """JSON Feed titles are plain text, but WordPress-made JSON feeds carry its HTML-escaped
    titles (``It&#8217;s``), and Atom generators double-escape ``type="text"`` titles
    (``Q&amp;amp;A``): the entities were shown literally. RSS was already right."""
    json_feed = (b'{"version": "https://jsonfeed.org/version/1", "title": "J", "items": [{"id": "1", '
                 b'"url": "https://j.example/1", "title": "It&#8217;s Q&amp;A time", "content_text": "Body one."}]}')
    feed = atom(b'<entry><id>tag:a,1</id><title>Q&amp;amp;A: AT&amp;amp;T&amp;#8217;s plan</title>'
                b'<link href="https://a.example/1"/><summary>Body two.</summary></entry>')
    feeds = {"json": feed_server.feed("/j.json", json_feed, content_type="application/feed+json"),
             "atom": feed_server.feed("/a.atom", feed, content_type="application/atom+xml"),
             "rss": feed_server.feed("/r.xml", rss(item("Q&amp;amp;A with AT&amp;amp;T", "https://r.example/1", "r1")))}
    _, arts = await store_cycle(tmp_path, feeds)
    assert titles(arts) == {"json": "It’s Q&A time", "atom": "Q&A: AT&T’s plan", "rss": "Q&A with AT&T"}


async def test_entity_escaped_bodies_show_the_characters(feed_server: FeedServer, tmp_path: Path) -> None:
    """The same double escaping in body text: a JSON Feed ``content_text`` / ``summary`` written
    from HTML (``It&#8217;s``, even ``&lt;p&gt;`` markup) and an RSS description whose CDATA holds
    ``&amp;#8217;``: the entities (and the tags) were stored and shown literally."""
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
                 b'{"id": "1", "url": "https://j.example/1", "title": "One", '
                 b'"content_text": "It&#8217;s the chip makers&#8217; turn &amp; more."},'
                 b'{"id": "2", "url": "https://j.example/2", "title": "Two", '
                 b'"summary": "&lt;p&gt;First paragraph.&lt;/p&gt;&lt;p&gt;Second &amp;amp; last.&lt;/p&gt;"}]}')
    cdata = "<![CDATA[<p>Nvidia&amp;#8217;s plan &amp;amp; AMD&amp;#8217;s answer</p>]]>"
    feeds = {"json": feed_server.feed("/j.json", json_feed, content_type="application/feed+json"),
             "rss": feed_server.feed("/r.xml", rss(item("Three", "https://r.example/3", "r3", cdata))),
             "plain": feed_server.feed("/p.xml", rss(item("Four", "https://r.example/4", "r4",
                                                          "Use the &amp;lt;p&amp;gt; tag, AT&amp;amp;T says")))}
    _, arts = await store_cycle(tmp_path, feeds)
    assert {a.title: a.text for a in arts} == {
        "One": "It’s the chip makers’ turn & more.", "Two": "First paragraph.\nSecond & last.",
        "Three": "Nvidia’s plan & AMD’s answer",
        "Four": "Use the <p> tag, AT&T says"}  # escaped once, as it should be: unchanged


async def test_atom_html_summary_with_unescaped_markup_keeps_its_text(feed_server: FeedServer,
                                                                      tmp_path: Path) -> None:
    """``<summary type="html"><p>...</p></summary>``: the HTML should have been escaped, but
    generators write it as child elements. Only the element's own text was read: ``""``, the
    article stored without any text."""
    feed = atom(b'<entry><id>tag:a,1</id><title>Inline</title><link href="https://a.example/1"/>'
                b'<summary type="html"><p>Inline <b>markup</b> summary.</p><p>Second.</p></summary></entry>')
    _, arts = await store_cycle(tmp_path, {"atom": feed_server.feed("/a.atom", feed)})
    assert [a.text for a in arts] == ["Inline markup summary.\nSecond."]


async def test_entries_whose_only_link_is_their_id(feed_server: FeedServer, tmp_path: Path) -> None:
    """An Atom entry with an http(s) ``<id>`` and no ``<link>``, and a JSON Feed item with a URL
    ``id`` and no ``url`` (the spec allows both): they had no URL, and the pipeline skips entries
    without one, so they were lost. RSS already used a permalink ``<guid>`` the same way."""
    feed = atom(b"<entry><id>https://a.example/posts/7</id><title>Id only</title><summary>Text a.</summary></entry>"
                b"<entry><id>tag:a.example,2026:8</id><title>Tag id</title><summary>Text b.</summary></entry>")
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": '
                 b'"https://j.example/notes/9", "content_text": "A short note without a url."}]}')
    feeds = {"atom": feed_server.feed("/a.atom", feed), "json": feed_server.feed("/j.json", json_feed)}
    _, arts = await store_cycle(tmp_path, feeds)
    assert sorted((a.source, a.url) for a in arts) == [("atom", "https://a.example/posts/7"),
                                                        ("json", "https://j.example/notes/9")]


# -- one article behind many links --------------------------------------------------------------
async def test_link_variants_from_two_feeds_are_one_article(feed_server: FeedServer, tmp_path: Path) -> None:
    """Each pair names one page, linked differently by two feeds: an IDN host in Unicode and
    in punycode, percent-escapes in lower and upper case, an AMP variant (Google's AMP cache, a
    trailing ``/amp/``, ``.amp``, ``?amp=1``, ``?outputType=amp``). Each was stored twice."""
    pairs = [("https://bücher.example/neu", "https://xn--bcher-kva.example/neu"),
             ("https://p.example/caf%c3%a9?q=%c3%a9", "https://p.example/café?q=%C3%A9"),
             ("https://p.example/%7Euser/post", "https://p.example/~user/post"),
             ("https://www-n-example.cdn.ampproject.org/c/s/www.n.example/2026/chips", "https://www.n.example/2026/chips"),
             ("https://w.example/2026/11/slug/amp/", "https://w.example/2026/11/slug/"),
             ("https://b.example/news/world-123.amp", "https://b.example/news/world-123"),
             ("https://q.example/story?amp=1&id=4", "https://q.example/story?id=4"),
             ("https://o.example/story?outputType=amp", "https://o.example/story")]
    first = rss(*(item(f"Story {i} from the first outlet", a, f"a{i}", f"First outlet text {i}.")
                  for i, (a, _) in enumerate(pairs)))
    second = rss(*(item(f"Story {i} as the second outlet tells it", b, f"b{i}", f"Second outlet words {i}.")
                   for i, (_, b) in enumerate(pairs)))
    feeds = {"first": feed_server.feed("/1.xml", first), "second": feed_server.feed("/2.xml", second)}
    reports, arts = await store_cycle(tmp_path, feeds)
    assert reports[0].new_articles == len(pairs), sorted(a.canonical_url for a in arts)


async def test_distinct_entries_sharing_a_home_page_link_or_a_bare_title(feed_server: FeedServer,
                                                                         tmp_path: Path) -> None:
    """Entries with their own guid and text that all link to the site's home page (hand-made and
    status feeds do), and title-only entries with their own links under a recurring title
    ("Open thread"): the home page URL, or the hash of a title with no text, matched the first
    entry, and every other one was dropped as its duplicate. Re-polling still stores nothing twice."""
    home = rss(*(item(f"Incident {i} resolved", "https://status.example/", f"inc-{i}", f"Incident {i} details.")
                 for i in range(3)))
    threads = rss(*(item("Open thread", f"https://blog.example/{i}", f"ot-{i}", "") for i in range(3)))
    feeds = {"home": feed_server.feed("/h.xml", home), "threads": feed_server.feed("/t.xml", threads)}
    reports, arts = await store_cycle(tmp_path, feeds, cycles=2)
    assert sorted(a.guid for a in arts) == ["inc-0", "inc-1", "inc-2", "ot-0", "ot-1", "ot-2"]
    assert reports[1].new_articles == 0


async def test_unix_time_dates(feed_server: FeedServer, tmp_path: Path) -> None:
    """``<pubDate>1795514400</pubDate>`` (Unix time, 2026-11-24 10:00 UTC) went to feedparser's
    tolerant parser, which read it as 2017-11-20: a fresh article stored as nine years old."""
    body = rss(item("Epoch dated", "https://e.example/1", "e1").replace(
        "Tue, 24 Nov 2026 10:00:00 GMT", "1795514400"))
    _, arts = await store_cycle(tmp_path, {"epoch": feed_server.feed("/e.xml", body)})
    assert [a.published_at for a in arts] == [datetime(2026, 11, 24, 10, 0, tzinfo=UTC)]


async def test_time_zone_abbreviations_are_not_read_as_utc(feed_server: FeedServer, tmp_path: Path) -> None:
    """``<pubDate>... 09:00:00 JST</pubDate>``: RFC 822 lists only the US zones, so the stdlib read
    JST, CET, AEDT... as UTC. A Tokyo article from seven hours ago then looked two hours in the
    future, was clamped to the fetch time and was alerted as brand new."""
    now = datetime.now(UTC).replace(microsecond=0)
    seven_ago = (now - timedelta(hours=7)).astimezone(timezone(timedelta(hours=9)))
    half_ago = (now - timedelta(minutes=30)).astimezone(timezone(timedelta(hours=1)))
    body = rss(item("Tokyo story", "https://z.example/1", "z1").replace(
                   "Tue, 24 Nov 2026 10:00:00 GMT", seven_ago.strftime("%a, %d %b %Y %H:%M:%S JST")),
               item("Paris story", "https://z.example/2", "z2").replace(
                   "Tue, 24 Nov 2026 10:00:00 GMT", half_ago.strftime("%a, %d %b %Y %H:%M:%S CET")))
    _, arts = await store_cycle(tmp_path, {"zones": feed_server.feed("/z.xml", body)})
    assert {a.title: a.published_at for a in arts} == {"Tokyo story": now - timedelta(hours=7),
                                                       "Paris story": now - timedelta(minutes=30)}


async def test_an_overlong_link_or_guid_does_not_block_its_feed(feed_server: FeedServer, tmp_path: Path,
                                                                store_url: str) -> None:
    """On PostgreSQL a guid or canonical URL over ~2.7 KB exceeds the btree index's row limit:
    the INSERT of the feed's whole batch failed, on every poll, and none of that feed's articles
    (nor its ETag) was ever stored. Now each entry is stored once, on both backends."""
    noise = "".join(f"{i:04x}" for i in range(1500))  # 6,000 characters that do not compress
    body = rss(item("Long link story", f"https://l.example/a?x={noise}", "long-link", "Text one."),
               item("Normal story", "https://l.example/n", "n1", "Text two."),
               item("Long guid story", "https://l.example/g", f"guid-{noise}", "Text three."))
    reports, arts = await store_cycle(tmp_path, {"L": feed_server.feed("/l.xml", body)}, cycles=2,
                                      store_url=store_url)
    assert [r.errors for r in reports] == [0, 0] and reports[1].new_articles == 0
    assert sorted(a.title for a in arts) == ["Long guid story", "Long link story", "Normal story"]
    long_link = next(a for a in arts if a.title == "Long link story")
    assert long_link.url.endswith(noise)  # the link itself is kept whole


async def test_nul_characters_in_keys_do_not_block_the_feed(feed_server: FeedServer, tmp_path: Path,
                                                             store_url: str) -> None:
    """JSON escapes can carry NUL (``\\u0000``), which PostgreSQL text refuses. Titles and text are
    cleaned of control characters; a guid or link carrying one failed the feed's whole INSERT."""
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
                 b'{"id": "nul\\u0000id", "url": "https://j.example/1", "title": "NUL in id", "content_text": "One."},'
                 b'{"id": "j2", "url": "https://j.example/2\\u0000x", "title": "NUL in url", "content_text": "Two."},'
                 b'{"id": "j3", "url": "https://j.example/3", "title": "Plain", "content_text": "Three."}]}')
    reports, arts = await store_cycle(tmp_path, {"J": feed_server.feed("/j.json", json_feed)}, store_url=store_url)
    assert reports[0].errors == 0 and sorted(a.title for a in arts) == ["NUL in id", "NUL in url", "Plain"]
    assert not any("\x00" in a.guid + a.url + a.canonical_url for a in arts)


async def test_guids_do_not_change_when_a_feed_turns_malformed(feed_server: FeedServer, tmp_path: Path) -> None:
    """One undefined entity (``&nbsp;``) sends the whole document to feedparser, which resolved
    every permalink-less guid against the feed URL: ``12345`` became ``http://host/12345`` for
    every entry, so the (source, guid) key no longer matched what the last poll stored."""
    good = rss(item("Story one", "https://g.example/1", "12345"))
    broken = rss(item("Story one", "https://g.example/1", "12345"), item("Two&nbsp;words", "https://g.example/2", "12346"))
    url = feed_server.add("/g.xml", Reply(body=good), Reply(body=broken))
    reports, arts = await store_cycle(tmp_path, {"G": url}, cycles=2)
    assert [r.new_articles for r in reports] == [1, 1]
    assert sorted(a.guid for a in arts) == ["12345", "12346"]


@pytest.mark.parametrize("offset", ["+05:30", "-05:00"])
async def test_an_rfc_822_date_with_a_colon_in_its_offset_keeps_its_offset(feed_server: FeedServer,
                                                                           tmp_path: Path, offset: str) -> None:
    """``<pubDate>Tue, 24 Nov 2026 10:00:00 +05:30</pubDate>`` (.NET's ``zzz`` writes the offset with a
    colon): the stdlib's RFC 822 reader dropped the offset it could not read and took the time as UTC,
    5 h 30 min off: an Indian outlet's article looked newer than it is (clamped to the fetch time,
    alerted as new), a New York one five hours older."""
    body = rss(item("Offset story", "https://o.example/1", "o1").replace(
        "Tue, 24 Nov 2026 10:00:00 GMT", f"Tue, 24 Nov 2026 10:00:00 {offset}"))
    _, arts = await store_cycle(tmp_path, {"offset": feed_server.feed("/o.xml", body)})
    expected = datetime(2026, 11, 24, 10, 0, tzinfo=datetime.strptime(offset, "%z").tzinfo)
    assert [a.published_at for a in arts] == [expected.astimezone(UTC)]


async def test_entries_sharing_one_guid_are_each_stored(feed_server: FeedServer, tmp_path: Path) -> None:
    """Generators that write the same ``<guid>`` on every item (the feed's address, ``0``, a
    template's constant): the first entry was stored under it, and every other entry, then every
    entry of every later poll, was dropped as already known, so the feed went silent for good.
    Where one document gives one guid to entries with different links, the links tell them apart;
    a later poll (new items on top, under that guid again) stores only the new ones."""
    first = rss(*(item(f"Release {i} ships", f"https://same.example/r/{i}", "https://same.example/",
                       f"Notes for release {i}.") for i in (2, 1)))
    later = rss(*(item(f"Release {i} ships", f"https://same.example/r/{i}", "https://same.example/",
                       f"Notes for release {i}.") for i in (3, 2, 1)))
    url = feed_server.add("/same.xml", Reply(body=first), Reply(body=later))
    reports, arts = await store_cycle(tmp_path, {"same": url}, cycles=3)
    assert [r.new_articles for r in reports] == [2, 1, 0]
    assert sorted(a.title for a in arts) == ["Release 1 ships", "Release 2 ships", "Release 3 ships"]


async def test_a_site_page_given_as_the_feed_says_where_its_feed_is(feed_server: FeedServer,
                                                                     tmp_path: Path) -> None:
    """A source whose URL is the site's page, not its feed (people paste what their browser shows):
    the error said only "got an HTML page, not an RSS, Atom or JSON feed", leaving the user to guess.
    It now names the feed the page advertises, or the command that finds one."""
    page = (b"<!DOCTYPE html><html><head><title>Site</title>"
            b'<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml"></head>'
            b"<body><p>Welcome</p></body></html>")
    bare = b"<!DOCTYPE html><html><head><title>Bare</title></head><body><p>No feed here</p></body></html>"
    commented = b"<!-- " + b"generated " * 300 + b"-->\n<html><head></head><body>Late</body></html>"
    feeds = {"site": feed_server.feed("/", page, content_type="text/html; charset=utf-8"),
             "bare": feed_server.feed("/bare", bare, content_type="text/html"),
             "commented": feed_server.feed("/c", commented, content_type="text/html")}
    settings = settings_from_mapping({
        "sources": [{"name": n, "url": u, "full_text": "never"} for n, u in feeds.items()],
        "channels": [{"name": "c", "console": True}], "fetch": {"retries": 0}})
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        async with Pipeline(settings, store, {}, process=False) as p:
            await p.run_cycle()
        errors = {st.source: st.last_error or "" for st in store.fetch_states()}
    finally:
        store.close()
    site = feeds["site"].rstrip("/")
    assert f"the page names its feed: {site}/feed.xml" in errors["site"], errors["site"]
    for name in ("bare", "commented"):
        assert "HTML page" in errors[name] and f"signals sources discover {feeds[name]}" in errors[name], errors[name]


async def test_redirector_links_lead_to_the_article_itself(feed_server: FeedServer, tmp_path: Path) -> None:
    """FeedBurner feeds link every item through ``feedproxy.google.com`` and name the real page in
    ``<feedburner:origLink>``; Google News RSS links ``news.google.com/rss/articles/CBMi…``, whose
    id carries the article's URL. Both were stored as the redirector's address: the outlet's own
    feed carrying the same article made a second article (no shared canonical URL), alerts linked
    through a tracker, and a teaser's full text was fetched from the redirector, not the article."""
    fb = (b'<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel><title>FB</title>'
          b"<item><title>Proxy story</title><link>http://feedproxy.google.com/~r/Outlet/~3/Xy12/</link>"
          b"<guid isPermaLink=\"false\">fb-1</guid><description>Proxied words.</description>"
          b"<feedburner:origLink>https://outlet.example/2026/proxy-story?utm_source=feedburner</feedburner:origLink>"
          b"</item></channel></rss>")
    gnews_id = "CBMiIGh0dHBzOi8vd3d3LmV4YW1wbGUuY29tL25ld3MvMTIz0gEA"  # https://www.example.com/news/123
    gnews = rss(item("Google story - Example", f"https://news.google.com/rss/articles/{gnews_id}?oc=5", "gn-1",
                     "Aggregated words."))
    own = rss(item("Proxy story", "https://outlet.example/2026/proxy-story", "own-1", "The outlet's words."),
              item("Google story", "https://www.example.com/news/123", "own-2", "The example's words."))
    feeds = {"fb": feed_server.feed("/fb.xml", fb), "gnews": feed_server.feed("/gn.xml", gnews)}
    _, arts = await store_cycle(tmp_path, feeds)
    assert sorted(a.url for a in arts) == ["https://outlet.example/2026/proxy-story?utm_source=feedburner",
                                           "https://www.example.com/news/123"]
    _, arts = await store_cycle(tmp_path, {"own": feed_server.feed("/own.xml", own)})
    assert len(arts) == 2 and {a.source for a in arts} == {"fb", "gnews"}  # the outlets' copies were known


async def test_blank_lines_before_the_xml_declaration_are_not_a_malformed_feed(
        feed_server: FeedServer, caplog: pytest.LogCaptureFixture) -> None:
    """WordPress sites whose theme or a plugin prints a blank line before ``<?xml ...?>`` (one of the
    commonest feed errors there is): libxml2 refuses the declaration there, so every poll of such a
    feed went to the lenient fallback parser (17.8 ms instead of 1.1 ms for 20 entries) and logged "feed is not well-formed" as a
    WARNING, for a feed any reader shows. The whitespace before the declaration is dropped."""
    plain = rss(item("Blank line story", "https://wp.example/1", "wp-1", "Caf\u00e9 words."))
    urls = [feed_server.feed("/wp.xml", b"\n\n" + plain),
            feed_server.feed("/wp-bom.xml", b"\xef\xbb\xbf\r\n " + plain)]
    with caplog.at_level(logging.WARNING):
        async with Fetcher(FetchSettings(retries=0)) as f:
            results = [await f.fetch(SourceSettings(name="WP", url=u), FetchState(source="WP", url=u)) for u in urls]
    assert [(r.feed.parser, r.feed.kind) for r in results if r.feed] == [("lxml", "rss2.0")] * 2
    assert [e.title for r in results if r.feed for e in r.feed.entries] == ["Blank line story"] * 2
    assert not [r for r in caplog.records if "not well-formed" in r.getMessage()]


@pytest.mark.parametrize("placeholder", ["Mon, 01 Jan 0001 00:00:00 +0000", "0001-01-01T00:00:00Z",
                                         "Thu, 01 Jan 1970 00:00:00 +0000", "0000-00-00 00:00:00"])
async def test_a_placeholder_date_is_no_date(feed_server: FeedServer, tmp_path: Path, placeholder: str) -> None:
    """Hugo writes Go's zero time (``Mon, 01 Jan 0001 00:00:00 +0000``) for a page without a date, and
    a null timestamp printed by PHP is the Unix epoch. They were stored as published in 2001 (the
    stdlib reads year 0001 as a two-digit 01), in year 1 or in 1970: signals search and the alerts
    showed that date, and the story's coverage span, from which importance reads how fast it spreads,
    ran over decades. A date before 1995 (no feed is older) is a placeholder: the entry is undated."""
    body = rss(item("Undated page", "https://hugo.example/p/", "h1").replace(
        "Tue, 24 Nov 2026 10:00:00 GMT", placeholder))
    _, arts = await store_cycle(tmp_path, {"hugo": feed_server.feed("/h.xml", body)})
    assert [(a.title, a.published_at) for a in arts] == [("Undated page", None)]


async def test_a_placeholder_published_date_gives_way_to_the_updated_one(feed_server: FeedServer,
                                                                        tmp_path: Path) -> None:
    """An Atom entry whose ``<published>`` is Go's zero time still has its ``<updated>`` date."""
    body = atom(b"<entry><title>Updated only</title><id>tag:h,1</id><link href='https://h.example/1'/>"
                b"<published>0001-01-01T00:00:00Z</published><updated>2026-11-24T10:00:00Z</updated></entry>")
    _, arts = await store_cycle(tmp_path, {"hugo": feed_server.feed("/a.xml", body,
                                                                    content_type="application/atom+xml")})
    assert [a.published_at for a in arts] == [datetime(2026, 11, 24, 10, 0, tzinfo=UTC)]


async def test_relative_links_resolve_against_where_the_feed_was_found(feed_server: FeedServer,
                                                                       tmp_path: Path) -> None:
    """A feed behind a temporary redirect (``/news`` → 302 → ``/blog/feed.xml``, a CMS's or a CDN's
    alias) with relative links (``posts/1``, JSON Feed's relative ``url``): they were resolved against
    the address asked for, not the document's own (RFC 3986 §5.1.3), so every link pointed to a page
    that does not exist (``/posts/1`` instead of ``/blog/posts/1``)."""
    body = rss(item("Relative story", "posts/1", "rel-1"))
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": '
                 b'[{"id": "j1", "url": "posts/2", "title": "Relative JSON story"}]}')
    feed_server.feed("/blog/feed.xml", body)
    feed_server.feed("/blog/feed.json", json_feed, content_type="application/feed+json")
    base = feed_server.feed("/x", b"").rsplit("/", 1)[0]
    feeds = {"rss": feed_server.redirect("/news", f"{base}/blog/feed.xml", status=302),
             "json": feed_server.redirect("/news.json", f"{base}/blog/feed.json", status=302)}
    _, arts = await store_cycle(tmp_path, feeds)
    assert sorted(a.url for a in arts) == [f"{base}/blog/posts/1", f"{base}/blog/posts/2"]


async def test_a_json_feed_in_windows_1252_is_read_not_refused(feed_server: FeedServer, tmp_path: Path) -> None:
    """JSON Feed is UTF-8 by its spec, but a CMS serving text from a Latin-1 database writes
    windows-1252 bytes (``Caf\\xe9``, smart quotes 0x93/0x94). One such byte failed the whole feed on
    every poll ("invalid JSON: 'utf-8' codec can't decode byte 0xe9"), where the same bytes in an
    RSS feed are read as windows-1252, as browsers and feedparser do. JSON's stray bytes are now read so
    too, and a document mixing both keeps its UTF-8 text."""
    doc = ('{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "w1", '
           '"url": "https://w.example/1", "title": "Caf\u00e9 \u201cquoted\u201d \u2013 \u20ac5", '
           '"content_text": "Na\u00efve words."}]}').encode("cp1252")
    mixed = ('{"version": "https://jsonfeed.org/version/1.1", "title": "M", "items": [{"id": "m1", '
             '"url": "https://m.example/1", "title": "Z\u00fcrich \u201cmixed\u201d \U0001f4a1", '
             '"content_text": "STRAY"}]}').encode().replace(b"STRAY", b"One stray byte: caf\xe9.")
    feeds = {"w": feed_server.feed("/w.json", doc, content_type="application/feed+json"),
             "m": feed_server.feed("/m.json", mixed, content_type="application/feed+json")}
    reports, arts = await store_cycle(tmp_path, feeds)
    assert reports[0].errors == 0
    assert sorted((a.title, a.text) for a in arts) == [
        ("Caf\u00e9 \u201cquoted\u201d \u2013 \u20ac5", "Na\u00efve words."),
        ("Z\u00fcrich \u201cmixed\u201d \U0001f4a1", "One stray byte: caf\u00e9.")]  # its UTF-8 text intact


async def test_cdata_written_twice_or_escaped_does_not_show(feed_server: FeedServer, tmp_path: Path) -> None:
    """Generators that wrap text in CDATA once more (``<![CDATA[<![CDATA[...]]>]]>``, which also sends
    the document to the lenient parser) or escape their CDATA (``&lt;![CDATA[...]]&gt;``): the title
    showed ``<![CDATA[Nested title]]>`` and the text ended in ``]]>``; an escaped title was read as an
    HTML comment and lost, so the article was named after its first line of text. A literal ``]]>``
    without its opening marker is text, and stays."""
    nested = rss(item("<![CDATA[<![CDATA[Nested title]]>]]>", "https://c.example/1", "c1",
                      "<![CDATA[<![CDATA[<p>Nested <b>body</b> text.</p>]]>]]>"))
    escaped = rss(item("&lt;![CDATA[Escaped title]]&gt;", "https://c.example/2", "c2",
                       "&lt;![CDATA[&lt;p&gt;Escaped body text.&lt;/p&gt;]]&gt;"))
    literal = rss(item("Arrays end in ]]&gt; here", "https://c.example/3", "c3", "<![CDATA[a ]]]]><![CDATA[> b]]>"))
    feeds = {"nested": feed_server.feed("/n.xml", nested), "escaped": feed_server.feed("/e.xml", escaped),
             "literal": feed_server.feed("/l.xml", literal)}
    _, arts = await store_cycle(tmp_path, feeds)
    assert sorted((a.title, a.text) for a in arts) == [("Arrays end in ]]> here", "a ]]> b"),
                                                        ("Escaped title", "Escaped body text."),
                                                        ("Nested title", "Nested body text.")]


async def test_a_json_feed_id_of_zero_is_the_string_zero(feed_server: FeedServer, tmp_path: Path) -> None:
    """JSON Feed ids are strings, and a number is read as its string; ``"id": 0`` was taken as no id
    (``str(id or "")``), so the entry was keyed by its link instead: when the link changed (a slug
    edited, a tracking parameter added) it was stored again as a new article."""
    json_feed = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
                 b'{"id": 0, "url": "https://j.example/0", "title": "Zero", "content_text": "The first note."},'
                 b'{"id": 1, "url": "https://j.example/1", "title": "One", "content_text": "The second note."},'
                 b'{"id": 2.0, "url": "https://j.example/z", "title": "Float", "content_text": "Text."}]}')
    _, arts = await store_cycle(tmp_path, {"json": feed_server.feed("/j.json", json_feed,
                                                                     content_type="application/feed+json")})
    assert sorted((a.title, a.guid) for a in arts) == [("Float", "2"), ("One", "1"), ("Zero", "0")]


@pytest.mark.parametrize("written", ["Tue, 24 Nov 2026 12:00:00 GMT+2", "Tue, 24 Nov 2026 12:00:00 GMT+02:00",
                                     "Tue, 24 Nov 2026 12:00:00 UTC+02:00", "Tue, 24 Nov 2026 12:00:00 UTC+0200",
                                     "Tue, 24 Nov 2026 05:00:00 GMT-5", "Tue, 24 Nov 2026 15:30:00 UTC+5:30",
                                     "2026-11-24 12:00:00 UTC+2", "Tue, 24 Nov 2026 12:00:00 GMT+2 (CEST)"])
async def test_a_gmt_plus_offset_is_read_as_that_offset(feed_server: FeedServer, tmp_path: Path,
                                                        written: str) -> None:
    """``GMT+2`` / ``UTC+02:00`` (Windows and PHP tools, hand-written feeds) were read as UTC: an
    article published at 12:00 in Berlin looked two hours newer than it is (``2026-11-24 12:00:00
    UTC+2`` went the other way, to midnight)."""
    body = rss(item("Offset", "https://o.example/1", "o1").replace("Tue, 24 Nov 2026 10:00:00 GMT", written))
    _, arts = await store_cycle(tmp_path, {"o": feed_server.feed("/o.xml", body)})
    assert [a.published_at for a in arts] == [datetime(2026, 11, 24, 10, 0, tzinfo=UTC)]
