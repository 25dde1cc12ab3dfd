"""The HTTP interactions endpoint over real HTTP (uvicorn on port 0), with Ed25519-signed requests."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from nacl.signing import SigningKey

from bot.commands import effective_rules, muted_topics
from bot.errors import ConfigError
from bot.settings import Settings
from bot.store import Store
from bot.web.app import WebContext, create_app
from tests.fakes.discord_api import APP_ID, FakeDiscord
from tests.scenario.discord.helpers import NEWS


class Served:
    """uvicorn serving the web app in a thread; ``url`` is the interactions endpoint."""

    def __init__(self, ctx: WebContext) -> None:
        self.server = uvicorn.Server(uvicorn.Config(create_app(ctx, parts=["bot.adapters.discord.web"]),
                                                    host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/discord/interactions"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


def serve(fake: FakeDiscord, key: SigningKey, settings: Settings, story_store: Store, defer_after: float = 2.0) -> Served:
    env = {"DISCORD_PUBLIC_KEY": key.verify_key.encode().hex(), "DISCORD_API_URL": fake.base}
    return Served(WebContext(settings, story_store, env=env, extra={"discord_defer_after": defer_after}))


@pytest.fixture
def app(fake: FakeDiscord, key: SigningKey, settings: Settings, story_store: Store) -> Iterator[Served]:
    served = serve(fake, key, settings, story_store)
    yield served
    served.stop()


_ids = iter(range(1400000000000000000, 1500000000000000000))


def interaction(kind: int, data: dict[str, Any] | None = None, user: str = "42") -> dict[str, Any]:
    return {"id": str(next(_ids)), "application_id": APP_ID, "type": kind, "token": f"itoken{next(_ids)}",
            "version": 1, "guild_id": "1100000000000000010", "channel_id": NEWS,
            "member": {"user": {"id": user, "username": "ann"}}, "data": data or {}}


def slash(sub: str, **options: object) -> dict[str, Any]:
    opts = [{"name": k, "type": 10 if isinstance(v, float) else 3, "value": v} for k, v in options.items()]
    return interaction(2, {"id": "1", "name": "signals", "type": 1,
                           "options": [{"name": sub, "type": 1, "options": opts}]})


async def post(url: str, body: dict[str, Any], key: SigningKey, *, sign: bool = True,
               ts: str | None = None) -> httpx.Response:
    raw = json.dumps(body).encode()
    ts = ts or str(int(time.time()))
    sig = key.sign(ts.encode() + raw).signature.hex() if sign else "00" * 64
    async with httpx.AsyncClient() as client:
        return await client.post(url, content=raw, headers={"X-Signature-Ed25519": sig, "X-Signature-Timestamp": ts,
                                                            "Content-Type": "application/json"})


async def test_ping_and_signature_checks(app: Served, key: SigningKey) -> None:
    ok = await post(app.url, {"type": 1}, key)
    assert ok.status_code == 200 and ok.json() == {"type": 1}
    assert (await post(app.url, {"type": 1}, key, sign=False)).status_code == 401
    assert (await post(app.url, {"type": 1}, SigningKey.generate())).status_code == 401  # someone else's key
    assert (await post(app.url, {"type": 1}, key, ts=str(int(time.time()) - 3600))).status_code == 401  # replay
    for ts in ("nan", "inf", "-inf"):  # signed, but no time at all: as stale as an old one (nan passed)
        assert (await post(app.url, {"type": 1}, key, ts=ts)).status_code == 401, ts
    async with httpx.AsyncClient() as client:
        assert (await client.post(app.url, content=b'{"type":1}')).status_code == 401  # unsigned


async def test_slash_commands_run_the_shared_logic(app: Served, key: SigningKey, settings: Settings,
                                                   story_store: Store) -> None:
    r = (await post(app.url, slash("search", query="nvidia"), key)).json()
    assert r["type"] == 4 and r["data"]["flags"] == 64  # personal answer: ephemeral
    assert r["data"]["allowed_mentions"] == {"parse": []}
    body = json.dumps(r["data"], ensure_ascii=False)
    assert "Nvidia beats estimates" in body and "@everyone" not in body

    sub = (await post(app.url, slash("subscribe", topic="chips"), key)).json()
    assert sub["type"] == 4 and "flags" not in sub["data"] and "chips" in sub["data"]["content"]
    assert effective_rules(settings, story_store)["news"].topics == ["ai", "chips"]

    bad = (await post(app.url, slash("subscribe", topic="nope"), key)).json()
    assert bad["data"]["flags"] == 64 and "Unknown topic" in bad["data"]["content"]


async def test_button_clicks_record_feedback_and_mute(app: Served, key: SigningKey, settings: Settings,
                                                      story_store: Store) -> None:
    up = interaction(3, {"custom_id": "signals:up:s-nvidia-1:ai", "component_type": 2})
    r = (await post(app.url, up, key)).json()
    assert r["type"] == 4 and r["data"]["flags"] == 64 and "recorded" in r["data"]["content"]
    again = (await post(app.url, {**up, "id": str(next(_ids))}, key)).json()
    assert "already recorded" in again["data"]["content"]
    replay = (await post(app.url, up, key)).json()  # the same interaction id twice
    assert replay["data"]["content"] == "Already handled."

    why = (await post(app.url, interaction(3, {"custom_id": "signals:why:s-nvidia-1:ai"}), key)).json()
    assert why["type"] == 4 and why["data"]["content"]

    mute = (await post(app.url, interaction(3, {"custom_id": "signals:mute:s-nvidia-1:ai"}), key)).json()
    assert "muted" in mute["data"]["content"]
    assert "ai" in muted_topics(story_store).get("news", frozenset())


async def test_slow_commands_are_deferred_then_answered(fake: FakeDiscord, key: SigningKey, settings: Settings,
                                                        story_store: Store) -> None:
    served = serve(fake, key, settings, story_store, defer_after=0.0)
    try:
        body = slash("search", query="nvidia")
        r = (await post(served.url, body, key)).json()
        assert r == {"type": 5, "data": {"flags": 64}}
        deadline = time.monotonic() + 5
        while not fake.interaction_edits and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        served.stop()
    ((token, edit),) = fake.interaction_edits
    assert token == body["token"] and "Nvidia beats estimates" in json.dumps(edit)
    assert edit["allowed_mentions"] == {"parse": []}


def test_bad_public_key_is_a_config_error(settings: Settings, story_store: Store) -> None:
    ctx = WebContext(settings, story_store, env={"DISCORD_PUBLIC_KEY": "not-hex"})
    with pytest.raises(ConfigError, match="DISCORD_PUBLIC_KEY"):
        create_app(ctx, parts=["bot.adapters.discord.web"])
    assert create_app(WebContext(settings, story_store, env={}), parts=["bot.adapters.discord.web"]).routes[-1].path \
        == "/healthz"  # not configured: no endpoint


async def test_a_command_is_answered_in_time_while_the_database_is_locked(app: Served, key: SigningKey,
                                                                          story_store: Store) -> None:
    """Discord's 3 seconds: the duplicate check wrote to the database before answering or
    deferring, and waited out SQLite's 10-second busy timeout while another process held the
    write lock, so Discord showed "The application did not respond" to a search that only reads."""
    import sqlite3

    lock = sqlite3.connect(str(story_store.engine.url.database), isolation_level=None, check_same_thread=False)
    lock.execute("BEGIN IMMEDIATE")
    try:
        start = time.monotonic()
        r = (await post(app.url, slash("search", query="nvidia"), key)).json()
        took = time.monotonic() - start
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert took < 3, f"answered after {took:.1f}s"
    assert r["type"] == 4 and "Nvidia beats estimates" in json.dumps(r["data"], ensure_ascii=False)


async def test_threshold_reset_from_discord(app: Served, key: SigningKey, settings: Settings,
                                            story_store: Store) -> None:
    """Discord's ``threshold`` option is a number, so "reset" could not be typed there: a boolean
    ``reset`` option says it."""
    from bot.adapters.discord.interactions import SUBCOMMANDS

    (options,) = [o for name, _, o in SUBCOMMANDS if name == "threshold"]
    assert ("reset", "Back to the config file's value", 5, False) in options
    before = effective_rules(settings, story_store)["news"].min_importance
    await post(app.url, slash("threshold", value=9.0), key)
    assert effective_rules(settings, story_store)["news"].min_importance == 9
    body = interaction(2, {"id": "1", "name": "signals", "type": 1, "options": [
        {"name": "threshold", "type": 1, "options": [{"name": "reset", "type": 5, "value": True}]}]})
    r = (await post(app.url, body, key)).json()
    assert "again, the config file's value (was 9, set from chat)" in r["data"]["content"], r
    assert effective_rules(settings, story_store)["news"].min_importance == before
