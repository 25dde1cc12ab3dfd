"""SSRF guard: feeds are URLs from the internet, and some come from chat users.

Only http and https are fetched. A host that resolves to a private, loopback,
link-local, multicast, reserved or cloud-metadata address is refused, on the first
request and on every redirect (the guard sits in the HTTP transport, which sees each
hop), unless it is allow-listed. The hosts of sources written in the config file are
trusted by the operator who wrote them (an intranet feed works without ceremony), but a
redirect from them to another internal host is still refused. Metadata endpoints are
refused even then, unless listed explicitly.

DNS rebinding (a name that resolves to a public address for the check and to an internal
one for the connection): :meth:`UrlGuard.check` resolves, then a client connects with a
look-up of its own, so it cannot close that gap alone. The fetchers close it by checking
the addresses they connect to: :meth:`UrlGuard.precheck` vets everything but DNS before a
request, and :meth:`UrlGuard.vet` the answers of the one look-up the connection uses
(``bot.ingest.guard.GuardedResolver``). :class:`GuardedTransport` (resolve, then connect)
remains for callers that bring their own client transport.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from bot.errors import SignalsError

__all__ = ["GuardedTransport", "UnsafeURL", "UrlGuard", "is_ip_literal"]

_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
             ipaddress.ip_address("100.100.100.200")}
_METADATA_NAMES = {"metadata.google.internal", "metadata", "instance-data"}


class UnsafeURL(SignalsError):
    """A URL we refuse to fetch; the message says why."""


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``),
    else ``ip``: ``64:ff9b::a9fe:a9fe`` is the metadata endpoint through a NAT64 gateway."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour:
            return ip.sixtofour
    return ip


def _private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    ip = _embedded(ip)
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or ip in ipaddress.ip_network("100.64.0.0/10"))


class UrlGuard:
    """``check(url)`` raises :class:`UnsafeURL` or returns the resolved addresses."""

    def __init__(self, allow: Iterable[str] = (), trusted_hosts: Iterable[str] = ()) -> None:
        self.allow_hosts: set[str] = set()
        self.allow_nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in allow:
            try:
                self.allow_nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.allow_hosts.add(item.lower())
        self.trusted_hosts = {h.lower() for h in trusted_hosts}

    def _allowed(self, host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return host in self.allow_hosts or any(ip in net for net in self.allow_nets)

    def precheck(self, url: str) -> tuple[str, int]:
        """Everything but DNS: the scheme, the host, metadata names, and an IP-literal host's
        address (a literal is not looked up, so nothing later would vet it). Returns (host, port)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UnsafeURL(f"{url!r}: only http and https URLs are fetched, not {parts.scheme or 'no scheme'}")
        try:
            host, port = (parts.hostname or "").lower().rstrip("."), parts.port
        except ValueError as exc:  # a port out of range or not a number
            raise UnsafeURL(f"{url!r}: {exc}") from exc
        if not host:
            raise UnsafeURL(f"{url!r}: no host name")
        if host in _METADATA_NAMES and host not in self.allow_hosts:
            raise UnsafeURL(f"{url!r}: {host} is a cloud metadata endpoint")
        if is_ip_literal(host):
            self._vet_url(url, host, [host])
        return host, port or (443 if parts.scheme == "https" else 80)

    def check(self, url: str) -> list[str]:
        """:meth:`precheck`, then resolve the host and vet every address it has; returns them."""
        host, port = self.precheck(url)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise UnsafeURL(f"{url!r}: cannot resolve {host}: {exc}") from exc
        addrs = sorted({str(i[4][0]) for i in infos})
        self._vet_url(url, host, addrs)
        return addrs

    def vet(self, host: str, addrs: Iterable[str]) -> None:
        """Raise :class:`UnsafeURL` unless every address ``host`` resolved to may be fetched."""
        host = host.lower().rstrip(".")
        for a in addrs:
            ip = ipaddress.ip_address(a.split("%")[0])
            if self._allowed(host, ip):
                continue
            metadata = ip if ip in _METADATA else _embedded(ip)  # also written as IPv6 (mapped, NAT64, 6to4)
            if metadata in _METADATA:
                raise UnsafeURL(f"{host} resolves to {metadata}, a cloud metadata address")
            if _private(ip) and host not in self.trusted_hosts:
                raise UnsafeURL(f"{host} resolves to {ip}, a private/loopback/link-local address; "
                                "add it to fetch.allow_hosts for an intranet feed")

    def _vet_url(self, url: str, host: str, addrs: Iterable[str]) -> None:
        try:
            self.vet(host, addrs)
        except UnsafeURL as exc:
            raise UnsafeURL(f"{url!r}: {exc}") from None


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


class GuardedTransport(httpx.AsyncBaseTransport):
    """Checks every request, redirects included, before it leaves the process."""

    def __init__(self, guard: UrlGuard, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.guard = guard
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.guard.check(str(request.url))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
