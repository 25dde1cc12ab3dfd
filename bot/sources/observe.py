"""What a poll tells us beyond the entries: freshness headers, ``<ttl>`` and the WebSub hub.

The fetcher returns parsed entries only; adaptive polling needs the response's
``Cache-Control``/``Expires``/``Date`` headers and the feed's ``<ttl>``, and push needs
``<link rel="hub">``/``rel="self"`` (in the body or an HTTP ``Link`` header). Rather than
parse every feed twice, :meth:`FeedObserver.attach` adds a response hook to the
fetcher's client (or :class:`ObservingTransport` wraps a transport) and reads these
from the response as it streams by: headers as they arrive, and the first
64 KB of the body (decompressed when gzip/deflate) scanned with small regexes — the
channel header, where these elements live, comes before the entries. Results are kept
per request URL (bounded) in :class:`FeedObserver`; a redirect hop is kept as a pointer to
where it leads, so :meth:`FeedObserver.get` on a feed's URL answers with the feed's own
response even behind a 302 (the redirect's headers carry no freshness, ``<ttl>`` or hub).
"""

from __future__ import annotations

import re
import zlib
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from threading import Lock
from urllib.parse import urljoin

import httpx

__all__ = ["FeedMeta", "FeedObserver", "ObservingTransport", "scan_feed_head"]

SCAN_BYTES = 65536
_KEEP = ("cache-control", "expires", "date", "age", "link")
_TTL = re.compile(rb"<ttl>\s*(\d+)\s*</ttl>", re.I)
_LINK_TAG = re.compile(rb"<(?:atom:|atom10:)?link\b[^>]*>", re.I)
_ATTR = re.compile(rb"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_JSON_HUB = re.compile(rb'"hubs"\s*:\s*\[\s*\{[^\]]*?"url"\s*:\s*"([^"]+)"', re.S)
_HTTP_LINK = re.compile(r"<([^>]+)>\s*;([^,]*)")


@dataclass(slots=True)
class FeedMeta:
    """Freshness and push metadata of one feed response."""

    url: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    ttl_minutes: int | None = None
    hub: str | None = None
    self_url: str | None = None


def scan_feed_head(head: bytes, meta: FeedMeta) -> None:
    """Fill ``ttl_minutes``, ``hub`` and ``self_url`` from the start of a feed document."""
    if meta.ttl_minutes is None and (m := _TTL.search(head)):
        meta.ttl_minutes = int(m.group(1))
    for tag in _LINK_TAG.findall(head):
        attrs = {k.lower(): (a or b) for k, a, b in _ATTR.findall(tag)}
        rel, href = attrs.get(b"rel", b"").lower().split(), attrs.get(b"href", b"").strip()
        if not href:
            continue
        if b"hub" in rel and meta.hub is None:
            meta.hub = href.decode("utf-8", "replace")
        elif b"self" in rel and meta.self_url is None:
            meta.self_url = href.decode("utf-8", "replace")
    if meta.hub is None and (m := _JSON_HUB.search(head)):
        meta.hub = m.group(1).decode("utf-8", "replace")


def _http_links(value: str, meta: FeedMeta) -> None:
    for url, params in _HTTP_LINK.findall(value):
        rel = re.search(r"rel\s*=\s*\"?([^\";]+)", params, re.I)
        rels = rel.group(1).lower().split() if rel else []
        if "hub" in rels and meta.hub is None:
            meta.hub = url.strip()
        if "self" in rels and meta.self_url is None:
            meta.self_url = url.strip()


class FeedObserver:
    """The last :class:`FeedMeta` per URL (at most ``size`` URLs, least recently used dropped)."""

    def __init__(self, size: int = 4096) -> None:
        self._metas: OrderedDict[str, FeedMeta | str] = OrderedDict()  # a str: the URL a redirect leads to
        self._size = size
        self._lock = Lock()

    def record(self, meta: FeedMeta | str, url: str | None = None) -> None:
        """Keep ``meta`` for its URL, or (a str) that ``url`` redirects to it."""
        key = meta.url if isinstance(meta, FeedMeta) else url
        assert key is not None
        with self._lock:
            self._metas[key] = meta
            self._metas.move_to_end(key)
            while len(self._metas) > self._size:
                self._metas.popitem(last=False)

    def get(self, url: str) -> FeedMeta | None:
        """The last response for ``url``, following the redirects it answered with (at most 10)."""
        with self._lock:
            found = self._metas.get(url)
            for _ in range(10):
                if not isinstance(found, str):
                    return found
                found = self._metas.get(found)
            return None

    def wrap(self, inner: httpx.AsyncBaseTransport) -> ObservingTransport:
        return ObservingTransport(inner, self)

    def attach(self, client: httpx.AsyncClient) -> None:
        """Observe every response of ``client`` (an httpx response hook; its transport is left alone)."""
        client.event_hooks = {**client.event_hooks,
                              "response": [*client.event_hooks.get("response", []), self.on_response]}

    async def on_response(self, response: httpx.Response) -> None:
        _observe(self, response.request, response)


class _Tee(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, meta: FeedMeta, encoding: str) -> None:
        self._inner = inner
        self._meta = meta
        self._seen = 0
        self._buf = b""
        wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}.get(encoding)
        self._z = zlib.decompressobj(wbits) if wbits else None
        self._ok = encoding in ("", "identity") or self._z is not None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            if self._ok and self._seen < SCAN_BYTES:
                self._seen += len(chunk)
                try:
                    self._buf += self._z.decompress(chunk, SCAN_BYTES) if self._z else chunk
                except zlib.error:
                    self._ok = False
                if self._seen >= SCAN_BYTES or len(self._buf) >= SCAN_BYTES:
                    scan_feed_head(self._buf[:SCAN_BYTES], self._meta)
                    self._ok = False
            yield chunk
        if self._ok:
            scan_feed_head(self._buf, self._meta)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _observe(observer: FeedObserver, request: httpx.Request, response: httpx.Response) -> None:
    """Record the response's headers now, and tee its body stream to scan the feed's head."""
    if request.method != "GET":
        return
    if response.is_redirect and response.headers.get("location"):
        observer.record(urljoin(str(request.url), response.headers["location"]), str(request.url))
        return
    meta = FeedMeta(url=str(request.url), status=response.status_code,
                    headers={k: response.headers[k] for k in _KEEP if k in response.headers})
    if "link" in meta.headers:
        _http_links(meta.headers["link"], meta)
    if response.status_code == 304 and (before := observer.get(meta.url)) is not None:
        # "not modified" has no body: the <ttl> and hub of the document it stands for still hold
        # (they were forgotten, and a feed with <ttl>60</ttl> was polled at its every after each 304)
        meta.ttl_minutes = before.ttl_minutes
        meta.hub = meta.hub or before.hub
        meta.self_url = meta.self_url or before.self_url
    observer.record(meta)
    stream = response.stream
    if response.status_code == 200 and isinstance(stream, httpx.AsyncByteStream):
        encoding = response.headers.get("content-encoding", "").strip().lower()
        response.stream = _Tee(stream, meta, encoding)


class ObservingTransport(httpx.AsyncBaseTransport):
    """Pass-through transport that records :class:`FeedMeta` for every GET it answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport, observer: FeedObserver) -> None:
        self.inner = inner
        self.observer = observer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        _observe(self.observer, request, response)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
