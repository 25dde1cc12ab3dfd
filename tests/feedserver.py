"""A real loopback HTTP server for tests and benchmarks that need feeds over the wire.

Serves bytes at paths with configurable status, headers, ETag/Last-Modified (answering
304 to matching conditional requests), delays, redirects, 429/503 with Retry-After,
gzip, bodies streamed without Content-Length, and whole folders of files (with an
optional transform, e.g. the demo feeds' ``{PORT}``/``{NOW-3h}`` placeholders).
Every request is counted and recorded so tests can assert what the client sent.

Usage::

    with FeedServer() as srv:
        url = srv.feed("/a.xml", body, etag='"v1"')
        srv.add("/flaky.xml", Reply(status=500), Reply(body=body))   # 500 once, then OK
        ... srv.hits["/a.xml"], srv.requests[-1].headers["If-None-Match"]

Pytest fixture: ``from tests.feedserver import feed_server`` in a test module.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip as _gzip
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

__all__ = ["FeedServer", "Recorded", "Reply", "feed_server", "story_rss"]


@dataclass
class Reply:
    """One canned answer. ``chunks`` streams a body with no Content-Length instead of ``body``."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    gzip: bool = False
    chunks: Callable[[], Iterable[bytes]] | None = None


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    at: float


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path
        with owner.lock:
            owner.hits[path] += 1
            n = owner.hits[path]
            owner.requests.append(Recorded(path, dict(self.headers.items()), time.monotonic()))
        reply = owner.reply_for(path, n)
        if reply is None:
            self._send(Reply(status=404, body=b"not found", content_type="text/plain"))
            return
        if reply.delay:
            time.sleep(reply.delay)
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if reply.status == 200 and ((reply.etag and inm and reply.etag in inm)
                                    or (reply.last_modified and ims == reply.last_modified and not inm)):
            self._send(Reply(status=304, etag=reply.etag, last_modified=reply.last_modified))
            return
        self._send(reply)

    def _send(self, r: Reply) -> None:
        self.send_response(r.status)
        for k, v in r.headers.items():
            self.send_header(k, v)
        if r.etag:
            self.send_header("ETag", r.etag)
        if r.last_modified:
            self.send_header("Last-Modified", r.last_modified)
        if r.status == 304:
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header("Content-Type", r.content_type)
        if r.chunks is not None:
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for chunk in r.chunks():
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        body = r.body
        if r.gzip:
            body = _gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    owner: FeedServer


class FeedServer:
    """Threaded HTTP/1.1 server on 127.0.0.1 with a free port."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.dirs: list[tuple[str, Path, Callable[[bytes], bytes] | None, str]] = []
        self.hits: Counter[str] = Counter()
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> FeedServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="feedserver")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- routes ------------------------------------------------------------------------
    def add(self, path: str, *replies: Reply) -> str:
        """Serve ``replies`` in order at ``path``; the last one repeats. Returns the URL."""
        with self.lock:
            self.routes[path] = list(replies)
        return self.url(path)

    def feed(self, path: str, body: bytes, **kw: object) -> str:
        return self.add(path, Reply(body=body, **kw))  # type: ignore[arg-type]

    def redirect(self, path: str, to: str, status: int = 301) -> str:
        return self.add(path, Reply(status=status, headers={"Location": to}, content_type="text/plain"))

    def files(self, prefix: str, directory: Path, transform: Callable[[bytes], bytes] | None = None,
              content_type: str = "") -> None:
        """Serve ``directory`` under ``prefix`` (content type guessed from the suffix)."""
        self.dirs.append((prefix.rstrip("/") + "/", Path(directory), transform, content_type))

    def reply_for(self, path: str, n: int) -> Reply | None:
        with self.lock:
            replies = self.routes.get(path) or self.routes.get(path.split("?", 1)[0])
        if replies:
            return replies[min(n, len(replies)) - 1]
        for prefix, directory, transform, ctype in self.dirs:
            if path.startswith(prefix):
                rel = path[len(prefix):].split("?", 1)[0]
                file = (directory / rel).resolve()
                if directory.resolve() not in file.parents or not file.is_file():
                    return None
                data = file.read_bytes()
                if transform:
                    data = transform(data)
                return Reply(body=data, content_type=ctype or _guess_type(file.suffix))
        return None


def _guess_type(suffix: str) -> str:
    return {".xml": "application/xml; charset=utf-8", ".json": "application/feed+json; charset=utf-8",
            ".html": "text/html; charset=utf-8"}.get(suffix, "application/octet-stream")


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def story_rss(items: list[tuple[str, str]], site: str) -> bytes:
    """An RSS 2.0 feed of (title, description) items on ``site``, dated 10, 20, ... minutes ago."""
    now = time.time()
    body = "".join(
        f"<item><title>{t}</title><link>https://{site}/{i}</link><guid>https://{site}/{i}</guid>"
        f"<pubDate>{email.utils.formatdate(now - 600 * (i + 1), usegmt=True)}</pubDate>"
        f"<description>{d}</description></item>" for i, (t, d) in enumerate(items))
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{site}</title>"
            f"<link>https://{site}/</link><description>d</description>{body}</channel></rss>").encode()
