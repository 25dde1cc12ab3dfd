"""A WebSub hub on 127.0.0.1: accepts (un)subscriptions, verifies them, publishes signed content.

Real HTTP both ways: a subscriber POSTs ``hub.mode=subscribe`` here (answered 202), then
this hub GETs the callback with ``hub.challenge`` from another thread, as real hubs do.
``publish(body)`` POSTs content to every verified callback with ``X-Hub-Signature``
(``sha256=`` HMAC under the subscription's secret; ``bad_signature=True`` signs with a
wrong one).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class HubSub:
    topic: str
    callback: str
    secret: str
    lease: int
    verified_at: float | None = None


@dataclass
class Hub:
    lease_seconds: int = 3600
    requests: list[dict[str, str]] = field(default_factory=list)
    subs: dict[str, HubSub] = field(default_factory=dict)  # callback -> subscription
    verifications: list[tuple[str, int, bool]] = field(default_factory=list)  # (mode, status, echoed)

    def __post_init__(self) -> None:
        hub = self
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                with hub.lock:
                    hub.requests.append(form)
                ok = form.get("hub.mode") in ("subscribe", "unsubscribe") and form.get("hub.callback")
                self.send_response(202 if ok else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if ok:
                    threading.Thread(target=hub._verify, args=(form,), daemon=True).start()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hub"

    def _verify(self, form: dict[str, str]) -> None:
        challenge = secrets.token_urlsafe(12)
        mode = form["hub.mode"]
        q = {"hub.mode": mode, "hub.topic": form.get("hub.topic", ""), "hub.challenge": challenge}
        if mode == "subscribe":
            q["hub.lease_seconds"] = str(self.lease_seconds)
        callback = form["hub.callback"]
        sep = "&" if "?" in callback else "?"
        try:
            with urllib.request.urlopen(callback + sep + urllib.parse.urlencode(q), timeout=5) as resp:
                status, body = resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, ""
        except OSError:  # the callback cannot be reached: a failed verification, as real hubs record it
            status, body = 0, ""
        echoed = 200 <= status < 300 and body == challenge
        with self.lock:
            self.verifications.append((mode, status, echoed))
            if echoed and mode == "subscribe":
                self.subs[callback] = HubSub(form.get("hub.topic", ""), callback, form.get("hub.secret", ""),
                                             self.lease_seconds, time.monotonic())
            elif echoed:
                self.subs.pop(callback, None)

    def publish(self, body: bytes, *, bad_signature: bool = False,
                content_type: str = "application/rss+xml") -> list[int]:
        """POST ``body`` to every verified subscriber; returns their HTTP statuses."""
        with self.lock:
            subs = list(self.subs.values())
        statuses = []
        for s in subs:
            key = (s.secret + "x" if bad_signature else s.secret).encode()
            sig = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
            req = urllib.request.Request(s.callback, data=body, method="POST",
                                         headers={"Content-Type": content_type, "X-Hub-Signature": sig})
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    statuses.append(resp.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
        return statuses

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
