"""Hostile requests to the web process: huge bodies and malformed signature headers.

The real web app (Slack, Discord and WebSub parts) served by uvicorn on loopback, spoken
to over raw sockets where the test needs to control what is sent and when.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from nacl.signing import SigningKey

from bot.settings import settings_from_mapping
from bot.store import Store
from bot.store import schema as t
from bot.web.app import WebContext, create_app
from tests.fakes.slack_api import FakeSlack
from tests.scenario.slack.servers import UvicornThread

CONFIG = {"topics": {"ai": {"keywords": ["nvidia"]}}, "channels": [{"name": "news", "slack": "C1", "topics": ["ai"]}],
          "fetch": {"max_bytes": 3_000_000}}
PARTS = ["bot.adapters.slack.web", "bot.adapters.discord.web", "bot.sources.web", "bot.web.views"]
MB = 1 << 20


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/signals.db")
    yield s
    s.close()


@pytest.fixture
def server(store: Store) -> Iterator[UvicornThread]:
    fake = FakeSlack().start()
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": fake.api_url,
           "DISCORD_PUBLIC_KEY": SigningKey.generate().verify_key.encode().hex()}
    app = create_app(WebContext(settings=settings_from_mapping(CONFIG), store=store, env=env), parts=PARTS)
    try:
        with UvicornThread(app) as srv:
            yield srv
    finally:
        fake.stop()


def _status(sock: socket.socket, timeout: float = 5.0) -> int | None:
    """The status code of the answer, or None if none came within ``timeout``."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        return None
    return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None


def _send(sock: socket.socket, data: bytes) -> None:
    # the server may answer and close while we are still sending: what the cap tests want
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(data)


def _subscription(store: Store, sub_id: str = "sub-limits") -> str:
    with store.begin() as c:  # one active subscription, as a verified subscription request leaves it
        c.execute(t.websub_subscriptions.insert().values(
            id=sub_id, source="s", topic="https://s.example/feed", hub="https://hub.example/", secret="k",
            state="active", lease_seconds=3600, requested_at=datetime.now(UTC)))
    return sub_id


def _head(path: str, extra: str) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=00\r\n{extra}\r\n").encode()


@pytest.mark.parametrize("path", ["/slack/events", "/discord/interactions", "/login"])
def test_a_declared_huge_body_is_refused_before_it_is_read(server: UvicornThread, path: str) -> None:
    """Anyone on the internet can reach these endpoints before any signature is checked: a body
    of gigabytes was read whole into memory (200 MB grew the process by ~1 GB), then refused."""
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        _send(sock, _head(path, f"Content-Length: {4 * 1024 * MB}\r\n"))
        _send(sock, b"a" * (2 * MB))
        assert _status(sock) == 413


@pytest.mark.parametrize("path", ["/slack/events", "/discord/interactions"])
def test_a_chunked_body_is_cut_off_at_the_cap(server: UvicornThread, path: str) -> None:
    """No Content-Length: the body is counted as it arrives and refused once past the cap."""
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        _send(sock, _head(path, "Transfer-Encoding: chunked\r\n"))
        piece = b"a" * 65536
        for _ in range(40):  # 2.5 MB, never ending (no last chunk)
            _send(sock, b"%x\r\n%s\r\n" % (len(piece), piece))
        assert _status(sock) == 413


def test_a_body_under_the_cap_still_reaches_the_endpoint(server: UvicornThread) -> None:
    """A normal-sized (unsigned) request gets the endpoint's own answer, not the cap's."""
    body = b"a=" + b"b" * 500_000
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        _send(sock, _head("/slack/events", f"Content-Length: {len(body)}\r\n") + body)
        assert _status(sock) == 401


def test_websub_pushes_keep_the_feed_size_limit(server: UvicornThread, store: Store) -> None:
    """A pushed feed may be as large as a polled one (``fetch.max_bytes``), not just 1 MB; past it, 413."""
    sub_id = _subscription(store)
    body = b"<rss>" + b" " * (2 * MB) + b"</rss>"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        _send(sock, f"POST /websub/{sub_id} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/rss+xml\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        assert _status(sock) == 202  # read whole; unsigned, so acknowledged and ignored
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        _send(sock, f"POST /websub/{sub_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Length: {4 * MB}\r\n\r\n".encode() + b" " * MB)
        assert _status(sock) == 413


@pytest.mark.parametrize("headers", [
    {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
    {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=00"},
    {"X-Slack-Request-Timestamp": "now", "X-Slack-Signature": "v0=\xe9".encode("latin-1")},
    {"X-Slack-Signature": "v0=\xe9\xe9".encode("latin-1")},
    {"X-Slack-Signature": "v0=00", "body": b"text=\xff\xfe"},
], ids=["timestamp-not-a-number", "timestamp-float", "signature-not-ascii", "signature-not-ascii-2", "body-not-utf8"])
def test_malformed_slack_signature_headers_are_refused_not_errors(server: UvicornThread, headers: dict,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """Unsigned junk is a 401 like any bad signature. Before: HTTP 500 and an ERROR line (or a whole
    traceback) in the log for each such request, which anyone could send."""
    import httpx

    headers = dict(headers)
    body = headers.pop("body", b"command=%2Fsignals&text=help")
    if headers.get("X-Slack-Request-Timestamp", "now") == "now":
        headers["X-Slack-Request-Timestamp"] = str(int(time.time()))
    r = httpx.post(f"{server.url}/slack/events", content=body, timeout=10,
                   headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
    assert r.status_code == 401
    assert [rec.getMessage() for rec in caplog.records if rec.levelno >= 40] == []


@pytest.mark.parametrize("signature", ["sha256=\xe9", "sha1=\xff" + "0" * 39, "\xe9=00"])
def test_a_websub_push_with_a_non_ascii_signature_is_ignored_not_an_error(
        server: UvicornThread, store: Store, signature: str, caplog: pytest.LogCaptureFixture) -> None:
    """Like any bad signature: 202 and the body ignored. Before: HTTP 500 and a traceback per request."""
    import httpx

    sub_id = _subscription(store)
    r = httpx.post(f"{server.url}/websub/{sub_id}", content=b"<rss/>", timeout=10,
                   headers={"Content-Type": "application/rss+xml", "X-Hub-Signature": signature.encode("latin-1")})
    assert r.status_code == 202
    assert [rec.getMessage() for rec in caplog.records if rec.levelno >= 40] == []


def test_a_pushed_pathological_feed_does_not_stall_the_web_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A correctly signed push of 2 MB of broken markup (the hub relays whatever the feed holds) costs the
    lenient parser seconds of CPU. Before: it ran on the web process's event loop, so the Slack and Discord
    endpoints, every page and ``/healthz`` went unanswered meanwhile; now it runs in a worker thread."""
    import hashlib
    import hmac

    import httpx

    settings = settings_from_mapping({"sources": [{"name": "s", "url": "https://s.example/feed", "full_text": "never"}],
                                      "channels": [{"name": "c", "console": True}]})
    store = Store.open(f"sqlite:///{tmp_path}/push.db")
    sub_id = _subscription(store)
    body = b"<rss><channel><item><title>" + b"<" * 2_000_000
    signature = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    app = create_app(WebContext(settings=settings, store=store), parts=["bot.sources.web"])
    try:
        with UvicornThread(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
            assert client.get("/healthz").status_code == 200
            r = client.post(f"/websub/{sub_id}", content=body, headers={"X-Hub-Signature": signature})
            assert r.status_code == 202
            slowest = 0.0
            for _ in range(10):
                t0 = time.monotonic()
                assert client.get("/healthz").status_code == 200
                slowest = max(slowest, time.monotonic() - t0)
                time.sleep(0.05)
    finally:
        store.close()
    # parsed on the event loop, the push held /healthz for about 5 s on an idle machine; 2 s leaves room
    # for a loaded test machine without letting that through
    assert slowest < 2.0, f"/healthz waited {slowest:.2f}s behind the push"


def test_a_pushed_feed_is_read_to_its_newest_entries(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``fetch.max_entries`` holds for pushed documents as for polled ones (the hub relays what the feed holds)."""
    import hashlib
    import hmac

    import httpx

    settings = settings_from_mapping({"sources": [{"name": "s", "url": "https://s.example/feed", "full_text": "never"}],
                                      "channels": [{"name": "c", "console": True}], "fetch": {"max_entries": 20}})
    store = Store.open(f"sqlite:///{tmp_path}/push.db")
    sub_id = _subscription(store)
    items = "".join(f"<item><title>Pushed story {i}</title><link>https://s.example/{i}</link>"
                    f"<pubDate>Thu, 01 Jan 2026 {i // 60:02d}:{i % 60:02d}:00 +0000</pubDate></item>" for i in range(300))
    body = f"<rss version='2.0'><channel><title>s</title>{items}</channel></rss>".encode()
    signature = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    app = create_app(WebContext(settings=settings, store=store), parts=["bot.sources.web"])
    try:
        with UvicornThread(app) as srv:
            r = httpx.post(f"{srv.url}/websub/{sub_id}", content=body, timeout=30,
                           headers={"X-Hub-Signature": signature, "Content-Type": "application/rss+xml"})
            assert r.status_code == 202
            since = datetime(2000, 1, 1, tzinfo=UTC)
            end = time.monotonic() + 60  # stored, then processed: wait for both (a loaded machine is slow)
            while len(store.processed_since(since)) < 20 and time.monotonic() < end:
                time.sleep(0.1)
            time.sleep(0.3)  # anything past the cap would be stored by now
            titles = sorted(int(a.title.rsplit(" ", 1)[1]) for a in store.processed_since(since))
            count = store.count_articles()
    finally:
        store.close()
    assert count == 20 and titles == list(range(280, 300)), (count, titles)
