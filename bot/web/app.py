"""The ``web`` process: one Starlette app that platforms' endpoints, health and pages plug into.

Each part is a module exposing ``routes(ctx: WebContext) -> list[BaseRoute]``; a part
that is not installed or not configured returns no routes.

With ``ctx.config_path`` set (``signals web`` sets it) config edits are picked up here too,
as the worker does: before a request, at most every ``config_check_every`` seconds, the
file's mtime and size are compared (:class:`bot.settings.watch.ConfigWatcher`); a valid
edit is swapped in by :meth:`WebContext.apply_settings` before the request is answered,
and a bad one is logged with its ``file:line`` while the last good settings stay.

Every request body is capped (:class:`BodyLimit`): Slack, Discord and WebSub endpoints are
open to the internet and read the body before they can check its signature, so without a
cap one request of gigabytes was held in memory whole (a 200 MB body grew the process by
~1 GB). A part whose requests may be larger registers its own cap in ``body_limits``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.settings import Settings
from bot.store import Store

__all__ = ["MAX_BODY", "PARTS", "BodyLimit", "ConfigReload", "WebContext", "create_app"]

log = logging.getLogger(__name__)

# Modules that contribute routes, in order.
PARTS = ["bot.adapters.slack.web", "bot.adapters.discord.web", "bot.web.views", "bot.web.health", "bot.web.metrics",
         "bot.sources.web", "bot.web.slack_install"]
# Slack's largest payloads (a button click carrying its message's 50 blocks) stay well under this.
MAX_BODY = 1 << 20


@dataclass(slots=True)
class WebContext:
    """What every part shares. Parts read ``settings`` per request, or keep their own copy (a
    :class:`~bot.commands.CommandService`) and register a listener for reloads."""

    settings: Settings
    store: Store
    env: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    config_path: str | None = None
    listeners: list[Callable[[Settings], None]] = field(default_factory=list)
    max_body: int = MAX_BODY
    # path prefix -> the cap for bodies sent there (read per request, so it may follow the settings)
    body_limits: dict[str, Callable[[], int]] = field(default_factory=dict)

    def body_limit(self, path: str) -> int:
        prefixes = [p for p in self.body_limits if path.startswith(p)]
        return self.body_limits[max(prefixes, key=len)]() if prefixes else self.max_body

    def apply_settings(self, new: Settings) -> None:
        """Swap in reloaded settings everywhere in this process (and say which file edits a
        setting made from chat outranks)."""
        from bot.commands.overrides import report_shadowed

        old, self.settings = self.settings, new
        report_shadowed(old, new, self.store, self.config_path)
        for listener in self.listeners:
            listener(new)


class ConfigReload:
    """ASGI middleware: check the config file for edits before a request (cheap: one ``stat``)."""

    def __init__(self, app: ASGIApp, ctx: WebContext) -> None:
        from bot.settings.watch import ConfigWatcher

        assert ctx.config_path is not None
        self.app = app
        self.watcher = ConfigWatcher(ctx.config_path, ctx.apply_settings, current=ctx.settings)
        self.every = float(ctx.extra.get("config_check_every", 2.0))
        self.lock = asyncio.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.watcher.due(self.every):
            async with self.lock:  # one check at a time; the others wait for its result
                await run_in_threadpool(self.watcher.check_due, self.every)
        await self.app(scope, receive, send)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: answer 413 to a body over the path's cap, declared (before reading any of
    it) or streamed (as soon as the count passes the cap), so memory never holds more than the cap."""

    def __init__(self, app: ASGIApp, ctx: WebContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.ctx.body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit)
            return
        seen = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, tracked_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, send: Send, limit: int) -> None:
        log.warning("request body over the %d-byte cap refused", limit,
                    extra={"path": scope["path"], "client": (scope.get("client") or ("?",))[0]})
        response = PlainTextResponse(f"request body larger than {limit:,} bytes", status_code=413,
                                     headers={"Connection": "close"})
        await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(ctx: WebContext, parts: list[str] | None = None) -> Starlette:
    routes: list[BaseRoute] = [Route("/healthz", healthz)]
    for name in parts if parts is not None else PARTS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # part not built
            raise
        routes += module.routes(ctx)
    app = Starlette(routes=routes)
    if ctx.config_path is not None:
        app.add_middleware(ConfigReload, ctx=ctx)
    app.add_middleware(BodyLimit, ctx=ctx)  # outermost: before anything reads the body
    app.state.ctx = ctx
    return app
