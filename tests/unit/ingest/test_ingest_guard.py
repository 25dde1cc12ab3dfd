"""The fetchers' SSRF guard is pinned to the connection: the address connected to is one it vetted.

DNS is the one part played by a stand-in (``ScriptedDNS``, answering like an attacker's
server with a zero TTL would); the HTTP server, aiohttp's connector and httpx are real.
A rebinding attack needs two look-ups, one for the check and one for the connection;
these tests pin that there is one, that its answer is what the connection uses, and that
an internal answer is refused before anything is sent.
"""

from __future__ import annotations

import socket

import aiohttp.abc
import httpx
import pytest

from bot.ingest.guard import guarded_transport
from bot.security import UnsafeURL, UrlGuard
from tests.feedserver import FeedServer, feed_server

__all__ = ["feed_server"]


class ScriptedDNS(aiohttp.abc.AbstractResolver):
    """Answers from a table (host -> addresses) and counts the questions."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[aiohttp.abc.ResolveResult]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError(f"no such host: {host}")
        return [{"hostname": host, "host": a, "port": port, "family": socket.AF_INET6 if ":" in a else socket.AF_INET,
                 "proto": 0, "flags": 0} for a in self.answers[host]]

    async def close(self) -> None:
        return None


def client(guard: UrlGuard, dns: ScriptedDNS) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=guarded_transport(guard, limit=4, dns=dns), follow_redirects=True,
                             timeout=5)


async def test_the_connection_uses_the_one_vetted_answer(feed_server: FeedServer) -> None:
    feed_server.feed("/feed.xml", b"<rss/>")
    dns = ScriptedDNS({"wire.intranet.test": ["127.0.0.1"]})
    guard = UrlGuard(trusted_hosts=["wire.intranet.test"])  # a config source: internal is fine
    async with client(guard, dns) as c:
        r = await c.get(f"http://wire.intranet.test:{feed_server.port}/feed.xml")
    assert r.status_code == 200 and r.content == b"<rss/>"
    assert dns.asked == ["wire.intranet.test"]  # no second look-up that could answer differently
    assert feed_server.hits["/feed.xml"] == 1


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["93.184.215.14", "127.0.0.1"], ["169.254.169.254"]])
async def test_an_internal_answer_is_refused_before_anything_is_sent(feed_server: FeedServer,
                                                                     answer: list[str]) -> None:
    feed_server.feed("/admin", b"secret")
    dns = ScriptedDNS({"rebind.attacker.test": answer})
    async with client(UrlGuard(), dns) as c:
        with pytest.raises(UnsafeURL, match=r"'http://rebind\.attacker\.test:\d+/admin': rebind\.attacker\.test "
                                             r"resolves to (127\.0\.0\.1|169\.254\.169\.254), a "):
            await c.get(f"http://rebind.attacker.test:{feed_server.port}/admin")
    assert dns.asked == ["rebind.attacker.test"] and feed_server.hits["/admin"] == 0


async def test_a_redirect_to_a_name_that_answers_internal_is_refused(feed_server: FeedServer) -> None:
    feed_server.feed("/admin", b"secret")
    feed_server.redirect("/feed.xml", f"http://rebind.attacker.test:{feed_server.port}/admin")
    dns = ScriptedDNS({"wire.intranet.test": ["127.0.0.1"], "rebind.attacker.test": ["127.0.0.1"]})
    async with client(UrlGuard(trusted_hosts=["wire.intranet.test"]), dns) as c:
        with pytest.raises(UnsafeURL, match=r"rebind\.attacker\.test resolves to 127\.0\.0\.1"):
            await c.get(f"http://wire.intranet.test:{feed_server.port}/feed.xml")
    assert feed_server.hits["/feed.xml"] == 1 and feed_server.hits["/admin"] == 0


async def test_literals_and_schemes_are_checked_without_dns(feed_server: FeedServer) -> None:
    dns = ScriptedDNS({})
    async with client(UrlGuard(), dns) as c:
        with pytest.raises(UnsafeURL, match="private/loopback"):
            await c.get(feed_server.url("/feed.xml"))  # 127.0.0.1: not looked up, still vetted
        with pytest.raises(UnsafeURL, match="metadata endpoint"):
            await c.get("http://metadata.google.internal/computeMetadata/v1/")
    assert dns.asked == [] and feed_server.hits["/feed.xml"] == 0


async def test_an_unresolvable_host_is_a_connect_error_not_a_refusal() -> None:
    async with client(UrlGuard(), ScriptedDNS({})) as c:
        with pytest.raises(httpx.ConnectError):
            await c.get("http://nowhere.test/feed.xml")


@pytest.mark.parametrize("answer", ["::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1"],
                         ids=["ipv4-mapped", "nat64", "6to4"])
async def test_the_metadata_address_in_ipv6_dress_is_refused_even_for_a_trusted_host(
        feed_server: FeedServer, answer: str) -> None:
    """A config source's host is trusted to be internal, never to be the metadata endpoint. Before:
    its name answering 169.254.169.254 was refused, but the same address written as IPv6
    (``::ffff:169.254.169.254``, NAT64 ``64:ff9b::a9fe:a9fe``, 6to4 ``2002:a9fe:a9fe::``) passed."""
    dns = ScriptedDNS({"wire.intranet.test": [answer]})
    async with client(UrlGuard(trusted_hosts=["wire.intranet.test"]), dns) as c:
        with pytest.raises(UnsafeURL, match=r"169\.254\.169\.254, a cloud metadata address"):
            await c.get(f"http://wire.intranet.test:{feed_server.port}/latest/meta-data/")


@pytest.mark.parametrize("answer", ["64:ff9b::7f00:1", "2002:7f00:1::1", "64:ff9b::a00:1"], ids=["nat64", "6to4", "nat64-10/8"])
async def test_internal_ipv4_behind_nat64_or_6to4_is_refused(feed_server: FeedServer, answer: str) -> None:
    """Before: ``64:ff9b::/96`` and ``2002::/16`` counted as public, whatever IPv4 address they carry
    (on a NAT64 network, ``64:ff9b::7f00:1`` is the gateway's way to 127.0.0.1)."""
    dns = ScriptedDNS({"rebind.attacker.test": [answer]})
    async with client(UrlGuard(), dns) as c:
        with pytest.raises(UnsafeURL, match="private/loopback"):
            await c.get(f"http://rebind.attacker.test:{feed_server.port}/admin")
