"""HTTP mode: ``POST /slack/events`` on the ``web`` process serves events, slash commands and
interactivity through Bolt's Starlette adapter (one Request URL for all three in the manifest).

Served only when ``SLACK_BOT_TOKEN`` and ``SLACK_SIGNING_SECRET`` are set; Bolt checks every
request's ``X-Slack-Signature`` (v0 HMAC-SHA256) and rejects timestamps older than 5 minutes.

:func:`authentic` checks the same before Bolt sees the request, because Bolt's check raises on
headers it does not expect (a timestamp that is not an integer, a signature that is not ASCII)
and its Starlette adapter on a body that is not UTF-8: each such unsigned request, which anyone
can send, was an HTTP 500 and an ERROR line or a traceback in the log; now it is a 401.
A request whose signature was seen before (``seen_events``) is a replay: acknowledged, not run.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.commands.events import first_time_soon
from bot.web.app import WebContext

__all__ = ["PATH", "authentic", "routes"]

log = logging.getLogger(__name__)
PATH = "/slack/events"
MAX_SKEW = 300  # seconds, as Bolt


def authentic(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> bool:
    """Slack's v0 signature over ``v0:{timestamp}:{body}`` with a timestamp within 5 minutes; never raises."""
    ts, sig = headers.get("x-slack-request-timestamp", ""), headers.get("x-slack-signature", "")
    if not (ts.isascii() and ts.isdigit() and sig.isascii()) or abs(now - int(ts)) > MAX_SKEW:
        return False
    mac = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(f"v0={mac}".encode(), sig.encode()):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False  # Slack sends UTF-8; Bolt's adapter would raise on anything else
    return True


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
        if not authentic(secret, request.headers, await request.body(), time.time()):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        # a signature stays valid for 5 minutes: a copy of a signed request (a proxy's log, a leaked
        # HAR) ran its command again; the signature names timestamp and body, so a repeat is a replay
        signature = request.headers["x-slack-signature"]
        if not await first_time_soon(ctx.store, f"slack-sig:{signature[:100]}"):
            log.warning("replayed slack request ignored")
            return Response(status_code=200)
        return await handler.handle(request)  # Bolt checks the signature again, and acts

    log.info("slack events endpoint enabled", extra={"path": PATH})
    return [Route(PATH, slack_events, methods=["POST"])]
