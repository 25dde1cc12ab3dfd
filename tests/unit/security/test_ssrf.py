"""The SSRF guard refuses internal targets on the first request and on every redirect."""

from __future__ import annotations

import httpx
import pytest

from bot.security import GuardedTransport, UnsafeURL, UrlGuard
from tests.feedserver import FeedServer


@pytest.mark.parametrize("url,why", [
    ("ftp://example.com/feed", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http://127.0.0.1/feed", "loopback"),
    ("http://localhost:8080/feed", "loopback"),
    ("http://10.0.0.5/feed", "private"),
    ("http://[::1]/feed", "private"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://metadata.google.internal/", "metadata"),
    ("http://0.0.0.0/", "private"),
])
def test_refused_with_reason(url: str, why: str) -> None:
    with pytest.raises(UnsafeURL, match=why):
        UrlGuard().check(url)


def test_allow_list_and_trusted_config_hosts() -> None:
    assert UrlGuard(allow=["127.0.0.1"]).check("http://127.0.0.1:9/feed")
    assert UrlGuard(allow=["10.0.0.0/8"]).check("http://10.1.2.3/feed")
    assert UrlGuard(trusted_hosts=["127.0.0.1"]).check("http://127.0.0.1/feed")
    with pytest.raises(UnsafeURL, match="metadata"):
        UrlGuard(trusted_hosts=["169.254.169.254"]).check("http://169.254.169.254/")


async def test_redirect_to_internal_host_is_refused() -> None:
    with FeedServer() as srv:
        srv.feed("/feed.xml", b"<rss/>")
        srv.redirect("/hop", f"http://localhost:{srv.port}/feed.xml")
        guard = UrlGuard(trusted_hosts=["127.0.0.1"])  # the configured host, not the redirect's
        async with httpx.AsyncClient(transport=GuardedTransport(guard), follow_redirects=True) as client:
            assert (await client.get(srv.url("/feed.xml"))).status_code == 200
            with pytest.raises(UnsafeURL, match="localhost resolves to"):
                await client.get(srv.url("/hop"))


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0", "[::ffff:127.0.0.1]",
                                  "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]", "[::]", "[fe80::1%25lo]",
                                  "user@127.0.0.1", "localhost."])
async def test_other_spellings_of_an_internal_host_reach_nothing(host: str) -> None:
    """What ``/signals feeds add`` and ``signals sources preview`` do with each spelling: refused by the
    check, and the fetch (the guarded aiohttp transport, whose resolver vets each address it connects
    to) sends nothing to the listener either."""
    from bot.errors import CommandError
    from bot.settings import settings_from_mapping
    from bot.sources.manage import _fetch, check_url

    settings = settings_from_mapping({})
    with FeedServer() as srv:
        srv.feed("/feed.xml", b"<rss><channel><title>t</title></channel></rss>")
        url = f"http://{host}:{srv.port}/feed.xml"
        with pytest.raises(CommandError, match="Refused"):
            check_url(settings, url)
        with pytest.raises(CommandError):
            await _fetch(settings, url)
        assert srv.hits["/feed.xml"] == 0
