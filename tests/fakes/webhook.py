"""A webhook receiver on 127.0.0.1 that records posts and answers from a script."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    received: list[dict[str, Any]] = field(default_factory=list)
    # scripted answers, consumed in order: (status, headers); then 200
    script: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    down: bool = False  # answer 503 to everything (an outage)
    gone: set[str] = field(default_factory=set)  # paths that always answer 404
    delay: float = 0.0  # seconds each answer takes (a slow platform); the post counts when it arrives

    def __post_init__(self) -> None:
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if rec.delay:
                    time.sleep(rec.delay)
                if rec.down:
                    status, headers = 503, {}
                elif self.path in rec.gone:
                    status, headers = 404, {}
                else:
                    status, headers = rec.script.popleft() if rec.script else (200, {})
                if status == 200:
                    rec.received.append(body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
