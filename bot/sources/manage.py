"""The operations behind ``signals sources ...`` and ``/signals feeds ...``, written once.

Every URL a person types goes through the SSRF guard first (:func:`check_url`, whose
error says why a URL is refused) and then is fetched through a guarded transport, so a
redirect to an internal address is refused too. :func:`preview` fetches a feed once and
scores its latest items the way the pipeline would; :func:`add_from_url` adds a feed (or,
for a site address, its feed when it offers one besides its comments feed, else says which
feeds the site offers).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from bot.errors import CommandError
from bot.ingest import Fetcher, clean_entry
from bot.ingest.guard import guarded_transport
from bot.models import FetchState
from bot.security import UnsafeURL, UrlGuard
from bot.settings import Settings, SourceSettings, parse_duration, visible_name
from bot.settings.feedurl import feed_url
from bot.sources.discovery import DiscoveredFeed, discover
from bot.sources.registry import SourceChange, add_source, effective_sources, refuse_polled
from bot.store import Store

__all__ = ["PreviewItem", "SourcePreview", "add_from_url", "check_url", "discover_feeds", "guard_for",
           "parse_every", "preview", "run_sync"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PreviewItem:
    title: str
    url: str
    published_at: datetime | None
    importance: float
    category: str
    topics: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SourcePreview:
    url: str
    title: str
    kind: str
    entries: int
    items: list[PreviewItem]


def guard_for(settings: Settings) -> UrlGuard:
    """User-supplied URLs: nothing private unless ``fetch.allow_hosts`` lists it (config hosts are not trusted)."""
    return UrlGuard(allow=settings.fetch.allow_hosts)


def check_url(settings: Settings, url: str) -> None:
    """Refuse what is not an http(s) URL or points inside; pass it through :func:`feed_url` first."""
    url = url.strip()
    if not re.match(r"^https?://[^\s/]+", url):
        raise CommandError(f"Refused {url!r}: expected an http:// or https:// URL.")
    try:
        guard_for(settings).check(url)
    except UnsafeURL as exc:
        raise CommandError(f"Refused: {exc}") from exc


def parse_every(value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        every = parse_duration(value)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if every < timedelta(minutes=1):
        raise CommandError("every: at least 1m between polls")
    return every


def run_sync(coro: Coroutine[Any, Any, T], timeout: float = 180.0) -> T:
    """Run a coroutine from sync code, whether or not this thread already runs an event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout)


async def _fetch(settings: Settings, url: str) -> tuple[Any, str]:
    transport = guarded_transport(guard_for(settings), limit=4)
    src = SourceSettings(name=_default_name(url), url=url, full_text="never")
    async with Fetcher(settings.fetch, transport=transport, backoff=0.2) as fetcher:
        result = await fetcher.fetch(src, FetchState(source=src.name, url=url))
    if result.feed is None:
        raise CommandError(f"{url} did not give a feed: {result.error or result.status}")
    return result.feed, result.state.url


async def preview(settings: Settings, url: str, limit: int = 5) -> SourcePreview:
    """Fetch ``url`` once and score its newest ``limit`` items as single-article stories."""
    url = feed_url(url)
    check_url(settings, url)
    feed, final = await _fetch(settings, url)
    now = datetime.now(UTC)
    entries = sorted(feed.entries, key=lambda e: e.published_at or now, reverse=True)[:limit]
    articles = []
    for i, e in enumerate(x for x in entries if x.url):
        a = clean_entry(e, _default_name(url), now)
        a.id = -(i + 1)
        articles.append(a)
    items: list[PreviewItem] = []
    if articles:
        from bot.scoring import StoryInput

        scorer = await asyncio.to_thread(_scorer, settings)
        scores = await asyncio.to_thread(scorer.score, [StoryInput(f"preview-{i}", [a]) for i, a in enumerate(articles)])
        items = [PreviewItem(a.title, a.url, a.published_at, s.importance, s.category, list(s.topics))
                 for a, s in zip(articles, scores, strict=True)]
    return SourcePreview(final, feed.title, feed.kind, len(feed.entries), items)


_SCORERS: dict[str, Any] = {}
_SCORERS_LOCK = threading.Lock()


def _scorer(settings: Settings) -> Any:
    """One StoryScorer per topic/watchlist/weights configuration (loading the models takes seconds)."""
    from bot.scoring import StoryScorer

    key = settings.model_dump_json(include={"topics", "watchlist", "sources"})
    with _SCORERS_LOCK:
        if key not in _SCORERS:
            _SCORERS.clear()
            _SCORERS[key] = StoryScorer(settings)
        return _SCORERS[key]


async def discover_feeds(settings: Settings, url: str) -> list[DiscoveredFeed]:
    from bot.sources.runtime import guarded_client

    url = feed_url(url)
    check_url(settings, url)
    async with guarded_client(settings.model_copy(update={"sources": []})) as client:
        try:
            return await discover(client, url)
        except UnsafeURL as exc:
            raise CommandError(f"Refused: {exc}") from exc
        except CommandError:
            raise
        except Exception as exc:
            raise CommandError(f"Could not read {url}: {exc}") from exc


_COMMENTS = re.compile(r"\bcomments?\b", re.I)


def _comments_feed(feed: DiscoveredFeed) -> bool:
    """A site's comments feed ("Comments for X", ``/comments/feed/``): every WordPress and
    Blogger page advertises one next to its posts feed, so a pasted site address always had
    "several feeds" and was refused."""
    path = urlsplit(feed.url).path.lower()
    return bool(_COMMENTS.search(feed.title)) or "/comments/" in path or path.rstrip("/").endswith("/comments")


def _default_name(url: str) -> str:
    parts = urlsplit(url)
    return (parts.hostname or "feed").removeprefix("www.")


async def add_from_url(settings: Settings, store: Store, url: str, actor: str, *, every: timedelta | None = None,
                       name: str | None = None) -> SourceChange:
    """Check, fetch once (a site address is resolved to its feed when it has exactly one) and add."""
    url = feed_url(url)
    check_url(settings, url)
    refuse_polled(settings, store, url)  # before any request: the answer does not depend on it
    try:
        feed, final = await _fetch(settings, url)
    except CommandError:
        found = await discover_feeds(settings, url)
        found = [f for f in found if not _comments_feed(f)] or found  # WordPress, Blogger: posts + comments
        if len(found) != 1:
            if not found:
                raise CommandError(f"{url} is not a feed and advertises none.") from None
            options = "\n".join(f"  {f.url}  ({f.title or f.kind}, {f.entries} items)" for f in found)
            raise CommandError(f"{url} is a site with several feeds; add one of them:\n{options}") from None
        url = found[0].url
        feed, final = await _fetch(settings, url)
    base = visible_name(name or "") or visible_name(feed.title or "")[:60] or _default_name(final)
    chosen, n = base, 2
    names = {s.name for s in effective_sources(settings, store)}
    while name is None and chosen in names:
        chosen, n = f"{base}-{n}", n + 1
    src = SourceSettings(name=chosen, url=final, **({"every": every} if every else {}))
    return add_source(settings, store, src, actor)
