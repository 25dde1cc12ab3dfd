"""HTTP mode: ``POST /slack/events`` on the ``web`` process serves events, slash commands and
interactivity through Bolt's Starlette adapter (one Request URL for all three in the manifest).

Served only when ``SLACK_BOT_TOKEN`` and ``SLACK_SIGNING_SECRET`` are set; Bolt checks every
request's ``X-Slack-Signature`` (v0 HMAC-SHA256) and rejects timestamps older than 5 minutes.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.web.app import WebContext

__all__ = ["PATH", "routes"]

log = logging.getLogger(__name__)
PATH = "/slack/events"


def routes(ctx: WebContext) -> list[BaseRoute]:
    env = ctx.env
    token, secret = env.get("SLACK_BOT_TOKEN"), env.get("SLACK_SIGNING_SECRET")
    if not token or not secret:
        if token:
            log.warning("SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not: %s is not served", PATH)
        return []
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

    from bot.adapters.slack.app import COMMAND, build_app
    from bot.commands import CommandService

    service = CommandService(ctx.settings, ctx.store, prefix=COMMAND)
    ctx.listeners.append(service.use_settings)  # config edits reach the commands
    app = build_app(ctx.settings, ctx.store, token=token, signing_secret=secret, base_url=env.get("SLACK_API_URL"),
                    service=service)
    handler = AsyncSlackRequestHandler(app)
    ctx.extra["slack_app"] = app

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    log.info("slack events endpoint enabled", extra={"path": PATH})
    return [Route(PATH, slack_events, methods=["POST"])]
