"""Who may see the web view, and who is an admin.

* ``SIGNALS_WEB_TOKEN`` set: everyone who can reach the port reads; whoever signs in with
  the token is an admin (a signed, expiring cookie; the token is compared in constant time).
* unset: pages are served only to clients on this machine (127.0.0.1 / ::1) and there is
  no admin sign-in. A request carrying proxy headers is refused too, because a reverse
  proxy on the same host would otherwise make every visitor look local.

Admins see what may hold secrets: full feed URLs, error texts, who gave feedback.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import deque
from dataclasses import dataclass

from starlette.requests import Request

__all__ = ["COOKIE", "Access", "Auth"]

COOKIE = "signals_admin"
LOCAL = {"127.0.0.1", "::1", "localhost"}
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True, slots=True)
class Access:
    allowed: bool
    admin: bool
    token_set: bool  # False: local-only mode, no sign-in
    reason: str = ""


class Auth:
    """``Auth(token)``; ``check(request)`` says whether to serve it and with which rights."""

    def __init__(self, token: str | None, max_failures: int = 10, window: float = 300.0) -> None:
        self.token = token or None
        self._failures: dict[str, deque[float]] = {}
        self.max_failures = max_failures
        self.window = window

    def _mac(self, issued: int) -> str:
        assert self.token is not None
        return hmac.new(self.token.encode(), f"signals-admin:{issued}".encode(), hashlib.sha256).hexdigest()

    def session_value(self, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        return f"{issued}.{self._mac(issued)}"

    def is_admin(self, request: Request, now: float | None = None) -> bool:
        value = request.cookies.get(COOKIE, "")
        if self.token is None or "." not in value:
            return False
        issued_s, mac = value.split(".", 1)
        # ASCII digits, and few: ``isdigit`` also accepts "²" and int() refuses over 4,300 digits (HTTP 500)
        if not (issued_s.isascii() and issued_s.isdigit()) or len(issued_s) > 12:
            return False
        issued = int(issued_s)
        now = now if now is not None else time.time()
        if not 0 <= now - issued <= SESSION_SECONDS:
            return False
        return hmac.compare_digest(mac.encode(), self._mac(issued).encode())

    def check(self, request: Request) -> Access:
        if self.token is not None:
            return Access(allowed=True, admin=self.is_admin(request), token_set=True)
        host = request.client.host if request.client else ""
        if host not in LOCAL:
            return Access(False, False, False, "SIGNALS_WEB_TOKEN is unset: this page is only served to 127.0.0.1.")
        if any(h in request.headers for h in PROXY_HEADERS):
            return Access(False, False, False, "SIGNALS_WEB_TOKEN is unset and this request came through a proxy; "
                                               "set SIGNALS_WEB_TOKEN to serve the pages beyond this machine.")
        return Access(allowed=True, admin=False, token_set=False)

    # -- sign-in ------------------------------------------------------------------
    def token_matches(self, given: str) -> bool:
        if self.token is None:
            return False
        return hmac.compare_digest(given.encode(), self.token.encode())

    def throttled(self, client: str, now: float | None = None) -> bool:
        """Too many wrong tokens from this client recently."""
        now = now if now is not None else time.monotonic()
        q = self._failures.get(client)
        if not q:
            return False
        while q and now - q[0] > self.window:
            q.popleft()
        return len(q) >= self.max_failures

    def record_failure(self, client: str, now: float | None = None) -> None:
        if len(self._failures) > 10_000:
            self._failures.clear()  # bounded memory under a spray of addresses
        self._failures.setdefault(client, deque()).append(now if now is not None else time.monotonic())
