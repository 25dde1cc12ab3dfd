"""A fake Discord REST API on 127.0.0.1 (real HTTP, its own thread), for discord.py to talk to.

Point discord.py at it with :meth:`FakeDiscord.use` (sets ``discord.http.Route.BASE``);
webhook URLs from :meth:`FakeDiscord.webhook_url` point at it too. It answers the way
Discord does where discord.py cares:

- ``Content-Type: application/json`` exactly (discord.py only parses JSON on that value);
- 429s with a JSON ``retry_after``, ``Retry-After`` and ``X-RateLimit-*`` headers and a
  ``Via`` header (without ``Via`` discord.py assumes a Cloudflare ban and gives up);
- 403 ``Missing Access`` (code 50001) and 404 ``Unknown Channel`` (10003);
- ``enforce_nonce``: a repeated nonce in a channel returns the first message, not a copy;
- message reads do not echo nonces (like the real API), so reconciliation must use
  something stored in the message itself;
- payloads over Discord's embed limits are refused with 400 / 50035, as Discord does.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# isort: off
import bot.adapters.discord  # noqa: F401  (first: imports discord.py without its audioop warning)
import discord.http
# isort: on

BOT_ID = "1100000000000000001"
APP_ID = "1100000000000000002"
OWNER_ID = "1100000000000000003"
GUILD_ID = "1100000000000000010"
MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    at: float


@dataclass
class Failure:
    """A scripted answer for requests whose path matches ``pattern`` (``times`` times)."""

    pattern: str
    status: int
    times: int = 1
    retry_after: float = 0.0
    code: int = 0
    message: str = ""
    applied: bool = False  # the request takes effect (a post is stored) before the failure is answered


def embed_problems(embeds: list[dict[str, Any]]) -> list[str]:
    """What Discord would refuse in these embeds (empty list: valid)."""
    out: list[str] = []
    if len(embeds) > 10:
        out.append("more than 10 embeds")
    total = 0
    for e in embeds:
        checks = [("title", e.get("title", ""), 256), ("description", e.get("description", ""), 4096),
                  ("footer", e.get("footer", {}).get("text", ""), 2048),
                  ("author", e.get("author", {}).get("name", ""), 256)]
        fields = e.get("fields", [])
        if len(fields) > 25:
            out.append("more than 25 fields")
        for f in fields:
            checks += [("field name", f.get("name", ""), 256), ("field value", f.get("value", ""), 1024)]
            if not f.get("name") or not f.get("value"):
                out.append("empty field")
        for name, value, limit in checks:
            if len(value) > limit:
                out.append(f"{name} longer than {limit}")
            total += len(value)
    if total > 6000:
        out.append(f"embeds total {total} > 6000")
    return out


@dataclass
class FakeDiscord:
    channels: dict[str, str | None] = field(default_factory=dict)  # channel id → guild id
    forbidden: set[str] = field(default_factory=set)  # channels answering 403 Missing Access
    no_threads: set[str] = field(default_factory=set)  # channels where the bot may not use threads (403 50013)
    token: str = "test-bot-token"
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → message
    threads: dict[str, str] = field(default_factory=dict)  # thread id (= message id) → parent channel
    webhooks: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (token, channel)
    interaction_edits: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (token, body)
    interaction_callbacks: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (token, body)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # scope → synced commands
    failures: list[Failure] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering writes (a slow API)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1200000000000000000)
        self._lock = threading.Lock()
        self._nonces: dict[tuple[str, str], str] = {}
        self._answered: set[str] = set()  # interaction ids whose callback came (a second one is 40060)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # keep-alive + split header/body writes would wait for delayed ACKs
            wbufsize = 1 << 16  # one write per response (flushed by the server after each request)

            def _handle(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                parts = urlsplit(self.path)
                path = re.sub(r"^/api(/v\d+)?", "", parts.path)
                body = json.loads(raw) if raw and "json" in (self.headers.get("Content-Type") or "") else None
                call = Call(self.command, path, parse_qs(parts.query), body, dict(self.headers), time.monotonic())
                with fake._lock:
                    fake.calls.append(call)
                status, data, headers = fake._answer(call)
                if fake.delay and self.command != "GET":
                    time.sleep(fake.delay)
                out = json.dumps(data).encode() if data is not None else b""
                self.send_response(status)
                if data is not None:
                    self.send_header("Content-Type", "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # -- test helpers ------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v10"

    @contextmanager
    def use(self) -> Iterator[FakeDiscord]:
        """Point discord.py's REST base at this server for the duration."""
        old = discord.http.Route.BASE
        discord.http.Route.BASE = self.base
        try:
            yield self
        finally:
            discord.http.Route.BASE = old

    def add_channel(self, channel_id: str, guild_id: str | None = GUILD_ID) -> str:
        self.channels[channel_id] = guild_id
        return channel_id

    def add_webhook(self, channel_id: str) -> str:
        """Create a webhook on ``channel_id`` and return its URL (pointing at this server)."""
        wid = str(next(self._ids))
        token = "T" * 20 + wid + "x" * 48
        self.webhooks[wid] = (token, channel_id)
        return self.webhook_url(wid)

    def webhook_url(self, wid: str) -> str:
        return f"{self.base}/webhooks/{wid}/{self.webhooks[wid][0]}"

    def fail(self, pattern: str, status: int, times: int = 1, retry_after: float = 0.0,
             code: int = 0, message: str = "", applied: bool = False) -> None:
        """Answer requests whose path matches ``pattern`` with ``status``; ``applied=True`` lets the
        request take effect first (Discord stored the post, then the answer failed)."""
        self.failures.append(Failure(pattern, status, times, retry_after, code, message, applied))

    def delete_message(self, message_id: str) -> None:
        """A user deleted a message. As in Discord: a thread started from it stays (and takes
        posts); editing it or starting a thread on it answers 404 ``Unknown Message`` (10008)."""
        del self.messages[message_id]

    def posted(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages in a channel (or thread), oldest first."""
        return [m for m in self.messages.values() if m["channel_id"] == channel_id]

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.search(pattern, c.path)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the API -----------------------------------------------------------------------
    def _error(self, status: int, code: int, message: str) -> tuple[int, Any, dict[str, str]]:
        return status, {"message": message, "code": code}, {}

    def _scripted(self, call: Call) -> tuple[int, Any, dict[str, str]] | None:
        with self._lock:
            for f in self.failures:
                if f.times > 0 and re.search(f.pattern, call.path):
                    f.times -= 1
                    break
            else:
                return None
        if f.applied:
            self._answer(call, scripted=False)
        if f.status == 429:
            reset = time.time() + f.retry_after
            return 429, {"message": "You are being rate limited.", "retry_after": f.retry_after, "global": False}, {
                "Retry-After": str(max(1, round(f.retry_after))), "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{reset:.3f}",
                "X-RateLimit-Reset-After": f"{f.retry_after:.3f}", "X-RateLimit-Bucket": "fakebucket",
                "X-RateLimit-Scope": "user", "Via": "1.1 google"}
        return self._error(f.status, f.code, f.message or f"HTTP {f.status}")

    def _answer(self, c: Call, scripted: bool = True) -> tuple[int, Any, dict[str, str]]:
        if scripted and (failure := self._scripted(c)) is not None:
            return failure
        p = c.path
        if m := re.fullmatch(r"/webhooks/(\d+)/([^/]+)(/messages/(@original|\d+))?", p):
            return self._webhook(c, m.group(1), m.group(2), m.group(4))
        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", p):  # gateway client's answer
            body = c.body or {}
            if m.group(1) in self._answered:
                return self._error(400, 40060, "Interaction has already been acknowledged.")
            self._answered.add(m.group(1))
            self.interaction_callbacks.append((m.group(2), body))
            if c.query.get("with_response", ["false"])[0].lower() not in ("true", "1"):
                return 204, None, {}
            data = body.get("data") or {}
            msg = self._message("0", data, self._user(APP_ID, "Signals"))
            return 200, {"interaction": {"id": m.group(1), "type": 2, "response_message_id": msg["id"],
                                         "response_message_loading": body.get("type") == 5,
                                         "response_message_ephemeral": bool(data.get("flags", 0) & 64)},
                         "resource": {"type": body.get("type"), "message": msg}}, {}
        if c.headers.get("Authorization") != f"Bot {self.token}":
            return self._error(401, 0, "401: Unauthorized")
        if p == "/users/@me":
            return 200, self._user(BOT_ID, "signals"), {}
        if p == "/oauth2/applications/@me":
            return 200, {"id": APP_ID, "name": "Signals", "icon": None, "description": "", "bot_public": True,
                         "bot_require_code_grant": False, "owner": self._user(OWNER_ID, "owner"),
                         "verify_key": "00" * 32, "flags": 0}, {}
        if m := re.fullmatch(r"/applications/(\d+)(?:/guilds/(\d+))?/commands", p):
            scope = m.group(2) or "global"
            cmds = [{**cmd, "id": str(next(self._ids)), "application_id": m.group(1), "version": "1",
                     "default_member_permissions": None, "type": cmd.get("type", 1)} for cmd in c.body or []]
            if c.method == "PUT":
                self.commands[scope] = cmds
            return 200, self.commands.get(scope, []), {}
        if m := re.fullmatch(r"/channels/(\d+)(/.*)?", p):
            return self._channel(c, m.group(1), m.group(2) or "")
        return self._error(404, 0, "404: Not Found")

    def _user(self, uid: str, name: str) -> dict[str, Any]:
        return {"id": uid, "username": name, "discriminator": "0", "global_name": None, "avatar": None, "bot": True}

    def _exists(self, channel: str) -> tuple[int, Any, dict[str, str]] | None:
        if channel in self.forbidden:
            return self._error(403, 50001, "Missing Access")
        if channel not in self.channels and channel not in self.threads:
            return self._error(404, 10003, "Unknown Channel")
        return None

    def _channel(self, c: Call, channel: str, rest: str) -> tuple[int, Any, dict[str, str]]:
        if (err := self._exists(channel)) is not None:
            return err
        if rest == "" and c.method == "GET":
            if channel in self.threads:
                parent = self.threads[channel]
                return 200, {"id": channel, "type": 11, "parent_id": parent, "guild_id": self.channels.get(parent)}, {}
            return 200, {"id": channel, "type": 0, "guild_id": self.channels[channel], "name": "news"}, {}
        if rest == "/messages" and c.method == "GET":
            limit = int(c.query.get("limit", ["50"])[0])
            msgs = [{k: v for k, v in m.items() if k != "nonce"} for m in reversed(self.posted(channel))]
            return 200, msgs[:limit], {}
        if rest == "/messages" and c.method == "POST":
            if self.threads.get(channel) in self.no_threads:  # no Send Messages in Threads permission
                return self._error(403, 50013, "Missing Permissions")
            body = c.body or {}
            nonce = body.get("nonce")
            if body.get("enforce_nonce") and nonce and (channel, nonce) in self._nonces:
                return 200, self.messages[self._nonces[(channel, nonce)]], {}
            if problems := embed_problems(body.get("embeds", [])):
                return 400, {"message": "Invalid Form Body", "code": 50035, "errors": problems}, {}
            msg = self._message(channel, body, self._user(BOT_ID, "signals"))
            if nonce:
                self._nonces[(channel, nonce)] = msg["id"]
            return 200, msg, {}
        if m := re.fullmatch(r"/messages/(\d+)", rest):
            msg = self.messages.get(m.group(1))
            if msg is None or msg["channel_id"] != channel:
                return self._error(404, 10008, "Unknown Message")
            if c.method == "PATCH":
                if problems := embed_problems((c.body or {}).get("embeds", [])):
                    return 400, {"message": "Invalid Form Body", "code": 50035, "errors": problems}, {}
                msg.update({k: v for k, v in (c.body or {}).items() if k in ("content", "embeds", "components")})
                msg["edited_timestamp"] = datetime.now(UTC).isoformat()
            return 200, msg, {}
        if m := re.fullmatch(r"/messages/(\d+)/threads", rest):
            if channel in self.no_threads:  # no Create Public Threads permission
                return self._error(403, 50013, "Missing Permissions")
            mid = m.group(1)
            if mid not in self.messages:
                return self._error(404, 10008, "Unknown Message")
            if mid in self.threads:
                return self._error(400, 160004, "A thread has already been created for this message")
            self.threads[mid] = channel
            return 201, {"id": mid, "type": 11, "parent_id": channel, "guild_id": self.channels.get(channel),
                         "name": (c.body or {}).get("name", "")}, {}
        return self._error(404, 0, "404: Not Found")

    def _webhook(self, c: Call, wid: str, token: str, message: str | None) -> tuple[int, Any, dict[str, str]]:
        if wid == APP_ID and message == "@original":  # interaction response edit
            self.interaction_edits.append((token, c.body or {}))
            return 200, self._message("0", c.body or {}, self._user(APP_ID, "Signals")), {}
        hook = self.webhooks.get(wid)
        if hook is None or hook[0] != token:
            return self._error(404, 10015, "Unknown Webhook")
        channel = hook[1]
        if (err := self._exists(channel)) is not None:
            return err
        author = {**self._user(wid, "Signals hook"), "bot": True}
        if message is None and c.method == "GET":
            return 200, {"id": wid, "type": 1, "channel_id": channel, "guild_id": self.channels.get(channel),
                         "token": token, "name": "Signals hook"}, {}
        if message is None and c.method == "POST":
            body = c.body or {}
            if problems := embed_problems(body.get("embeds", [])):
                return 400, {"message": "Invalid Form Body", "code": 50035, "errors": problems}, {}
            msg = self._message(channel, body, author, webhook_id=wid)
            return (200, msg, {}) if c.query.get("wait", ["0"])[0] in ("1", "true", "True") else (204, None, {})
        msg = self.messages.get(message or "")
        if msg is None or msg.get("webhook_id") != wid:
            return self._error(404, 10008, "Unknown Message")
        if c.method == "PATCH":
            msg.update({k: v for k, v in (c.body or {}).items() if k in ("content", "embeds", "components")})
            msg["edited_timestamp"] = datetime.now(UTC).isoformat()
        return 200, msg, {}

    def _message(self, channel: str, body: dict[str, Any], author: dict[str, Any],
                 webhook_id: str | None = None) -> dict[str, Any]:
        mid = str(next(self._ids))
        content = body.get("content") or ""
        msg = {"id": mid, "channel_id": channel, "author": author, "content": content,
               "embeds": body.get("embeds", []), "components": body.get("components", []),
               "allowed_mentions": body.get("allowed_mentions"), "nonce": body.get("nonce"),
               "attachments": [], "mentions": [], "mention_roles": [], "mention_everyone": False,
               "pinned": False, "tts": False, "type": 0, "flags": body.get("flags", 0),
               "timestamp": datetime.now(UTC).isoformat(), "edited_timestamp": None}
        if webhook_id:
            msg["webhook_id"] = webhook_id
        self.messages[mid] = msg
        return msg
