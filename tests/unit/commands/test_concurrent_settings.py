"""Two people changing one channel's settings at the same moment (SQLite and PostgreSQL).

Before: each command read the channel's rules, then wrote its change in a second
transaction. Two ``subscribe`` commands at once either both read ``[ai]`` and the second
write dropped the first's topic (both were told "now follows"), or both found no override
row and the second INSERT broke the primary key: that user was told the database was
not available.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from bot.commands import CommandService, Invocation, Reply, effective_rules
from bot.settings import Settings
from bot.store import Store
from bot.store import schema as t

from .conftest import NOW

ROUNDS = 8


def _at_once(settings: Settings, store: Store, *commands: tuple[str, str]) -> list[Reply]:
    """Run each ``(user, text)`` in its own thread, released together."""
    gate = threading.Barrier(len(commands))
    out: list[Reply | None] = [None] * len(commands)

    def go(i: int, user: str, text: str) -> None:
        service = CommandService(settings, store, clock=lambda: NOW)
        gate.wait()
        out[i] = service.run(Invocation(text=text, user=user, platform="slack", platform_channel="C1"))

    threads = [threading.Thread(target=go, args=(i, u, x)) for i, (u, x) in enumerate(commands)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return [r for r in out if r is not None]


def _reset(store: Store) -> None:
    with store.begin() as c:
        c.execute(t.overrides.delete())
        c.execute(t.audit.delete())


@pytest.fixture
def shared(store_url: str) -> Store:
    s = Store.open(store_url)
    yield s
    s.close()


def test_two_subscribes_at_once_both_take_effect(settings: Settings, shared: Store) -> None:
    for _ in range(ROUNDS):
        _reset(shared)
        replies = _at_once(settings, shared, ("U1", "subscribe chips"), ("U2", "subscribe space"))
        assert [r.text for r in replies if r.error] == []
        assert sorted(effective_rules(settings, shared)["news"].topics or []) == ["ai", "chips", "space"]
        # the second change's audit row starts from the first's result
        with shared.begin() as c:
            audit = c.execute(select(t.audit.c.before, t.audit.c.after).order_by(t.audit.c.id)).all()
        assert audit[0].after == audit[1].before


def test_two_thresholds_at_once_each_reply_names_the_value_it_replaced(settings: Settings, shared: Store) -> None:
    for _ in range(ROUNDS):
        _reset(shared)
        replies = _at_once(settings, shared, ("U1", "threshold 7"), ("U2", "threshold 8"))
        assert [r.text for r in replies if r.error] == []
        final = effective_rules(settings, shared)["news"].min_importance
        assert final in (7, 8)
        # the one that landed first replaced the config's 6; the other replaced that one's value
        was = sorted(r.text.rsplit("(was ", 1)[1].rstrip(").") for r in replies)
        assert was == sorted(["6", "8" if final == 7 else "7"])
