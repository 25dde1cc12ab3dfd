"""Feed discovery: people paste a site's address, not its feed's.

Given a URL, :func:`discover` fetches it (through the caller's client, i.e. behind the
SSRF guard); if it already is a feed, that is the answer. Otherwise it reads the page's
``<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">`` tags, and only
when there are none it probes the common paths (``/feed``, ``/rss.xml``, ``/atom.xml``,
``/index.xml``, ``/feed.json``...) in the page's folder, then at the host's root, keeping
those that parse as a feed. Each candidate
is offered with its title and entry count so a person can pick.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from bot.errors import FeedParseError, SignalsError
from bot.ingest.cleaner import clean_title
from bot.ingest.feedlinks import feed_links
from bot.ingest.parser import ParsedFeed, parse_feed

__all__ = ["COMMON_PATHS", "DiscoveredFeed", "discover", "feed_links"]

log = logging.getLogger(__name__)

COMMON_PATHS = ("/feed", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json", "/feed.xml", "/rss", "/feeds/posts/default")
_LIMIT = 2_000_000
# describe the body as sent; the copy kept is decoded (and maybe cut)
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


@dataclass(frozen=True, slots=True)
class DiscoveredFeed:
    url: str
    title: str
    kind: str  # "rss2.0", "atom1.0", "json1.1"...
    entries: int
    via: str  # "direct", "link", "path"


async def _get(client: httpx.AsyncClient, url: str) -> tuple[httpx.Response | None, str]:
    """The answer (its body cut at :data:`_LIMIT`: a page's ``<head>`` comes first) and, when
    there is none, why — for the message about the URL a person typed."""
    try:
        async with client.stream("GET", url, follow_redirects=True) as resp:
            chunks, size = [], 0
            async for chunk in resp.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= _LIMIT:
                    log.info("discovery: page cut at %d bytes", _LIMIT, extra={"url": url})
                    break
            body = b"".join(chunks)[:_LIMIT]
            headers = httpx.Headers({k: v for k, v in resp.headers.items() if k.lower() not in _BODY_HEADERS})
            return httpx.Response(resp.status_code, headers=headers, content=body, request=resp.request,
                                  history=resp.history), ""
    except SignalsError:  # the SSRF guard refused a hop: the caller decides for the first URL
        raise
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: a page's href with a control character
        log.info("discovery: %s", exc, extra={"url": url})
        return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _as_feed(resp: httpx.Response, url: str) -> ParsedFeed | None:
    if resp.status_code != 200 or not resp.content:
        return None
    ctype = resp.headers.get("content-type", "")
    if "html" in ctype.lower() and b"<rss" not in resp.content[:2048] and b"<feed" not in resp.content[:2048]:
        return None
    try:
        return parse_feed(resp.content, url, url=url, content_type=ctype)
    except FeedParseError:
        return None
    except Exception:  # a parser failure on junk: not a feed
        return None


async def _probe(client: httpx.AsyncClient, url: str, via: str, title: str = "") -> DiscoveredFeed | None:
    try:
        resp, _ = await _get(client, url)
    except SignalsError as exc:
        log.info("discovery: refused %s: %s", url, exc)
        return None
    if resp is None:
        return None
    final = str(resp.url)  # the answer is the final address's: its relative links resolve there
    feed = _as_feed(resp, final)
    if feed is None:
        return None
    # a move permanent at every hop (301/308: a CMS migration) is the address to keep, so polls
    # skip the redirect; a temporary one (302/307) keeps the address the page links to
    moved = bool(resp.history) and all(h.status_code in (301, 308) for h in resp.history)
    # the <link title> is the page's text: cleaned like a feed title (it was printed raw: escape sequences)
    return DiscoveredFeed(url=final if via == "direct" or moved else url, title=feed.title or clean_title(title),
                          kind=feed.kind, entries=len(feed.entries), via=via)


def _probe_bases(page_url: str) -> list[str]:
    """Where to try the common paths: the page's own folder first (``/blog/`` → ``/blog/feed``,
    a Hugo or WordPress site under a path, ``/~alice/``), then the host's root. Trying the root
    alone found the whole host's feed for a sub-site and added that one."""
    parts = urlsplit(page_url)
    root = f"{parts.scheme}://{parts.netloc}"
    last = parts.path.rsplit("/", 1)[-1]
    folder = parts.path.rsplit("/", 1)[0] if "." in last else parts.path.rstrip("/")  # /blog is a folder
    return [root + folder, root] if folder.strip("/") else [root]


async def discover(client: httpx.AsyncClient, url: str, *, probe_paths: bool = True) -> list[DiscoveredFeed]:
    """Feeds for ``url``: itself if it is a feed, else advertised links, else common paths.

    Raises what the client's transport raises for ``url`` itself (e.g. the SSRF guard's
    :class:`~bot.security.UnsafeURL`), or :class:`SignalsError` saying why it gave no page
    (connection refused, TLS, an HTTP error status); candidate URLs that fail are just left out.
    A page larger than 2 MB is read up to there: its ``<link>`` tags are in the ``<head>``.
    """
    resp, why = await _get(client, url)
    if resp is None:
        raise SignalsError(why)
    final = str(resp.url)
    feed = _as_feed(resp, final)
    if feed is not None:
        return [DiscoveredFeed(final, feed.title, feed.kind, len(feed.entries), "direct")]
    if resp.status_code >= 400:
        raise SignalsError(f"HTTP {resp.status_code} {httpx.codes.get_reason_phrase(resp.status_code)}".rstrip())
    links = feed_links(resp.text, final)
    found = await asyncio.gather(*(_probe(client, link, "link", title) for link, title in links))
    out = [f for f in found if f is not None]
    if not out and probe_paths:
        for base in _probe_bases(final):
            candidates = list(dict.fromkeys(base + p for p in COMMON_PATHS))
            found = await asyncio.gather(*(_probe(client, c, "path") for c in candidates))
            out = [f for f in found if f is not None]
            if out:
                break
    seen: set[str] = set()
    unique = []
    for f in out:
        if f.url not in seen:
            seen.add(f.url)
            unique.append(f)
    return unique
