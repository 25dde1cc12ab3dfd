"""What the pipeline asks of this package around each poll, in one object.

:class:`SourceRuntime` owns the feed observer (freshness headers, ``<ttl>``, hub links,
attached to the fetcher's client as a response hook), the WebSub :class:`~bot.sources.websub.Subscriber` (only when
``SIGNALS_PUBLIC_URL`` is set) and the adaptive schedule: after each fetch,
:meth:`after_fetch` sets ``FetchState.next_poll_at`` from the source's publishing
history and the response's cache hints, and subscribes/renews push when the feed has
a hub. :func:`ingest_push` feeds a pushed document through the same stages as a poll.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from bot.ingest import clean_entry, parse_feed
from bot.ingest.body import CappedBodies
from bot.ingest.fetcher import FetchResult
from bot.ingest.guard import guarded_transport
from bot.security import UrlGuard
from bot.settings import Settings, SourceSettings
from bot.sources.adaptive import MAX_ITEMS, bounds_for, cache_hints, next_poll_at
from bot.sources.observe import FeedObserver
from bot.sources.websub import Subscriber, get_subscription, renew_at
from bot.store import Store
from bot.store import schema as t

__all__ = ["SourceRuntime", "guarded_client", "ingest_push", "publish_history"]

log = logging.getLogger(__name__)


def guarded_client(settings: Settings, *, timeout: float = 10.0) -> httpx.AsyncClient:
    """An httpx client for user- or feed-supplied URLs: every hop through the SSRF guard."""
    from urllib.parse import urlsplit

    trusted = {urlsplit(s.url).hostname or "" for s in settings.sources}
    guard = UrlGuard(allow=settings.fetch.allow_hosts, trusted_hosts=trusted - {""})
    # bodies inflated and counted by CappedBodies: a hub's answer or a discovered page is anyone's
    transport = CappedBodies(guarded_transport(guard, limit=16), settings.fetch.max_bytes)
    return httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=True, max_redirects=5,
                             headers={"User-Agent": settings.fetch.user_agent, "Accept-Encoding": "gzip, deflate"})


def publish_history(store: Store, source: str, limit: int = MAX_ITEMS) -> list[datetime]:
    """When the source's newest stored articles were published (fetch time when undated)."""
    a = t.articles
    when = func.coalesce(a.c.published_at, a.c.fetched_at)
    with store.begin() as c:
        rows = c.execute(select(a.c.published_at, a.c.fetched_at).where(a.c.source == source)
                         .order_by(when.desc()).limit(limit)).all()
    return [r.published_at or r.fetched_at for r in rows]


class SourceRuntime:
    def __init__(self, settings: Settings, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 public_url: str | None = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.observer = FeedObserver()
        public = public_url if public_url is not None else os.environ.get("SIGNALS_PUBLIC_URL")
        self._client: httpx.AsyncClient | None = None
        self._history: dict[str, list[datetime]] = {}  # per source: publication times, newest feed first
        self.subscriber: Subscriber | None = None
        if public:
            self._client = guarded_client(settings)
            self.subscriber = Subscriber(store, public, self._client, clock=clock)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def history(self, source: str, result: FetchResult) -> list[datetime]:
        """Publication times: the feed's own dated entries when it was fetched (no database read
        on a 304 poll), else what the store knows (read once per source and process)."""
        if result.status == "ok" and result.feed is not None:
            dated = [e.published_at for e in result.feed.entries if e.published_at is not None]
            if len(dated) >= 2:
                self._history[source] = dated[:MAX_ITEMS]
                return self._history[source]
            self._history.pop(source, None)
        if source not in self._history:
            self._history[source] = publish_history(self.store, source)
        return self._history[source]

    async def after_fetch(self, source: SourceSettings, result: FetchResult) -> None:
        """Set ``result.state.next_poll_at``; subscribe to (or renew) the feed's WebSub hub."""
        now = self.clock()
        st = result.state
        meta = self.observer.get(st.url) or self.observer.get(source.url)
        sub = None
        if result.status in ("ok", "not_modified") and self.subscriber is not None:  # a 304 renews too
            try:
                sub = await self.subscriber.ensure(source, meta)
            except Exception:  # push is an optimisation: polling must go on whatever happens
                log.exception("websub subscription failed", extra={"source": source.name})
        elif self.subscriber is not None:
            sub = get_subscription(self.store, source=source.name)
        bounds = bounds_for(source, self.settings.fetch)
        if result.status == "paused":  # after failures: tried again at the slowest rate (410: never)
            st.next_poll_at = None if st.gone else now + bounds.max_every
            return
        retry = st.next_poll_at if result.status == "error" and st.next_poll_at and st.next_poll_at > now else None
        if not self.settings.fetch.adaptive or result.status == "error":
            st.next_poll_at = max(now + bounds.every, retry) if retry else now + bounds.every
            return
        hints = cache_hints(meta.headers if meta else {}, meta.ttl_minutes if meta else None, now)
        pushed = sub is not None and sub.live(now)
        at = next_poll_at(self.history(source.name, result), hints, bounds, now, pushed=pushed)
        renew = renew_at(sub) if pushed and sub is not None else None
        if renew is not None:
            at = max(min(at, renew), now)  # poll (and so renew) before the lease ends
        st.next_poll_at = at
        log.debug("next poll", extra={"source": source.name, "at": at.isoformat(), "pushed": pushed})


async def ingest_push(pipeline, source: SourceSettings, body: bytes,  # type: ignore[no-untyped-def]
                      content_type: str | None) -> int:
    """A pushed feed document → parse → clean → store → process → deliver. Returns new articles."""
    # in a thread, as the Fetcher does: megabytes of broken markup cost the lenient parser seconds of
    # CPU, which on the event loop stalled every endpoint of the web process (Slack, Discord, pages)
    feed = await asyncio.to_thread(parse_feed, body, source.name, url=source.url, content_type=content_type)
    if dropped := feed.keep_newest(pipeline.settings.fetch.max_entries):  # as a polled feed
        log.warning("%s: the pushed feed lists %s entries; only the newest %s are read (fetch.max_entries)",
                    source.name, f"{dropped + len(feed.entries):,}", f"{len(feed.entries):,}",
                    extra={"source": source.name})
    now = pipeline.clock()
    articles = []
    for entry in feed.entries:
        if not entry.url:
            continue
        try:
            articles.append(clean_entry(entry, source.name, now))
        except Exception:
            log.exception("could not clean a pushed entry", extra={"source": source.name, "guid": entry.guid})
    with pipeline.store.begin() as conn:
        new = pipeline.store.add_articles(articles, conn)
    log.info("websub push stored", extra={"source": source.name, "entries": len(feed.entries), "new": len(new)})
    if new:
        await pipeline.process_and_deliver()
    return len(new)
