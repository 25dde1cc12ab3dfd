"""A loopback HTTP server for the bundled demo feeds, so the demo needs no network.

Feed files carry placeholders that make them look current: ``{PORT}`` (this server's
port), ``{NOW-3h}`` (an RFC 822 date three hours ago) and ``{ISO-3h}`` (ISO 8601).
An entry whose date is in the future (``{NOW+2m}``) stays hidden until then, so a
running demo sees new coverage arrive and threads it under the earlier alert. Answers
carry an ETag and honour ``If-None-Match`` like a polite real server.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["FEEDS_DIR", "DemoServer", "render"]

FEEDS_DIR = Path(__file__).parent / "feeds"
_PH = re.compile(r"\{(NOW|ISO)([+-]\d+)([smhd])\}")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ENTRY = re.compile(r"<item\b.*?</item>|<entry\b.*?</entry>", re.S)


def render(text: str, port: int, started: float, now: float) -> str:
    """Fill placeholders; drop entries dated after ``now`` (relative to ``started``)."""

    def hidden(block: str) -> bool:
        return any(started + int(n) * _UNIT[u] > now for _, n, u in _PH.findall(block))

    if text.lstrip().startswith("{"):  # JSON Feed
        feed = json.loads(text)
        feed["items"] = [i for i in feed.get("items", []) if not hidden(json.dumps(i))]
        text = json.dumps(feed, ensure_ascii=False, indent=1)
    else:
        text = _ENTRY.sub(lambda m: "" if hidden(m.group(0)) else m.group(0), text)

    def date(m: re.Match[str]) -> str:
        ts = started + int(m.group(2)) * _UNIT[m.group(3)]
        if m.group(1) == "NOW":
            return email.utils.formatdate(ts, usegmt=True)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))

    return _PH.sub(date, text).replace("{PORT}", str(port))


class DemoServer:
    """``with DemoServer() as srv: srv.port``: serves ``FEEDS_DIR`` on 127.0.0.1."""

    def __init__(self, root: Path = FEEDS_DIR, port: int = 0) -> None:
        self.root = root
        self.started = time.time()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = (server.root / self.path.split("?")[0].lstrip("/")).resolve()
                if not path.is_file() or server.root.resolve() not in path.parents:
                    self.send_error(404)
                    return
                body = render(path.read_text(encoding="utf-8"), server.port, server.started, time.time()).encode()
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                ctype = {".xml": "application/rss+xml", ".json": "application/feed+json",
                         ".html": "text/html; charset=utf-8", ".atom": "application/atom+xml"}
                self.send_response(200)
                self.send_header("Content-Type", ctype.get(path.suffix, "application/octet-stream"))
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True, name="demo-feeds")

    def __enter__(self) -> DemoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
