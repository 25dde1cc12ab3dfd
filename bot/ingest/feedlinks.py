"""The feeds a web page advertises with ``<link rel="alternate" type="application/rss+xml">``.

Read by feed discovery (:mod:`bot.sources.discovery`) and by the parser, whose error for a
source that is a site's page, not its feed, names the feed the page points to.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from bot.settings.feedurl import feed_url

__all__ = ["feed_links", "is_html_page", "where_its_feed_is"]

log = logging.getLogger(__name__)

_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
               "application/rdf+xml", "application/xml", "text/xml"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (href, title)
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"]
        if tag != "link" or not a.get("href"):
            return
        rels = a.get("rel", "").lower().split()
        ctype = a.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rels and ctype in _FEED_TYPES and "stylesheet" not in rels:
            self.links.append((a["href"], a.get("title", "")))


def feed_links(html: str, page_url: str) -> list[tuple[str, str]]:
    """``(absolute URL, title)`` of each feed a page advertises with ``<link rel="alternate">``."""
    p = _Links()
    try:
        p.feed(html)
        p.close()
    except Exception:  # HTMLParser is lenient; anything else is a broken page: keep what was read
        log.info("could not read the whole page", extra={"url": page_url})
    base = urljoin(page_url, p.base) if p.base else page_url
    out: dict[str, str] = {}
    for href, title in p.links:
        url = urljoin(base, feed_url(href))  # feed://, feed:https:// as some sites write them
        if urlsplit(url).scheme in ("http", "https"):
            out.setdefault(url, title)
    return list(out.items())


_HTML_TAG = re.compile(rb"<html[\s>]", re.I)
_FEED_TAG = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]")


def is_html_page(body: bytes, content_type: str | None) -> bool:
    """A web page: labelled HTML, or an ``<html>`` tag in its first 64 KB (after a long comment too)."""
    head = body[:65536]
    if _FEED_TAG.search(head):  # a broken feed served as text/html is a broken feed
        return False
    return "html" in (content_type or "").lower() or _HTML_TAG.search(head) is not None


def where_its_feed_is(page: bytes, url: str) -> str:
    """Where to look instead, for the error about a source whose URL is a site's page (what a
    browser shows) and not its feed: the feeds the page advertises, else the command that finds one.
    The bare "got an HTML page" left the user to guess."""
    links = [u for u, _ in feed_links(page[:2_000_000].decode("utf-8", "replace"), url)] if url else []
    if links:
        return f"; the page names its feed{'s' if len(links) > 1 else ''}: {', '.join(links[:3])}"
    return f"; find its feed with: signals sources discover {url or 'SITE'}"
