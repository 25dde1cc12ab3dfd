"""``POST /discord/interactions``: slash commands and button clicks without a gateway connection.

Discord signs every request (Ed25519 over ``timestamp + body`` with the application's
public key, env ``DISCORD_PUBLIC_KEY``); anything unsigned or stale gets 401, which is
also what Discord's own endpoint check expects. PING is answered with PONG.

Discord waits 3 s for the answer. A command that finishes within ``defer_after``
(2 s) is answered directly (type 4); a slower one is deferred (type 5, "thinking…")
and its answer is written later by editing the original response through the
interaction webhook (``PATCH /webhooks/<app>/<token>/messages/@original``). Commands run
in a worker thread because the store is synchronous.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
from discord.webhook.async_ import async_context
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as WebRoute

from bot.adapters.discord.interactions import (
    PUBLIC_COMMANDS,
    Message,
    caller_of,
    command_text,
    handle_click,
    handle_command,
)
from bot.adapters.discord.notifier import set_api_base
from bot.commands import CommandService
from bot.commands.events import first_time_soon
from bot.errors import ConfigError, ConfigIssue
from bot.web.app import WebContext

__all__ = ["InteractionsEndpoint", "routes", "verify_signature"]

log = logging.getLogger(__name__)

PING, COMMAND, COMPONENT, AUTOCOMPLETE = 1, 2, 3, 4
PONG, MESSAGE, DEFERRED, AUTOCOMPLETE_RESULT = 1, 4, 5, 8


def verify_signature(key: VerifyKey, signature: str, timestamp: str, body: bytes) -> bool:
    try:
        key.verify(timestamp.encode() + body, bytes.fromhex(signature))
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


class InteractionsEndpoint:
    """The request handler; one per app. ``pending`` holds deferred work until it is delivered."""

    def __init__(self, service: CommandService, public_key: str, *, defer_after: float = 2.0,
                 max_skew: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        self.service = service
        self.key = VerifyKey(bytes.fromhex(public_key))
        self.defer_after = defer_after
        self.max_skew = max_skew
        self.clock = clock
        self.pending: set[asyncio.Task[None]] = set()

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        sig = request.headers.get("X-Signature-Ed25519", "")
        ts = request.headers.get("X-Signature-Timestamp", "")
        if not sig or not ts or not verify_signature(self.key, sig, ts, body):
            return JSONResponse({"error": "invalid request signature"}, status_code=401)
        try:
            if not abs(self.clock() - float(ts)) <= self.max_skew:  # (nan compares false: stale too)
                return JSONResponse({"error": "stale request timestamp"}, status_code=401)
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "bad request"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "bad request"}, status_code=400)
        kind = payload.get("type")
        if kind == PING:
            return JSONResponse({"type": PONG})
        if kind == AUTOCOMPLETE:
            return JSONResponse({"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}})
        if kind not in (COMMAND, COMPONENT):
            return JSONResponse({"error": f"unsupported interaction type {kind}"}, status_code=400)
        return await self._run(payload)

    async def _run(self, payload: dict[str, Any]) -> Response:
        data = payload.get("data") or {}
        caller = caller_of(payload)
        if payload.get("id") and not await self._first_time(str(payload["id"])):
            return JSONResponse({"type": MESSAGE, "data": Message(content="Already handled.").to_json()})
        if payload["type"] == COMMAND:
            log.info("discord command", extra={"command": command_text(data)[:80], "user": caller.user})
            work = asyncio.create_task(asyncio.to_thread(handle_command, self.service, data, caller))
            ephemeral = command_text(data).split(" ", 1)[0] not in PUBLIC_COMMANDS
        else:
            log.info("discord button", extra={"custom_id": str(data.get("custom_id"))[:100], "user": caller.user})
            work = asyncio.create_task(asyncio.to_thread(handle_click, self.service, str(data.get("custom_id")),
                                                         caller))
            ephemeral = True
        done, _ = await asyncio.wait({work}, timeout=self.defer_after)
        if done:
            return JSONResponse({"type": MESSAGE, "data": _result(work, payload).to_json()})
        task = asyncio.create_task(self._follow_up(payload, work))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        return JSONResponse({"type": DEFERRED, "data": {"flags": 64} if ephemeral else {}})

    async def _first_time(self, interaction_id: str) -> bool:
        """False for an interaction already handled (a replayed request)."""
        # bounded: Discord wants an answer (or a deferral) within 3 s, and a busy database must not cost it
        return await first_time_soon(self.service.store, f"discord:{interaction_id}")

    async def _follow_up(self, payload: dict[str, Any], work: asyncio.Task[Message]) -> None:
        """Replace the "thinking…" message with the answer (the deferral fixed its visibility)."""
        await asyncio.wait({work})
        message = _result(work, payload)
        adapter = async_context.get()  # discord.py's webhook adapter: rate limits handled there
        try:
            async with aiohttp.ClientSession() as session:
                await adapter.edit_original_interaction_response(
                    int(payload.get("application_id") or 0), str(payload.get("token")), session=session,
                    payload=message.to_json(with_flags=False))
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            log.error("deferred answer not delivered: %s", exc, extra={"interaction": payload.get("id")})

def _result(work: asyncio.Task[Message], payload: dict[str, Any]) -> Message:
    """The command's answer, or a short apology if it crashed (logged with its traceback)."""
    exc = work.exception()
    if exc is None:
        return work.result()
    log.error("discord command failed", exc_info=exc, extra={"interaction": payload.get("id")})
    return Message(content="Sorry, that command failed. Try again in a minute.")


def routes(ctx: WebContext) -> list[BaseRoute]:
    """The endpoint, if ``DISCORD_PUBLIC_KEY`` is configured (else nothing is served)."""
    env = {**os.environ, **ctx.env}
    key = env.get("DISCORD_PUBLIC_KEY")
    if not key:
        return []
    try:
        VerifyKey(bytes.fromhex(key))
    except (ValueError, TypeError) as exc:
        raise ConfigError([ConfigIssue("environment", None, "DISCORD_PUBLIC_KEY",
                                       "expected the application's public key: 64 hex characters "
                                       "(Developer Portal → General Information)")]) from exc
    set_api_base(env.get("DISCORD_API_URL"))
    service = CommandService(ctx.settings, ctx.store)
    ctx.listeners.append(service.use_settings)  # config edits reach the commands
    endpoint = InteractionsEndpoint(service, key,
                                    defer_after=float(ctx.extra.get("discord_defer_after", 2.0)))
    ctx.extra["discord_endpoint"] = endpoint
    return [WebRoute("/discord/interactions", endpoint.handle, methods=["POST"])]
