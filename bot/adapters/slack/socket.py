"""Socket Mode: when ``SLACK_APP_TOKEN`` (``xapp-…``) is set, Slack sends commands, events and
button clicks over a websocket the bot opens itself, so no public URL is needed.

``apps.connections.open`` (with the app token) returns the websocket URL; slack_sdk's
aiohttp Socket Mode client reconnects on its own. The same Bolt app as HTTP mode handles
the envelopes, and acknowledges each one over the socket.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.adapters.slack.app import build_app
from bot.commands import CommandService
from bot.settings import Settings
from bot.store import Store

__all__ = ["enabled", "run_socket_mode", "start_if_enabled", "start_socket_mode"]

log = logging.getLogger(__name__)


def enabled(env: Mapping[str, str]) -> bool:
    return bool(env.get("SLACK_APP_TOKEN") and env.get("SLACK_BOT_TOKEN"))


async def start_socket_mode(settings: Settings, store: Store, env: Mapping[str, str],
                            service: CommandService | None = None) -> AsyncSocketModeHandler:
    """Connect and return the handler (call ``await handler.close_async()`` to stop). Pass the
    ``service`` whose settings the caller swaps on a config reload (``signals run`` does)."""
    app = build_app(settings, store, token=env["SLACK_BOT_TOKEN"], base_url=env.get("SLACK_API_URL"),
                    socket_mode=True, service=service)
    handler = AsyncSocketModeHandler(app, env["SLACK_APP_TOKEN"])
    await handler.connect_async()
    log.info("slack socket mode connected")
    return handler


async def start_if_enabled(settings: Settings, store: Store, env: Mapping[str, str],
                           service: CommandService | None = None) -> AsyncSocketModeHandler | None:
    """For the worker: connect when ``SLACK_APP_TOKEN`` and ``SLACK_BOT_TOKEN`` are set, else None."""
    return await start_socket_mode(settings, store, env, service) if enabled(env) else None


async def run_socket_mode(settings: Settings, store: Store, env: Mapping[str, str],
                          stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (or forever)."""
    handler = await start_socket_mode(settings, store, env)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await handler.close_async()
