"""The ``web`` process: one Starlette app that platforms' endpoints, health and pages plug into.

Each part is a module exposing ``routes(ctx: WebContext) -> list[BaseRoute]``; a part
that is not installed or not configured returns no routes.

With ``ctx.config_path`` set (``signals web`` sets it) config edits are picked up here too,
as the worker does: before a request, at most every ``config_check_every`` seconds, the
file's mtime and size are compared (:class:`bot.settings.watch.ConfigWatcher`); a valid
edit is swapped in by :meth:`WebContext.apply_settings` before the request is answered,
and a bad one is logged with its ``file:line`` while the last good settings stay.
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
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.settings import Settings
from bot.store import Store

__all__ = ["PARTS", "ConfigReload", "WebContext", "create_app"]

log = logging.getLogger(__name__)

# Modules that contribute routes, in order.
PARTS = ["bot.adapters.slack.web", "bot.adapters.discord.web", "bot.web.views", "bot.web.health", "bot.web.metrics",
         "bot.sources.web", "bot.web.slack_install"]


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

    def apply_settings(self, new: Settings) -> None:
        """Swap in reloaded settings everywhere in this process."""
        self.settings = new
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
    app.state.ctx = ctx
    return app
