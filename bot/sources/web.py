"""Web part: the WebSub callback ``GET/POST /websub/{id}``.

GET answers the hub's verification (echo ``hub.challenge`` for a subscription we asked
for, 404 otherwise). POST takes a pushed feed document: unknown subscription → 404
(the hub stops); a missing or wrong ``X-Hub-Signature`` → 202 and the body is ignored
(the WebSub spec: acknowledge, but do not act); a valid one → 202 at once, and the
entries go through the pipeline in the background (parse, clean, store, score, route,
deliver). The web process builds its own pipeline on first push unless one is given as
``ctx.extra["pipeline"]``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.sources.registry import effective_sources
from bot.sources.websub import check_signature, get_subscription, record_push, verify
from bot.web.app import WebContext

__all__ = ["routes"]

log = logging.getLogger(__name__)


class _Push:
    """Lazily built pipeline for pushed content (one per web process)."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self._pipeline: Any = ctx.extra.get("pipeline")
        self._lock = asyncio.Lock()

    async def pipeline(self) -> Any:
        async with self._lock:
            if self._pipeline is None:
                from bot.adapters.registry import build_destinations
                from bot.pipeline import Pipeline

                settings = self.ctx.settings
                self._pipeline = await Pipeline(settings, self.ctx.store, build_destinations(settings)).__aenter__()
            return self._pipeline

    async def ingest(self, source_name: str, body: bytes, content_type: str | None) -> None:
        from bot.sources.runtime import ingest_push

        try:
            source = next((s for s in effective_sources(self.ctx.settings, self.ctx.store) if s.name == source_name),
                          None)
            if source is None or not source.enabled:
                log.info("push for a removed or paused source ignored", extra={"source": source_name})
                return
            await ingest_push(await self.pipeline(), source, body, content_type)
        except Exception:
            log.exception("websub push could not be processed", extra={"source": source_name})


def routes(ctx: WebContext) -> list[BaseRoute]:
    push = _Push(ctx)
    ctx.body_limits["/websub/"] = lambda: ctx.settings.fetch.max_bytes  # a pushed feed may be as large as a polled one
    clock = ctx.extra.get("clock") or (lambda: datetime.now(UTC))

    async def callback(request: Request) -> Response:
        sub_id = request.path_params["sub_id"]
        if request.method == "GET":
            res = await asyncio.to_thread(verify, ctx.store, sub_id, dict(request.query_params), clock())
            return PlainTextResponse(res.body, status_code=res.status)
        sub = await asyncio.to_thread(get_subscription, ctx.store, id=sub_id)
        if sub is None or sub.state == "unsubscribing":
            return PlainTextResponse("unknown subscription", status_code=404)
        body = await request.body()  # capped at fetch.max_bytes by the app's BodyLimit (413 past it)
        if not check_signature(sub.secret, body, request.headers.get("x-hub-signature")):
            log.warning("websub push with a missing or bad signature ignored",
                        extra={"source": sub.source, "hub": sub.hub})
            return PlainTextResponse("", status_code=202)
        await asyncio.to_thread(record_push, ctx.store, sub_id, clock())
        task = BackgroundTask(push.ingest, sub.source, body, request.headers.get("content-type"))
        return PlainTextResponse("", status_code=202, background=task)

    return [Route("/websub/{sub_id}", callback, methods=["GET", "POST"])]
