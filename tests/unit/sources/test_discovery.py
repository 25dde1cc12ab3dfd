"""Feed discovery on saved HTML pages served over loopback."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from bot.errors import CommandError
from bot.settings import settings_from_mapping
from bot.sources.discovery import discover, feed_links
from bot.sources.manage import discover_feeds
from tests.feedserver import FeedServer, Reply, feed_server  # noqa: F401

PAGES = Path(__file__).parent / "pages"
RSS = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>Chip Notes</title><link>http://x/</link>"
       b"<description>d</description><item><title>A</title><link>http://x/a</link></item></channel></rss>")
ATOM = (b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Newsroom</title><id>x</id>"
        b"<updated>2026-11-24T00:00:00Z</updated><entry><title>N</title><id>n1</id><link href='http://x/n'/>"
        b"<updated>2026-11-24T00:00:00Z</updated></entry></feed>")
JSONFEED = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Newsroom JSON",
                       "items": [{"id": "1", "url": "http://x/1", "title": "One"}]}).encode()


def page(srv: FeedServer, name: str, path: str = "/") -> str:
    body = (PAGES / name).read_bytes().replace(b"{BASE}", srv.base_url.encode())
    return srv.add(path, Reply(body=body, content_type="text/html; charset=utf-8"))


def test_feed_links_parse_relative_base_and_case() -> None:
    html = (PAGES / "basehref.html").read_text()
    assert feed_links(html, "https://site.example/about/") == [
        ("https://site.example/news/atom.xml", "Newsroom (Atom)"),
        ("https://site.example/news/feed.json", "Newsroom (JSON)")]


def test_feed_scheme_links_are_http() -> None:
    html = ('<link rel="alternate" type="application/rss+xml" href="feed://site.example/rss">'
            '<link rel="alternate" type="application/atom+xml" href="feed:https://site.example/atom">')
    assert [u for u, _ in feed_links(html, "https://site.example/")] == ["http://site.example/rss",
                                                                         "https://site.example/atom"]


async def test_link_rel_alternate(feed_server: FeedServer) -> None:  # noqa: F811
    url = page(feed_server, "wordpress.html")
    feed_server.add("/wp/feed/", Reply(body=RSS))
    feed_server.add("/wp/comments/feed/", Reply(body=RSS.replace(b"Chip Notes", b"Comments")))
    async with httpx.AsyncClient() as client:
        found = await discover(client, url)
    assert [(f.url, f.title, f.via) for f in found] == [
        (feed_server.url("/wp/feed/"), "Chip Notes", "link"), (feed_server.url("/wp/comments/feed/"), "Comments", "link")]
    assert found[0].kind.startswith("rss") and found[0].entries == 1
    assert feed_server.hits["/feed"] == 0  # links found: no guessing


async def test_common_paths_when_no_links(feed_server: FeedServer) -> None:  # noqa: F811
    url = page(feed_server, "hugo.html", "/blog/")
    feed_server.add("/index.xml", Reply(body=RSS))
    feed_server.add("/feed", Reply(body=b"<html>not a feed</html>", content_type="text/html"))
    async with httpx.AsyncClient() as client:
        found = await discover(client, url)
    assert [(f.url, f.via) for f in found] == [(feed_server.url("/index.xml"), "path")]


async def test_a_feed_url_is_its_own_answer_and_json_atom(feed_server: FeedServer) -> None:  # noqa: F811
    feed_server.add("/news/atom.xml", Reply(body=ATOM, content_type="application/atom+xml"))
    feed_server.add("/news/feed.json", Reply(body=JSONFEED, content_type="application/feed+json"))
    url = page(feed_server, "basehref.html", "/about")
    async with httpx.AsyncClient() as client:
        direct = await discover(client, feed_server.url("/news/atom.xml"))
        found = await discover(client, url)
    assert [(f.url, f.via) for f in direct] == [(feed_server.url("/news/atom.xml"), "direct")]
    assert {f.title for f in found} == {"Newsroom", "Newsroom JSON"}


async def test_a_huge_page_is_read_up_to_the_limit(feed_server: FeedServer) -> None:  # noqa: F811
    """A 6 MB home page (inline images, a big listing) advertises its feed in its head; discovery
    answered "could not be fetched" for any page over 2 MB."""
    head = b"<html><head><link rel='alternate' type='application/rss+xml' title='Big' href='/big.xml'></head><body>"
    url = feed_server.add("/", Reply(chunks=lambda: iter([head] + [b"<p>" + b"x" * 65536 + b"</p>"] * 96),
                                     content_type="text/html"))
    feed_server.add("/big.xml", Reply(body=RSS))
    gz = feed_server.add("/gz/", Reply(body=head.replace(b"/big.xml", b"/big.xml?gz") + b"x" * 10_000, gzip=True,
                                       content_type="text/html"))
    async with httpx.AsyncClient() as client:
        assert [(f.url, f.title) for f in await discover(client, url)] == [(feed_server.url("/big.xml"), "Chip Notes")]
        assert [f.url for f in await discover(client, gz)] == [feed_server.url("/big.xml?gz")]


async def test_errors_say_why_the_address_gave_no_page(feed_server: FeedServer) -> None:  # noqa: F811
    """A dead port or a TLS handshake with a plain-HTTP server answered "URL: could not be fetched",
    and a 404 named the URL twice."""
    settings = settings_from_mapping({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    with pytest.raises(CommandError, match=f"^Could not read {dead}: ConnectError: .+"):
        await discover_feeds(settings, dead)
    tls = feed_server.base_url.replace("http://", "https://") + "/"
    with pytest.raises(CommandError, match=r"(?i)ssl|tls|wrong version"):
        await discover_feeds(settings, tls)
    missing = feed_server.url("/missing")
    with pytest.raises(CommandError) as err:
        await discover_feeds(settings, missing)
    assert str(err.value) == f"Could not read {missing}: HTTP 404 Not Found"


async def test_discovery_goes_through_the_ssrf_guard(feed_server: FeedServer) -> None:  # noqa: F811
    url = page(feed_server, "wordpress.html")
    feed_server.add("/wp/feed/", Reply(body=RSS))
    refused = settings_from_mapping({})
    with pytest.raises(CommandError, match="private/loopback"):
        await discover_feeds(refused, url)
    allowed = settings_from_mapping({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    assert next(f.url for f in await discover_feeds(allowed, url)) == feed_server.url("/wp/feed/")


async def test_common_paths_in_the_pages_folder_first(feed_server: FeedServer) -> None:  # noqa: F811
    """A blog under a path with no <link>: the host's root feed (another site's, or the
    whole host's) was the only one tried, so it was found and added instead."""
    url = page(feed_server, "hugo.html", "/blog/")
    typed_url = page(feed_server, "hugo.html", "/blog")
    feed_server.add("/blog/index.xml", Reply(body=RSS.replace(b"Chip Notes", b"The blog")))
    feed_server.add("/index.xml", Reply(body=RSS.replace(b"Chip Notes", b"The whole host")))
    async with httpx.AsyncClient() as client:
        found = await discover(client, url)
        typed = await discover(client, typed_url)  # as typed, without the slash
    assert [(f.url, f.title) for f in found] == [(feed_server.url("/blog/index.xml"), "The blog")]
    assert [f.url for f in typed] == [feed_server.url("/blog/index.xml")]


async def test_a_link_title_with_terminal_escapes_is_cleaned(feed_server: FeedServer) -> None:  # noqa: F811
    """``signals sources discover`` prints each feed's title, and ``/signals feeds add SITE`` lists them:
    a feed without a title of its own is named by the page's ``<link title>``. Before: that attribute
    was used raw, so a page could clear the operator's screen and retitle the terminal
    (``ESC[2J``, ``ESC]0;…BEL``) or reverse the rest of the line (U+202E)."""
    untitled = b"<rss version='2.0'><channel><item><title>A</title><link>http://x/a</link></item></channel></rss>"
    feed_server.feed("/untitled.xml", untitled)
    html = ('<html><head><link rel="alternate" type="application/rss+xml" href="/untitled.xml" '
            'title="\x1b[2J\x1b]0;pwned\x07Evil \u202eswen\u202c feed"></head></html>').encode()
    url = feed_server.add("/site", Reply(body=html, content_type="text/html; charset=utf-8"))
    settings = settings_from_mapping({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    (found,) = await discover_feeds(settings, url)
    assert found.url.endswith("/untitled.xml")
    assert not any(c in found.title for c in "\x1b\x07\u202e\u202c"), ascii(found.title)
    assert "Evil" in found.title and "feed" in found.title


async def test_one_unusable_link_does_not_hide_the_others(feed_server: FeedServer) -> None:  # noqa: F811
    """Before: a ``<link>`` whose href holds a control character made httpx raise ``InvalidURL``, which
    ended the whole discovery ("Could not read …: Invalid non-printable ASCII character in URL"),
    though the page's other link was a good feed."""
    feed_server.feed("/good.xml", RSS)
    html = (b'<link rel="alternate" type="application/rss+xml" href="/bad.xml\x1b]0;pwned\x07" title="Bad">'
            b'<link rel="alternate" type="application/rss+xml" href="/good.xml" title="Good">')
    url = feed_server.add("/site", Reply(body=html, content_type="text/html; charset=utf-8"))
    settings = settings_from_mapping({"fetch": {"allow_hosts": ["127.0.0.1"]}})
    found = await discover_feeds(settings, url)
    assert [f.url.rsplit("/", 1)[1] for f in found] == ["good.xml"]


async def test_a_candidate_that_moved_is_read_and_kept_at_its_new_address(feed_server: FeedServer) -> None:  # noqa: F811
    """A page's feed link that answers 301 (``/rss`` -> ``/feed.xml``, a CMS migration) was parsed
    against the candidate's address and added under it, so every poll went through the old
    address's redirect; the redirected answer is now read as the final address's, and a move
    that is permanent at every hop is the address kept (a temporary one keeps the link's)."""
    feed_server.add("/", Reply(body=(b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss">'
                                     b'<link rel="alternate" type="application/atom+xml" href="/atom">'
                                     b'</head></html>'), content_type="text/html"))
    feed_server.redirect("/rss", feed_server.url("/feeds/main.xml"), 301)
    feed_server.add("/feeds/main.xml", Reply(body=RSS))
    feed_server.redirect("/atom", feed_server.url("/today/atom.xml"), 302)
    feed_server.add("/today/atom.xml", Reply(body=ATOM, content_type="application/atom+xml"))
    async with httpx.AsyncClient() as client:
        found = await discover(client, feed_server.url("/"))
    assert [(f.url, f.title) for f in found] == [(feed_server.url("/feeds/main.xml"), "Chip Notes"),
                                                 (feed_server.url("/atom"), "Newsroom")]
