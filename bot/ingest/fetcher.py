"""Poll feeds over HTTP politely: one shared client, conditional GET, limits, retries.

Politeness and robustness rules, each one learnt the hard way by feed readers:

* conditional GET (``If-None-Match`` / ``If-Modified-Since``) so unchanged feeds cost a 304;
* a per-host and a global concurrency limit, never held while sleeping between retries;
* retries with exponential backoff and jitter on network errors and 429/5xx, honouring
  ``Retry-After`` (seconds or HTTP date) up to a cap — beyond it we stop and set
  ``next_poll_at`` instead of blocking a worker (at most ``fetch.max_every`` ahead: a
  server asking for a year is not obeyed into silence);
* 301/308 update the stored URL once the new address reads as a feed; ``410 Gone`` and too
  many consecutive failures pause; a source paused after failures is tried again at its
  ``next_poll_at`` (set to ``max_every`` ahead by :mod:`bot.sources.runtime`) and resumes by
  itself when it answers;
* the body is capped while streaming, decompressed size included (see :mod:`.body`).

``fetch()`` never raises for a feed problem: the outcome is in :class:`FetchResult`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Literal
from urllib.parse import urljoin, urlsplit

import httpx

from bot.errors import FeedParseError, FetchError, FetchTimeout
from bot.ingest.body import BodyTooLarge, UnsupportedEncoding, read_capped
from bot.ingest.dates import retry_after
from bot.ingest.guard import AsyncGuardedTransport, TrustedHosts, guarded_transport
from bot.ingest.parser import ParsedFeed, parse_feed
from bot.models import FetchState
from bot.security.ssrf import UnsafeURL, UrlGuard
from bot.settings import FetchSettings, SourceSettings, format_duration

__all__ = ["FetchResult", "FetchStatus", "Fetcher"]

logger = logging.getLogger(__name__)

FetchStatus = Literal["ok", "not_modified", "error", "paused"]
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
           "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5")


@dataclass(slots=True)
class FetchResult:
    """The outcome of one poll. ``state`` is an updated copy to store; the input is untouched."""

    state: FetchState
    status: FetchStatus
    feed: ParsedFeed | None = None
    error: str | None = None
    elapsed: float = 0.0


@dataclass(slots=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes
    permanent_url: str | None
    url: str = ""  # where the answer came from, after redirects: the base of the document's relative links


class _Retry(Exception):
    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        self.error = error
        self.retry_after = retry_after


class Fetcher:
    """Fetch feeds and article pages with one shared :class:`httpx.AsyncClient`.

    ``backoff`` (first retry delay, seconds), ``max_backoff`` and ``max_retry_after``
    (longest ``Retry-After`` we wait for inside one poll) are tuning knobs for tests.
    ``transport`` defaults to :class:`~bot.ingest.transport.AiohttpTransport` (measured
    several times cheaper per request); pass ``httpx.AsyncHTTPTransport()`` for stock httpx.
    Whatever it is, the SSRF guard (:mod:`bot.ingest.guard`) wraps it: every request and
    redirect hop to a private, loopback, link-local or metadata address is refused unless
    its host is a config source's (``config_sources`` returns the config file's sources;
    ``None``: each polled source is trusted) or listed in ``fetch.allow_hosts``.
    """

    def __init__(self, settings: FetchSettings | None = None, *, backoff: float = 1.0,
                 max_backoff: float = 30.0, max_retry_after: float = 60.0,
                 transport: httpx.AsyncBaseTransport | None = None,
                 config_sources: Callable[[], Sequence[SourceSettings]] | None = None) -> None:
        self.settings = settings or FetchSettings()
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._transport = transport
        self.guard = UrlGuard(allow=self.settings.allow_hosts)
        self._trust = TrustedHosts(self.guard, config_sources)
        self._client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(self.settings.concurrency)
        # per host: its limit and how many requests hold or wait for it (dropped at zero: _host)
        self._hosts: dict[str, tuple[asyncio.Semaphore, int]] = {}

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        total = s.timeout.total_seconds()
        transport = (AsyncGuardedTransport(self.guard, self._transport) if self._transport is not None
                     else guarded_transport(self.guard, limit=s.concurrency))
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(total, connect=s.connect_timeout.total_seconds()),
            limits=httpx.Limits(max_connections=s.concurrency, max_keepalive_connections=s.concurrency),
            follow_redirects=True, max_redirects=5, transport=transport,
            headers={"User-Agent": s.user_agent, "Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate"},
        )
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("use 'async with Fetcher(...)' before fetching")
        return self._client

    # -- one HTTP exchange -------------------------------------------------------------
    @asynccontextmanager
    async def _host(self, host: str) -> AsyncIterator[None]:
        """``fetch.per_host`` requests at once to ``host``. A host's semaphore lives while a request
        holds or waits for it: article pages alone reach tens of thousands of hosts over months (an
        aggregator's links), and keeping one for every host ever fetched grew without end."""
        sem, users = self._hosts.get(host) or (asyncio.Semaphore(self.settings.per_host), 0)
        self._hosts[host] = (sem, users + 1)
        try:
            async with sem:
                yield
        finally:
            sem, users = self._hosts[host]
            if users <= 1:
                del self._hosts[host]
            else:
                self._hosts[host] = (sem, users - 1)


    async def _get(self, source: str, url: str, headers: dict[str, str], *, limit: int) -> _Answer:
        """One GET under both limits and the total timeout. Raises _Retry or FetchError."""
        host = urlsplit(url).hostname or ""
        total = self.settings.timeout.total_seconds()
        try:
            async with (
                self._host(host),
                self._global,
                asyncio.timeout(total),
                self.client.stream("GET", url, headers=headers) as resp,
            ):
                permanent = None
                for hop in resp.history:
                    if hop.status_code not in (301, 308) or "location" not in hop.headers:
                        break
                    permanent = urljoin(str(hop.url), hop.headers["location"])
                body = b""
                if 200 <= resp.status_code < 300:
                    body = await read_capped(resp, limit)
                return _Answer(resp.status_code, resp.headers, body, permanent, str(resp.url))
        except (TimeoutError, httpx.TimeoutException) as exc:
            what = type(exc).__name__ if isinstance(exc, httpx.TimeoutException) else f"no answer within {total:g}s"
            raise _Retry(FetchTimeout(source, f"timed out ({what})")) from exc
        except UnsafeURL as exc:  # the SSRF guard, on the first request or a redirect: never retried
            raise FetchError(source, f"refused by the SSRF guard: {exc}") from exc
        except httpx.TooManyRedirects as exc:
            raise FetchError(source, "too many redirects (more than 5)") from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise FetchError(source, f"bad URL {url!r}: {exc}") from exc
        except httpx.TransportError as exc:
            raise _Retry(FetchError(source, f"network error: {type(exc).__name__}: {exc or 'connection failed'}")) from exc
        except BodyTooLarge as exc:
            raise FetchError(source, f"response too large: {exc}") from exc
        except UnsupportedEncoding as exc:
            raise FetchError(source, str(exc)) from exc

    async def _get_with_retries(self, source: str, url: str, headers: dict[str, str], *, limit: int,
                                now: datetime) -> _Answer:
        attempt = 0
        while True:
            try:
                answer = await self._get(source, url, headers, limit=limit)
                if answer.status not in _RETRY_STATUS:
                    return answer
                reason = httpx.codes.get_reason_phrase(answer.status)
                wait = retry_after(answer.headers.get("retry-after"), now)
                raise _Retry(FetchError(source, f"HTTP {answer.status} {reason}", status=answer.status), wait)
            except _Retry as retry:
                wait = retry.retry_after
                if attempt >= self.settings.retries or (wait is not None and wait > self.max_retry_after):
                    if wait is not None:
                        raise _Retry(retry.error, wait) from None  # the caller sets next_poll_at
                    raise retry.error from None
                if retry.retry_after is not None:
                    delay = retry.retry_after + random.uniform(0, 0.1) * max(retry.retry_after, 1.0)
                else:
                    delay = min(self.max_backoff, self.backoff * 2 ** attempt) * random.uniform(0.5, 1.5)
                logger.info("retrying in %.1fs: %s", delay, retry.error,
                            extra={"source": source, "attempt": attempt + 1})
                attempt += 1
                await asyncio.sleep(delay)

    # -- feeds ---------------------------------------------------------------------------

    def _fail(self, source: SourceSettings, st: FetchState, message: str, t0: float, *,
              gone: bool = False) -> FetchResult:
        st.failures += 1
        st.last_error = message
        limit = self.settings.pause_after_failures
        if gone or st.failures >= limit:
            st.paused = True
            st.pause_reason = message if gone else (
                f"paused after {st.failures} consecutive failures, tried again every "
                f"{format_duration(source.max_every or max(self.settings.max_every, source.every))}; last error: {message}")
            logger.info("source paused: %s", st.pause_reason, extra={"source": st.source, "url": st.url})
            return FetchResult(st, "paused", error=message, elapsed=time.monotonic() - t0)
        logger.info("fetch failed (%d/%d): %s", st.failures, limit, message,
                       extra={"source": st.source, "url": st.url})
        return FetchResult(st, "error", error=message, elapsed=time.monotonic() - t0)

    @staticmethod
    def _moved(source: SourceSettings, st: FetchState, url: str) -> None:
        logger.warning("feed moved permanently to %s (update the config)", url,
                       extra={"source": source.name, "url": st.url})
        st.url = url

    async def fetch(self, source: SourceSettings, state: FetchState) -> FetchResult:
        """Poll one source. Never raises for network, HTTP or feed problems."""
        t0 = time.monotonic()
        now = datetime.now(UTC)
        st = dataclasses.replace(state)
        st.url = st.url or source.url
        if st.paused and not st.probe_due(now):
            return FetchResult(st, "paused", error=st.pause_reason, elapsed=0.0)
        self._trust.fetching(source)
        st.last_fetch_at = now
        headers: dict[str, str] = {}
        if st.etag:
            headers["If-None-Match"] = st.etag
        if st.last_modified:
            headers["If-Modified-Since"] = st.last_modified
        try:
            answer = await self._get_with_retries(source.name, st.url, headers, limit=self.settings.max_bytes,
                                                  now=now)
        except _Retry as retry:  # Retry-After longer than we wait inside one poll
            st.last_status = retry.error.status
            asked = retry.retry_after or 0.0
            # capped like an over-long max-age (bot.sources.adaptive): a Retry-After of a year must not
            # silence the source without an error worth a pause
            cap = max(self.settings.max_every, source.max_every or self.settings.max_every).total_seconds()
            st.next_poll_at = now + timedelta(seconds=min(asked, cap))
            note = f" (next poll in {cap:.0f}s)" if asked > cap else ""
            return self._fail(source, st, f"{retry.error}; server asks to retry after {asked:.0f}s{note}", t0)
        except FetchError as exc:
            st.last_status = exc.status
            return self._fail(source, st, str(exc), t0)
        except Exception as exc:  # a bug or an exotic transport error must not stop the other sources
            logger.exception("unexpected error fetching", extra={"source": source.name, "url": st.url})
            return self._fail(source, st, f"{source.name}: unexpected error: {type(exc).__name__}: {exc}", t0)
        st.last_status = answer.status
        # a move is adopted once its target proves to be a feed (below): publishers that drop a
        # feed often 301 it to their home page, and adopting that lost the feed's own address
        moved = answer.permanent_url if answer.permanent_url and answer.permanent_url != st.url else None
        if moved and answer.status == 304:
            self._moved(source, st, moved)
        if answer.status == 304:
            st.paused, st.pause_reason = False, None  # a probe's 304: the feed is back, unchanged
            st.failures, st.last_error, st.last_ok_at = 0, None, now
            return FetchResult(st, "not_modified", elapsed=time.monotonic() - t0)
        if answer.status == 410:
            return self._fail(source, st, f"{source.name}: HTTP 410 Gone: the feed was removed; source paused", t0,
                              gone=True)
        if not (200 <= answer.status < 300) or answer.status == 204:
            reason = httpx.codes.get_reason_phrase(answer.status)
            return self._fail(source, st, f"{source.name}: HTTP {answer.status} {reason}", t0)
        try:
            # in a thread: a pathological body (10 MB of broken markup) costs the lenient fallback
            # parser tens of seconds of CPU, which must not stall every other poll on the event loop
            # relative links resolve against the document's own address (RFC 3986 5.1.3), not the
            # one asked for: behind a temporary redirect, /news -> /blog/feed.xml, "posts/1" is /blog/posts/1
            feed = await asyncio.to_thread(parse_feed, answer.body, source.name, url=answer.url or st.url,
                                           content_type=answer.headers.get("content-type"))
        except FeedParseError as exc:
            where = f"{st.url}, which moved permanently to {moved}" if moved else st.url
            return self._fail(source, st, f"malformed feed from {where}: {exc}", t0)
        except Exception as exc:  # parser bug on a weird document: report it as this feed's problem
            logger.exception("parser failed", extra={"source": source.name, "url": st.url})
            return self._fail(source, st, f"malformed feed from {st.url}: {source.name}: parser failed: "
                                  f"{type(exc).__name__}: {exc}", t0)
        if moved:
            self._moved(source, st, moved)
        if dropped := feed.keep_newest(self.settings.max_entries):
            logger.warning("%s: the feed lists %s entries; only the newest %s are read (fetch.max_entries)",
                           source.name, f"{dropped + len(feed.entries):,}", f"{len(feed.entries):,}",
                           extra={"source": source.name, "url": st.url})
        st.etag = answer.headers.get("etag")
        st.last_modified = answer.headers.get("last-modified")
        if st.paused:  # a probe of a source paused after failures: it works again
            logger.warning("paused source works again; resumed", extra={"source": source.name, "url": st.url})
            st.paused, st.pause_reason = False, None
        st.failures, st.last_error, st.last_ok_at = 0, None, now
        elapsed = time.monotonic() - t0
        logger.debug("fetched %d entries", len(feed.entries),
                     extra={"source": source.name, "bytes": len(answer.body), "parser": feed.parser})
        return FetchResult(st, "ok", feed=feed, elapsed=elapsed)

    # -- article pages -------------------------------------------------------------------

    async def fetch_page(self, url: str, *, limit: int | None = None) -> bytes | None:
        """GET an HTML page (for full-text extraction); ``None`` on any failure."""
        cap = min(self.settings.max_bytes, limit or 5_000_000)
        self._trust.refresh()
        try:
            answer = await self._get_with_retries(url, url, {"Accept": "text/html,application/xhtml+xml"},
                                                  limit=cap, now=datetime.now(UTC))
        except (FetchError, _Retry) as exc:
            logger.info("article page not fetched: %s", exc, extra={"url": url})
            return None
        if answer.status != 200:
            logger.info("article page answered HTTP %d", answer.status, extra={"url": url})
            return None
        return answer.body

    async def fetch_article_text(self, url: str) -> str | None:
        """Fetch ``url`` and return its main text (trafilatura), or ``None``."""
        from bot.ingest.extract import extract_text

        body = await self.fetch_page(url)
        if not body:
            return None
        return await asyncio.to_thread(extract_text, body, url)
