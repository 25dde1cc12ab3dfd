"""The ``web`` process: one Starlette app that platforms' endpoints, health and pages plug into.

Each part is a module exposing ``routes(ctx: WebContext) -> list[BaseRoute]``; a part
that is not installed or not configured returns no routes.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.settings import Settings
from bot.store import Store

__all__ = ["PARTS", "WebContext", "create_app"]

log = logging.getLogger(__name__)

# Modules that contribute routes, in order.
PARTS = ["bot.adapters.slack.web", "bot.adapters.discord.web", "bot.web.views", "bot.web.health", "bot.web.metrics",
         "bot.sources.web", "bot.web.slack_install"]


@dataclass(slots=True)
class WebContext:
    settings: Settings
    store: Store
    env: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


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
    app.state.ctx = ctx
    return app
