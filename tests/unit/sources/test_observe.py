"""The observing transport: freshness headers, <ttl> and hub links read as the feed streams by."""

from __future__ import annotations

import gzip

import httpx

from bot.sources.observe import FeedMeta, FeedObserver, scan_feed_head

RSS = (b"<?xml version='1.0'?><rss version='2.0' xmlns:atom='http://www.w3.org/2005/Atom'><channel>"
       b"<title>t</title><ttl> 45 </ttl><atom:link href=\"https://hub.example/\" rel=\"hub\"/>"
       b"<atom:link rel='self' href='https://s.example/feed'/><item><title>x</title></item></channel></rss>")


def test_scan_rss_atom_and_json() -> None:
    m = FeedMeta(url="u")
    scan_feed_head(RSS, m)
    assert (m.ttl_minutes, m.hub, m.self_url) == (45, "https://hub.example/", "https://s.example/feed")
    atom = (b"<feed xmlns='http://www.w3.org/2005/Atom'><link rel='alternate' href='https://s.example/'/>"
            b"<link rel='hub' href='https://pubsubhubbub.appspot.com/'/></feed>")
    m = FeedMeta(url="u")
    scan_feed_head(atom, m)
    assert m.hub == "https://pubsubhubbub.appspot.com/" and m.self_url is None and m.ttl_minutes is None
    js = b'{"version": "https://jsonfeed.org/version/1.1", "hubs": [{"type": "WebSub", "url": "https://h.example/"}]}'
    m = FeedMeta(url="u")
    scan_feed_head(js, m)
    assert m.hub == "https://h.example/"


class Chunks(httpx.AsyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for i in range(0, len(self.body), 7):  # streamed in small pieces, like the wire
            yield self.body[i:i + 7]


class Origin(httpx.AsyncBaseTransport):
    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        self.body, self.headers = body, headers

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=self.headers, stream=Chunks(self.body))


async def test_transport_records_headers_and_body_gzip_included() -> None:
    obs = FeedObserver()
    headers = {"Cache-Control": "max-age=900", "Content-Encoding": "gzip", "Expires": "x", "Set-Cookie": "s=1",
               "Link": '<https://hub2.example/>; rel="hub", <https://s.example/f>; rel="self"'}
    async with httpx.AsyncClient(transport=obs.wrap(Origin(gzip.compress(RSS), headers))) as client:
        resp = await client.get("https://s.example/f")
    assert resp.content == RSS  # untouched for the fetcher
    m = obs.get("https://s.example/f")
    assert m is not None and m.headers["cache-control"] == "max-age=900" and "set-cookie" not in m.headers
    assert m.ttl_minutes == 45
    assert m.hub == "https://hub2.example/"  # the HTTP Link header came first
    assert m.self_url == "https://s.example/f"


def test_observer_is_bounded() -> None:
    obs = FeedObserver(size=2)
    for u in "abc":
        obs.record(FeedMeta(url=u))
    assert obs.get("a") is None and obs.get("c") is not None
