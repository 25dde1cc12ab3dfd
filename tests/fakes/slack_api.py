"""A fake Slack on 127.0.0.1: Web API methods, ``response_url`` endpoints and a Socket Mode websocket.

It runs a real aiohttp server in its own thread and event loop, so the code under test
talks real HTTP through slack_sdk (``AsyncWebClient(base_url=fake.api_url)``). It records
every call, keeps posted messages per channel (with metadata, threads and edits) and
can be scripted to fail::

    fake = FakeSlack().start()
    fake.fail("chat.postMessage", status=429, retry_after=1)          # next call only
    fake.fail("chat.postMessage", error="channel_not_found", channel="C404", times=None)  # always
    fake.hold("chat.postMessage", 30)   # record and store the post, then answer 30 s later
    fake.queue_envelope({...})          # sent to the next Socket Mode connection
    fake.delete("C1", ts)               # a user deleted the message (as Slack does: see :meth:`delete`)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

__all__ = ["Call", "Failure", "FakeSlack"]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    method: str
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    channel: str | None = None
    times: int | None = 1  # None: every time
    applied: bool = False  # the call takes effect (a post is stored) before the failure is answered


class FakeSlack:
    def __init__(self, team_id: str = "T1", bot_user: str = "UBOT") -> None:
        self.team_id = team_id
        self.bot_user = bot_user
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.responses: list[dict[str, Any]] = []  # posts to response_url
        self.socket_acks: list[dict[str, Any]] = []
        self.socket_connections = 0
        self._failures: list[Failure] = []
        self._holds: dict[str, float] = {}
        self._envelopes: list[dict[str, Any]] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._ts = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._released: asyncio.Event | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeSlack:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/link", self._socket)
        self._released = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def release(self) -> None:
        """Answer every held call now, and hold no more."""
        self._holds.clear()
        if self._released is not None:
            self._loop.call_soon_threadsafe(self._released.set)

    def stop(self) -> None:
        self.release()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api_url(self) -> str:
        return f"{self.url}api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}response/{name}"

    # -- scripting -----------------------------------------------------------------------
    def fail(self, method: str, *, status: int = 200, error: str | None = None, retry_after: int | None = None,
             channel: str | None = None, times: int | None = 1, applied: bool = False) -> None:
        """Answer ``method`` with an error. ``status=0`` drops the connection without an answer;
        ``applied=True`` stores the call's effect first (Slack kept the post, the answer was lost)."""
        if status == 429 and error is None:
            error = "ratelimited"
        with self._lock:
            self._failures.append(Failure(method, status, error, retry_after, channel, times, applied))

    def clear_failures(self) -> None:
        """Every scripted failure is over (the token fixed, the channel unarchived, the bot invited)."""
        with self._lock:
            self._failures.clear()

    def hold(self, method: str, seconds: float) -> None:
        """Record and apply ``method`` calls, but answer only after ``seconds`` (or :meth:`release`)."""
        self._holds[method] = seconds

    def delete(self, channel: str, ts: str) -> None:
        """A user deleted a message. As in Slack: a thread parent with replies stays as a
        tombstone ("This message was deleted.") and its thread still takes replies; one without
        replies is gone, so ``chat.update`` answers ``message_not_found``, ``conversations.replies``
        ``thread_not_found``, and a ``thread_ts`` pointing at it is ignored: the reply is posted
        at the top of the channel and its answer carries no ``thread_ts``."""
        with self._lock:
            msgs = self.messages.get(channel, [])
            for i, msg in enumerate(msgs):
                if msg["ts"] == ts:
                    if any(m.get("thread_ts") == ts for m in msgs):
                        msgs[i] = {"type": "message", "subtype": "tombstone", "ts": ts, "thread_ts": ts,
                                   "text": "This message was deleted.", "hidden": True, "user": "USLACKBOT"}
                    else:
                        del msgs[i]
                    return
        raise KeyError(f"no message {ts} in {channel}")

    def queue_envelope(self, envelope: dict[str, Any]) -> None:
        self._envelopes.append(envelope)

    def drop_sockets(self, *, refresh: bool = False) -> None:
        """End every Socket Mode connection: abruptly (a network drop), or as Slack does every few
        hours (``refresh=True``: a ``disconnect`` message with ``refresh_requested``, then close)."""
        async def drop() -> None:
            for ws in list(self._sockets):
                if refresh:
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await ws.send_json({"type": "disconnect", "reason": "refresh_requested",
                                            "debug_info": {"host": "fake"}})
                    await ws.close()
                elif request_transport := getattr(ws, "_fake_transport", None):
                    request_transport.close()
        asyncio.run_coroutine_threadsafe(drop(), self._loop).result(10)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.02)
        return bool(predicate())

    # -- handlers --------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            ctype = request.headers.get("Content-Type", "")
            if "json" in ctype:
                params.update(json.loads(body))
            else:
                params.update(dict(parse_qsl(body.decode())))
        for key in ("blocks", "metadata", "attachments"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    def _failure_for(self, method: str, params: dict[str, Any]) -> Failure | None:
        with self._lock:
            for f in self._failures:
                if f.method == method and (f.channel is None or f.channel == params.get("channel")) \
                        and (f.times is None or f.times > 0):
                    if f.times is not None:
                        f.times -= 1
                    return f
        return None

    def _next_ts(self) -> str:
        with self._lock:
            self._ts += 1
            return f"{int(time.time())}.{self._ts:06d}"

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        with self._lock:
            self.calls.append(Call(method, params, dict(request.headers)))
        failure = self._failure_for(method, params)
        if failure is not None:
            if failure.applied and (answer := getattr(self, "_m_" + method.replace(".", "_"), None)):
                answer(params)
            if failure.status == 0:  # connection dropped before any answer
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            if failure.status >= 500:
                return web.Response(status=failure.status, text="upstream error")
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        answer = getattr(self, "_m_" + method.replace(".", "_"), None)
        data = answer(params) if answer else {"ok": True}
        if self._holds.get(method) and self._released is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self._holds[method])
        return web.json_response(data)

    def _m_auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://fake.slack.test/", "team": "Test", "user": "signals",
                "team_id": self.team_id, "user_id": self.bot_user, "bot_id": "B1", "is_enterprise_install": False}

    def _m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel", "")
        msg = {"type": "message", "ts": self._next_ts(), "text": p.get("text", ""), "blocks": p.get("blocks", []),
               "user": self.bot_user, "bot_id": "B1"}
        if p.get("metadata"):
            msg["metadata"] = p["metadata"]
        with self._lock:
            if p.get("thread_ts") and any(m["ts"] == p["thread_ts"] for m in self.messages.get(channel, [])):
                msg["thread_ts"] = p["thread_ts"]  # a deleted parent: Slack posts the reply at top level
            self.messages.setdefault(channel, []).append(msg)
        return {"ok": True, "channel": channel, "ts": msg["ts"], "message": msg}

    def _m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        for msg in self.messages.get(p.get("channel", ""), []):
            if msg["ts"] == p.get("ts") and msg.get("subtype") != "tombstone":
                msg.update({k: p[k] for k in ("text", "blocks") if k in p})
                msg["edited"] = True
                return {"ok": True, "channel": p["channel"], "ts": msg["ts"], "text": msg["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _visible(self, msg: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        out = dict(msg)
        if str(p.get("include_all_metadata", "")).lower() not in ("1", "true"):
            out.pop("metadata", None)
        return out

    def _m_conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        msgs = [m for m in self.messages.get(p.get("channel", ""), [])
                if not m.get("thread_ts") or m["thread_ts"] == m["ts"]]  # top level: also thread parents
        if p.get("latest"):
            msgs = [m for m in msgs if float(m["ts"]) <= float(p["latest"])]
        limit = int(p.get("limit", 100))
        newest = list(reversed(msgs))[:limit]
        return {"ok": True, "messages": [self._visible(m, p) for m in newest], "has_more": len(msgs) > limit}

    def _m_conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = p.get("ts")
        msgs = [m for m in self.messages.get(p.get("channel", ""), []) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not any(m["ts"] == ts for m in msgs):
            return {"ok": False, "error": "thread_not_found"}
        # as Slack: oldest first (the parent, then replies), ``limit`` per page, then a cursor
        start, limit = int(p.get("cursor") or 0), int(p.get("limit", 1000))
        page, more = msgs[start:start + limit], len(msgs) > start + limit
        return {"ok": True, "messages": [self._visible(m, p) for m in page], "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": p.get("channel"),
                "permalink": f"https://fake.slack.test/archives/{p.get('channel')}/p{p.get('message_ts')}"}

    def _m_apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self.responses.append({"name": request.match_info["name"], **body})
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        ws._fake_transport = request.transport  # type: ignore[attr-defined]
        self._sockets.append(ws)
        self.socket_connections += 1
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        while self._envelopes:
            await ws.send_json(self._envelopes.pop(0))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                with self._lock:
                    self.socket_acks.append(json.loads(msg.data))
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
        self._sockets.remove(ws)
        return ws
