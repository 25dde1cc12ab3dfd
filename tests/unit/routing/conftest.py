"""Fixtures for routing tests: a real SQLite store per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store import Store
from tests.unit.routing.routing_helpers import World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Callable[[Settings], World]]:
    stores: list[Store] = []

    def make(settings: Settings) -> World:
        store = Store.open(f"sqlite:///{tmp_path}/signals-{len(stores)}.db")
        stores.append(store)
        return World(store, settings)

    yield make
    for s in stores:
        s.close()
