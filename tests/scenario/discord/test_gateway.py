"""The gateway client without a websocket: login and command sync over REST against the fake API,
and interactions fed to discord.py's own dispatcher, answered through the callback endpoint."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.adapters.discord import DiscordNotifier
from bot.adapters.discord.gateway import SignalsClient
from bot.cli import main
from bot.commands import CommandService
from bot.models import AlertKind, Delivery, DeliveryStatus
from bot.settings import Settings
from bot.store import Store
from tests.fakes.discord_api import APP_ID, GUILD_ID, FakeDiscord
from tests.scenario.discord.helpers import NEWS, make_alert


def cli(*argv: str) -> int:
    """Run the CLI in a fresh thread: ``asyncio.run`` needs a thread with no running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(main, list(argv)).result()


def test_cli_sync_registers_commands_explicitly(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", fake.token)
    monkeypatch.setenv("DISCORD_API_URL", fake.base)
    assert cli("discord", "sync", "--guild", GUILD_ID) == 0
    (group,) = fake.commands[GUILD_ID]
    assert group["name"] == "signals"
    assert {o["name"] for o in group["options"]} >= {"help", "search", "top", "why", "subscribe", "unsubscribe",
                                                     "threshold", "feeds", "digest"}
    assert "/signals search" in capsys.readouterr().out
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "wrong")
    assert cli("discord", "sync") == 1  # a bad token is one clear error line, not a traceback
    assert "401" in capsys.readouterr().err


_ids = iter(range(1600000000000000000, 1700000000000000000))


def payload(kind: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(next(_ids)), "application_id": APP_ID, "type": kind, "token": f"gw{next(_ids)}",
            "version": 1, "guild_id": GUILD_ID, "channel_id": NEWS, "locale": "en-US", "guild_locale": "en-US",
            "app_permissions": "0", "entitlements": [], "attachment_size_limit": 10485760, "authorizing_integration_owners": {},
            "member": {"user": {"id": "42", "username": "ann", "discriminator": "0", "avatar": None},
                       "roles": [], "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False, "mute": False,
                       "permissions": "0", "flags": 0},
            "data": data}


async def wait_for(fake: FakeDiscord, n: int) -> None:
    for _ in range(100):
        if len(fake.interaction_callbacks) >= n:
            return
        await asyncio.sleep(0.05)


async def test_gateway_commands_and_buttons_use_shared_logic(fake: FakeDiscord, settings: Settings,
                                                             story_store: Store) -> None:
    client = SignalsClient(CommandService(settings, story_store))
    await client.login(fake.token)
    try:
        assert not fake.calls_to("PUT", r"/commands$")  # login never syncs
        state = client._connection
        state.parse_interaction_create(payload(2, {"id": "1", "name": "signals", "type": 1, "options": [
            {"name": "search", "type": 1, "options": [{"name": "query", "type": 3, "value": "nvidia"}]}]}))
        await wait_for(fake, 1)
        # click 👍 on an alert the notifier really posted (Discord sends the message with the click)
        notifier = DiscordNotifier(token=fake.token)
        alert = make_alert("s-nvidia-1")
        await notifier.send(Delivery(1, "alert:s-nvidia-1:news", "news", "s-nvidia-1", AlertKind.ALERT, alert,
                                     DeliveryStatus.SENDING), NEWS)
        await notifier.aclose()
        (posted,) = fake.posted(NEWS)
        up = posted["components"][0]["components"][0]["custom_id"]
        state.parse_interaction_create({**payload(3, {"custom_id": up, "component_type": 2}), "message": posted})
        await wait_for(fake, 2)
    finally:
        await client.close()
    (_, search), (_, click) = fake.interaction_callbacks
    assert search["type"] == 4 and search["data"]["flags"] == 64
    assert search["data"]["allowed_mentions"] == {"parse": []}
    assert "Nvidia beats estimates" in str(search["data"]["embeds"]) and "@everyone" not in str(search["data"])
    assert click["type"] == 4 and "recorded" in click["data"]["content"] and click["data"]["flags"] == 64
    assert CommandService(settings, story_store).feedback("s-nvidia-1", "42", "up", topic="ai").changed is False  # stored


async def test_an_interaction_two_gateway_sessions_receive_is_handled_once(fake: FakeDiscord, settings: Settings,
                                                                           story_store: Store) -> None:
    """Discord sends gateway events to every session of the token: during a deploy's overlap (or with
    `signals discord run` started twice) both processes ran each command. Before: the change was made
    and audited twice and the second answer was refused (40060 already acknowledged) with a traceback
    in the log. Now the first process to record the interaction id answers; the other skips it."""
    from sqlalchemy import func, select

    from bot.store import schema as t

    clients = [SignalsClient(CommandService(settings, story_store)) for _ in range(2)]
    for c in clients:
        await c.login(fake.token)
    try:
        command = payload(2, {"id": "1", "name": "signals", "type": 1, "options": [
            {"name": "threshold", "type": 1, "options": [{"name": "value", "type": 10, "value": 6}]}]})
        command["channel"] = {"id": NEWS, "type": 0, "guild_id": GUILD_ID, "name": "news", "position": 0,
                              "permission_overwrites": [], "nsfw": False, "parent_id": None}
        for c in clients:
            c._connection.parse_interaction_create(command)
        await wait_for(fake, 2)
        await asyncio.sleep(0.3)
    finally:
        for c in clients:
            await c.close()
    assert len(fake.calls_to("POST", r"/callback$")) == 1, fake.interaction_callbacks
    with story_store.begin() as conn:
        assert conn.execute(select(func.count()).select_from(t.audit)).scalar() == 1
