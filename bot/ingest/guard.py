"""The Fetcher's SSRF guard: every request and every redirect hop checked, without blocking the loop.

:class:`~bot.security.ssrf.GuardedTransport` resolves the host with the blocking
``socket.getaddrinfo``; inside the fetcher's event loop that would stall every other poll
while one slow DNS server answers. :class:`AsyncGuardedTransport` runs that check in a
worker thread (IP literals, the common case on intranets and in tests, are checked
inline: nothing to resolve).

Trust: the hosts of sources written in the config file are trusted by the operator (an
intranet feed works without ceremony); sources added from chat or the CLI are not, and
neither is any host a redirect or an article link points to, unless ``fetch.allow_hosts``
lists it. :class:`TrustedHosts` keeps the trusted set in step with the config on reload.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlsplit

import httpx

from bot.security.ssrf import GuardedTransport, UrlGuard
from bot.settings import SourceSettings

__all__ = ["AsyncGuardedTransport", "TrustedHosts", "host_of"]


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


class AsyncGuardedTransport(GuardedTransport):
    """:class:`GuardedTransport` whose DNS look-up runs off the event loop."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if _is_ip(request.url.host) or request.url.scheme not in ("http", "https"):
            self.guard.check(url)
        else:
            await asyncio.to_thread(self.guard.check, url)
        return await self.inner.handle_async_request(request)


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
