"""The Fetcher's SSRF guard: every request, every redirect hop and every address connected to checked.

:func:`guarded_transport` (what the fetchers use) pins the check to the connection: each
request is pre-checked (scheme, host, metadata names, IP literals), and the host's
addresses are vetted by :class:`GuardedResolver`, the aiohttp connector's own DNS
resolver, so the address connected to is always one the guard accepted. A separate
look-up before connecting would leave a window for DNS rebinding (public for the check,
internal for the connection); here there is one look-up. The resolver runs
``getaddrinfo`` in a worker thread (aiohttp's default), so a slow DNS server never stalls
the event loop.

:class:`AsyncGuardedTransport` around a caller's own transport (tests, stock httpx) can
only resolve, then let the transport connect; it resolves in a worker thread.

Trust: the hosts of sources written in the config file are trusted by the operator (an
intranet feed works without ceremony); sources added from chat or the CLI are not, and
neither is any host a redirect or an article link points to, unless ``fetch.allow_hosts``
lists it. :class:`TrustedHosts` keeps the trusted set in step with the config on reload.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlsplit

import aiohttp
import aiohttp.abc
import httpx

from bot.ingest.transport import AiohttpTransport
from bot.security.ssrf import GuardedTransport, UnsafeURL, UrlGuard, is_ip_literal
from bot.settings import SourceSettings

__all__ = ["AsyncGuardedTransport", "GuardedResolver", "TrustedHosts", "guarded_transport", "host_of"]


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


class GuardedResolver(aiohttp.abc.AbstractResolver):
    """The connector's DNS resolver: ``inner``'s answers (default: ``getaddrinfo`` in a worker
    thread), refused with :class:`UnsafeURL` unless the guard accepts every address."""

    def __init__(self, guard: UrlGuard, inner: aiohttp.abc.AbstractResolver | None = None) -> None:
        self.guard = guard
        self.inner = inner  # None: aiohttp's ThreadedResolver, made in the loop that first asks

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[aiohttp.abc.ResolveResult]:
        if self.inner is None:
            self.inner = aiohttp.ThreadedResolver()
        answers = await self.inner.resolve(host, port, family)
        self.guard.vet(host, [a["host"] for a in answers])
        return answers

    async def close(self) -> None:
        if self.inner is not None:
            await self.inner.close()


class AsyncGuardedTransport(GuardedTransport):
    """Every request through the guard. ``pinned``: ``inner`` connects only to addresses its
    resolver vetted (see :func:`guarded_transport`), so only :meth:`UrlGuard.precheck` runs here;
    otherwise the full check (with its own look-up) runs in a worker thread."""

    def __init__(self, guard: UrlGuard, inner: httpx.AsyncBaseTransport | None = None, *, pinned: bool = False) -> None:
        super().__init__(guard, inner)
        self.pinned = pinned

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if self.pinned:
            self.guard.precheck(url)
            try:
                return await self.inner.handle_async_request(request)
            except UnsafeURL as exc:  # from the resolver, which knows the host but not the URL
                raise UnsafeURL(f"{url!r}: {exc}") from exc
        if is_ip_literal(request.url.host) or request.url.scheme not in ("http", "https"):
            self.guard.check(url)
        else:
            await asyncio.to_thread(self.guard.check, url)
        return await self.inner.handle_async_request(request)


def guarded_transport(guard: UrlGuard, *, limit: int = 100,
                      dns: aiohttp.abc.AbstractResolver | None = None) -> AsyncGuardedTransport:
    """An aiohttp-backed transport whose connections go only to addresses ``guard`` vetted
    (``dns``: the resolver it asks, default the system's)."""
    inner = AiohttpTransport(limit=limit, resolver=GuardedResolver(guard, dns))
    return AsyncGuardedTransport(guard, inner, pinned=True)


class TrustedHosts:
    """Feeds the guard's ``trusted_hosts`` from the config's sources.

    ``config_sources`` returns the sources written in the config file (re-read on every
    refresh, so a reloaded config takes effect); ``None`` means the caller fetches only
    operator-configured sources, and each fetched source's host is trusted as it comes.
    """

    def __init__(self, guard: UrlGuard, config_sources: Callable[[], Sequence[SourceSettings]] | None) -> None:
        self.guard = guard
        self.config_sources = config_sources
        self._seen: Sequence[SourceSettings] | None = None

    def refresh(self) -> None:
        if self.config_sources is None:
            return
        sources = self.config_sources()
        if sources is not self._seen:  # the same list object until the config is reloaded
            self._seen = sources
            self.guard.trusted_hosts = _hosts(s.url for s in sources)

    def fetching(self, source: SourceSettings) -> None:
        """Called before each poll of ``source``."""
        if self.config_sources is None:
            if host := host_of(source.url):
                self.guard.trusted_hosts.add(host)
        else:
            self.refresh()


def _hosts(urls: Iterable[str]) -> set[str]:
    return {h for h in (host_of(u) for u in urls) if h}
