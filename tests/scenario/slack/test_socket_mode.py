"""Socket Mode: apps.connections.open on the fake Web API, then one slash command over a real websocket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from bot.adapters.slack import socket as slack_socket


async def until(predicate: Callable[[], object], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return bool(predicate())


async def test_socket_mode_delivers_a_slash_command(fake, store, settings):
    fake.queue_envelope({
        "envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
        "payload": {"command": "/signals", "text": "help", "user_id": "U1", "channel_id": "C1", "team_id": "T1",
                    "api_app_id": "A1", "token": "x", "trigger_id": "1.2.3",
                    "response_url": fake.response_url("sock")}})
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-1-test", "SLACK_API_URL": fake.api_url}
    assert slack_socket.enabled(env) and not slack_socket.enabled({"SLACK_BOT_TOKEN": "x"})
    handler = await slack_socket.start_socket_mode(settings, store, env)
    try:
        assert await until(lambda: any(a.get("envelope_id") == "env-1" for a in fake.socket_acks))
        assert await until(lambda: fake.responses)
    finally:
        await handler.close_async()
    (opened,) = fake.calls_to("apps.connections.open")
    assert opened.headers["Authorization"] == "Bearer xapp-1-test"
    assert fake.socket_connections == 1
    assert fake.responses[0]["response_type"] == "ephemeral"
    assert "search QUERY" in fake.responses[0]["text"]


def command(envelope_id: str, text: str, fake) -> dict:
    return {"envelope_id": envelope_id, "type": "slash_commands", "accepts_response_payload": True,
            "payload": {"command": "/signals", "text": text, "user_id": "U1", "channel_id": "C1", "team_id": "T1",
                        "api_app_id": "A1", "token": "x", "trigger_id": "1.2.3",
                        "response_url": fake.response_url(envelope_id)}}


@pytest.mark.parametrize("refresh", [False, True], ids=["dropped", "refresh_requested"])
async def test_commands_are_answered_once_after_the_socket_reconnects(fake, store, settings, refresh):
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-1-test", "SLACK_API_URL": fake.api_url}
    fake.queue_envelope(command("env-1", "help", fake))
    handler = await slack_socket.start_socket_mode(settings, store, env)
    try:
        assert await until(lambda: len(fake.responses) == 1 and len(fake.socket_acks) == 1)
        fake.queue_envelope(command("env-2", "help", fake))  # sent on the next connection
        fake.drop_sockets(refresh=refresh)
        assert await until(lambda: len(fake.responses) == 2, timeout=30)
        await asyncio.sleep(0.5)
    finally:
        await handler.close_async()
    assert fake.socket_connections >= 2
    assert sorted(r["name"] for r in fake.responses) == ["env-1", "env-2"]
    assert sorted(a["envelope_id"] for a in fake.socket_acks) == ["env-1", "env-2"]
