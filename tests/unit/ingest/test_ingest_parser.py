"""Parsing: formats, encodings, XML safety, fallbacks and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import FeedParseError
from bot.ingest import parse_feed
from bot.ingest.dates import parse_date

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>Tech &amp; Chips</title><link>https://t.example/</link><description>d</description>
<item><title>One</title><link>/news/1</link><guid isPermaLink="false">id-1</guid>
  <description>&lt;p&gt;teaser&lt;/p&gt;</description><content:encoded><![CDATA[<p>Full <b>body</b></p>]]></content:encoded>
  <pubDate>Tue, 24 Nov 2026 10:00:00 +0100</pubDate><dc:creator>Jane</dc:creator></item>
<item><title>Two</title><guid>https://t.example/2</guid><dc:date>2026-11-24T10:00:00Z</dc:date></item>
<item><description>No title, no link</description></item>
</channel></rss>"""


def test_rss2_fields() -> None:
    feed = parse_feed(RSS, "T", url="https://t.example/feed.xml")
    assert (feed.kind, feed.parser, feed.title, feed.link) == ("rss2.0", "lxml", "Tech & Chips", "https://t.example/")
    one, two, three = feed.entries
    assert (one.guid, one.url, one.title) == ("id-1", "https://t.example/news/1", "One")
    assert one.summary == "<p>teaser</p>" and one.content == "<p>Full <b>body</b></p>" and one.author == "Jane"
    assert one.published_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert (two.guid, two.url) == ("https://t.example/2", "https://t.example/2")  # permalink guid as link
    assert two.published_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert three.guid.startswith("sha1:") and three.url == ""


def test_rss091_and_rss090() -> None:
    old = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
           b'"http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel><title>Old</title>'
           b"<item><title>Item</title><link>http://o.example/1</link></item></channel></rss>")
    feed = parse_feed(old, "old")
    assert feed.kind == "rss0.91" and feed.entries[0].url == "http://o.example/1"
    rss090 = (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
              b'xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>N</title><link>http://n/</link>'
              b"</channel><item><title>Nine</title><link>http://n/9</link></item></rdf:RDF>")
    feed = parse_feed(rss090, "n")
    assert feed.kind == "rss0.90" and feed.entries[0].title == "Nine"


def test_atom_xhtml_xml_base_and_text_escaping() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/blog/"><title>A</title>
    <entry><id>1</id><title>a &lt; b</title><link rel="alternate" href="post/1"/><link rel="edit" href="/e"/>
    <published>2026-11-24T08:00:00+00:00</published><updated>2026-11-25T08:00:00Z</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi <b>there</b></p></div></content></entry>
    </feed>"""
    e = parse_feed(atom, "a").entries[0]
    assert e.url == "https://a.example/blog/post/1"
    assert e.title == "a &lt; b"  # type="text": escaped so the cleaner shows it literally
    assert "<b>there</b>" in e.content and e.published_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_atom03_falls_back_to_feedparser() -> None:
    atom03 = b"""<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old Atom</title>
    <entry><title>E1</title><link rel="alternate" type="text/html" href="http://x.example/1"/><id>e1</id>
    <issued>2026-11-24T08:00:00Z</issued><summary>S</summary></entry></feed>"""
    feed = parse_feed(atom03, "a03")
    assert feed.parser == "feedparser" and feed.entries[0].url == "http://x.example/1"
    assert feed.entries[0].published_at is not None


def test_undefined_entity_falls_back_to_feedparser() -> None:
    body = b'<rss version="2.0"><channel><title>t</title><item><title>A&nbsp;B</title><link>http://a/1</link>' \
           b"</item></channel></rss>"
    feed = parse_feed(body, "nbsp")
    assert feed.parser == "feedparser" and feed.entries[0].url == "http://a/1"


def test_external_entities_are_not_resolved(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
           '<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title><link>http://a/1</link>'
           "</item></channel></rss>").encode()
    try:
        feed = parse_feed(xxe, "xxe")
    except FeedParseError as exc:
        assert "entities" in str(exc)
    else:
        assert all("TOP-SECRET" not in e.title for e in feed.entries)


def test_billion_laughs_is_harmless() -> None:
    lol = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    ) + b']><rss version="2.0"><channel><title>t</title><item><title>&lol9;</title></item></channel></rss>'
    try:
        feed = parse_feed(lol, "lol")
    except FeedParseError:
        return
    assert all(len(e.title) < 1000 for e in feed.entries)


@pytest.mark.parametrize(("body", "ctype", "message"), [
    (b"", None, "empty response body"),
    (b"   \n", None, "empty response body"),
    (b"<!doctype html><html><head></head><body>Hi</body></html>", "text/html", "HTML page"),
    (b"%PDF-1.4 binary", None, "not a readable"),
    (b'{"not": "a feed"}', "application/json", "not a JSON Feed"),
    (b"{broken json", "application/feed+json", "invalid JSON"),
    (b'{"version": "https://example.com/v9", "items": []}', None, "unknown JSON Feed version"),
])
def test_clear_errors_name_the_source(body: bytes, ctype: str | None, message: str) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, "My Source", content_type=ctype)
    assert str(info.value).startswith("My Source: ") and message in str(info.value)


def test_windows_1252_without_declaration_falls_back() -> None:
    body = '<rss version="2.0"><channel><title>t</title><item><title>Caf\u00e9 \u20ac</title></item></channel></rss>'
    feed = parse_feed(body.encode("cp1252"), "cp")
    assert feed.entries[0].title == "Café €"


def test_utf16_with_bom() -> None:
    body = '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>t</title>' \
           "<item><title>\u00dcber</title></item></channel></rss>"
    assert parse_feed(body.encode("utf-16"), "u16").entries[0].title == "Über"


@pytest.mark.parametrize(("raw", "expected"), [
    ("Tue, 24 Nov 2026 10:00:00 GMT", datetime(2026, 11, 24, 10, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00:00 +0200", datetime(2026, 11, 24, 8, 0, tzinfo=UTC)),
    ("2026-11-24T10:00:00Z", datetime(2026, 11, 24, 10, 0, tzinfo=UTC)),
    ("2026-11-24T10:00:00.123-05:00", datetime(2026, 11, 24, 15, 0, 0, 123000, tzinfo=UTC)),
    ("2026-11-24", datetime(2026, 11, 24, tzinfo=UTC)),
    ("24 Nov 2026 10:00 EST", datetime(2026, 11, 24, 15, 0, tzinfo=UTC)),
    ("1795514400", datetime(2026, 11, 24, 10, 0, tzinfo=UTC)),  # Unix time, as some generators write it
    ("1795514400000", datetime(2026, 11, 24, 10, 0, tzinfo=UTC)),
    ("20261124", datetime(2026, 11, 24, tzinfo=UTC)),
    # zone abbreviations RFC 822 does not list (were all read as UTC)
    ("Tue, 24 Nov 2026 10:00:00 CET", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
    ("Tue, 24 Jun 2026 10:00:00 CEST", datetime(2026, 6, 24, 8, 0, tzinfo=UTC)),
    ("Tue, 24 Jun 2026 10:00:00 BST", datetime(2026, 6, 24, 9, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00:00 JST", datetime(2026, 11, 24, 1, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00:00 kst", datetime(2026, 11, 24, 1, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00:00 AEDT", datetime(2026, 11, 23, 23, 0, tzinfo=UTC)),
    ("Tue, 24 Jun 2026 10:00:00 AEST", datetime(2026, 6, 24, 0, 0, tzinfo=UTC)),
    ("Tue, 24 Jun 2026 10:00:00 NZST", datetime(2026, 6, 23, 22, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00 SGT", datetime(2026, 11, 24, 2, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00:00 HKT", datetime(2026, 11, 24, 2, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00:00 ACST", datetime(2026, 11, 24, 0, 30, tzinfo=UTC)),
    ("2026-11-24 10:00:00 CET", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00:00 BST (British Summer Time)", datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00:00 +0900 (JST)", datetime(2026, 11, 24, 1, 0, tzinfo=UTC)),  # the number decides
    ("Tue, 24 Nov 2026 10:00:00 +05:30", datetime(2026, 11, 24, 4, 30, tzinfo=UTC)),  # .NET zzz: a colon
    ("Tue, 24 Nov 2026 10:00:00 -05:00", datetime(2026, 11, 24, 15, 0, tzinfo=UTC)),
    ("Tue, 24 Nov 2026 10:00:00 IST", datetime(2026, 11, 24, 10, 0, tzinfo=UTC)),  # ambiguous: left as UTC
    ("Tue, 24 Nov 2026 10:00:00 CST", datetime(2026, 11, 24, 16, 0, tzinfo=UTC)),  # the stdlib's US Central
    ("not a date", None),
    ("", None),
    (None, None),
])
def test_parse_date(raw: str | None, expected: datetime | None) -> None:
    assert parse_date(raw) == expected
