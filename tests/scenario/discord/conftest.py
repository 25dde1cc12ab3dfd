"""A fake Discord REST API on loopback, discord.py pointed at it, and a real SQLite outbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.outbox import Outbox
from bot.settings import Settings, settings_from_mapping
from bot.store import Store
from tests.fakes.discord_api import FakeDiscord
from tests.scenario.discord.helpers import CONFIG, NEWS, OTHER, seed


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    api = FakeDiscord()
    api.add_channel(NEWS)
    api.add_channel(OTHER)
    with api.use():
        yield api
    api.close()


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    store = Store.open(f"sqlite:///{tmp_path}/signals.db")
    yield Outbox(store)
    store.close()


@pytest.fixture
def settings() -> Settings:
    return settings_from_mapping(CONFIG)


@pytest.fixture
def story_store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/stories.db")
    seed(s, "s-nvidia-1", "Nvidia beats estimates @everyone", ["ai"])
    yield s
    s.close()
