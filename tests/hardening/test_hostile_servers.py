"""Hostile answers to the requests Signals makes besides polling: the page a feed is discovered
from (``/signals feeds add SITE``, ``signals sources discover``) and the WebSub hub a feed
advertises (any polled feed can name one). Real loopback servers, the real guarded client.

The Fetcher's own reads are covered in ``test_hostile_feeds.py`` and ``tests/scenario/test_fetch_http.py``.
"""

from __future__ import annotations

import threading
import tracemalloc
import zlib
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.settings import settings_from_mapping
from bot.sources.manage import discover_feeds
from bot.sources.runtime import guarded_client
from bot.sources.websub import Subscriber

MB = 1 << 20


def _gzip(chunks: Iterable[bytes]) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join([*(z.compress(c) for c in chunks), z.flush()])


# 300 MB of zeros gzipped: 300 KB on the wire; gzipped again, 658 bytes ("Content-Encoding: gzip, gzip")
SINGLE = _gzip(b"\0" * MB for _ in range(300))
BOMB = _gzip([SINGLE])


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.send_response(202 if self.command == "POST" else 200)
        self.send_header("Content-Type", "text/html")
        if self.path.startswith("/endless"):
            self.end_headers()  # no length: "endless" (300 MB here, so a regression fails instead of eating the box)
            try:
                for _ in range(300 * 16):
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass
            return
        body = SINGLE if self.path.startswith("/single") else BOMB
        self.send_header("Content-Encoding", "gzip" if body is SINGLE else "gzip, gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def bomb_server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


SETTINGS = settings_from_mapping({"fetch": {"allow_hosts": ["127.0.0.1"], "max_bytes": 5_000_000}})


def _peak_mb(fn) -> tuple[object, int]:  # type: ignore[no-untyped-def]
    """What ``fn()`` returned (or raised), and the most memory Python held meanwhile, in MB."""
    tracemalloc.start()
    try:
        try:
            out: object = fn()
        except Exception as exc:  # the refusal is an answer too
            out = exc
        return out, tracemalloc.get_traced_memory()[1] // MB
    finally:
        tracemalloc.stop()


def test_a_compression_bomb_on_a_discovered_page_is_not_inflated(bomb_server: str) -> None:
    """Before: httpx inflated each 64 KB network chunk whole, both layers, before discovery could count
    it: the 658-byte page (and each common feed path probed after it) held 2.4 GB at its peak."""
    import asyncio

    found, peak = _peak_mb(lambda: asyncio.run(discover_feeds(SETTINGS, f"{bomb_server}/blog/")))
    assert found == [] or isinstance(found, Exception)
    assert peak < 40, f"{peak} MB held"


@pytest.mark.parametrize(("path", "why"), [("/hub", "unsupported Content-Encoding 'gzip, gzip'"),
                                           ("/single", "larger than the 5,000,000-byte cap"),
                                           ("/endless", "larger than the 5,000,000-byte cap")])
def test_a_hubs_answer_is_read_within_the_size_cap(bomb_server: str, path: str, why: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A feed names its hub, so the hub's answer to a subscription request is anyone's. Before: read
    whole: the 658-byte bomb held 600 MB (the 300 KB one-layer bomb, 300 MB), and an endless answer grew until the process was killed
    (22 GB, on this 24 GB box). Now: the
    subscription records why it failed, and no more than ``fetch.max_bytes`` is read."""
    import asyncio

    from bot.store import Store

    store = Store.open(f"sqlite:///{tmp_path}/s.db")

    async def subscribe() -> str | None:
        async with guarded_client(SETTINGS, timeout=5) as client:
            sub = await Subscriber(store, "https://signals.example", client).subscribe(
                "s", f"{bomb_server}{path}", "https://s.example/feed")
            return sub.error

    try:
        error, peak = _peak_mb(lambda: asyncio.run(subscribe()))
    finally:
        store.close()
    assert isinstance(error, str) and why in error, error
    assert peak < 40, f"{peak} MB held"
