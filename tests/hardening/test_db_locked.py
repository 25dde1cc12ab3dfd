"""The database is locked or briefly unavailable while a cycle runs: it waits or retries, and loses nothing.

Another process (here: another connection in a thread, the same to SQLite) holds an
exclusive write lock. Two cases:

* shorter than the store's ``busy_timeout`` (10 s, set in :mod:`bot.store.store`): every
  write of the cycle waits for the lock, then the cycle completes — all articles stored,
  every story alerted once;
* longer than the wait (the test shortens ``busy_timeout`` on its own connections to keep
  it fast): storing fails with a clear :class:`StoreError`, the source's new ETag is *not*
  saved with it (same transaction), so the next poll fetches the full feed again and
  stores every article — the scheduler's next run is the retry.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from bot.adapters.registry import build_destinations
from bot.errors import StoreError
from bot.pipeline import Pipeline
from bot.store import Store
from bot.store import schema as t
from tests.fakes.webhook import Receiver
from tests.feedserver import FeedServer
from tests.hardening.hostile import N_ARTICLES, N_STORIES
from tests.hardening.world import feeds_and_hook, webhook_settings


def _failing_fast(db: Path) -> Store:
    """A store on ``db`` whose connections give up on a lock after 0.3 s (set after the store's
    own pragmas), so a test of a lock longer than the wait stays fast."""
    store = Store.open(f"sqlite:///{db}")
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _short_wait(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.execute("PRAGMA busy_timeout=300")

    return store


@pytest.fixture
def world() -> Iterator[tuple[FeedServer, Receiver]]:
    with feeds_and_hook(etags=True) as w:
        yield w


_settings = webhook_settings


def _hold_write_lock(path: Path, seconds: float) -> threading.Thread:
    """Another connection takes SQLite's write lock on ``path`` for ``seconds``; returns once it holds it."""
    taken = threading.Event()

    def run() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("BEGIN EXCLUSIVE")
        taken.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    th = threading.Thread(target=run, daemon=True)
    th.start()
    assert taken.wait(10)
    return th


def _count(store: Store, table) -> int:  # type: ignore[no-untyped-def]
    with store.begin() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar() or 0)


async def test_cycle_waits_for_a_locked_database_and_loses_nothing(world: tuple[FeedServer, Receiver],
                                                                   tmp_path: Path) -> None:
    feeds, hook = world
    db = tmp_path / "s.db"
    store = Store.open(f"sqlite:///{db}")
    holder = _hold_write_lock(db, 3.0)
    try:
        async with Pipeline(_settings(feeds, hook), store, build_destinations(_settings(feeds, hook))) as p:
            t0 = time.monotonic()
            report = await p.run_cycle()
            took = time.monotonic() - t0
        holder.join(10)
        assert took >= 2.0, f"the cycle did not wait for the lock ({took:.2f}s)"
        assert report.errors == 0 and report.new_articles == N_ARTICLES
        assert _count(store, t.articles) == N_ARTICLES and _count(store, t.stories) == N_STORIES
        alerts = [r["story_id"] for r in hook.received if r["kind"] == "alert"]
        assert len(alerts) == len(set(alerts)) == N_STORIES
    finally:
        store.close()


async def test_lock_longer_than_the_wait_fails_clearly_and_the_next_poll_stores_everything(
        world: tuple[FeedServer, Receiver], tmp_path: Path) -> None:
    feeds, hook = world
    db = tmp_path / "s.db"
    store = _failing_fast(db)
    settings = _settings(feeds, hook)
    holder = _hold_write_lock(db, 2.0)
    try:
        async with Pipeline(settings, store, build_destinations(settings)) as p:
            with pytest.raises(StoreError, match="locked"):
                await p.fetch_source(settings.sources[0])
            holder.join(10)
            assert _count(store, t.articles) == 0
            before = len(feeds.requests)
            # the scheduler's next run for that source (and the others), with the lock gone
            report = await p.run_cycle()
        retry = [r for r in feeds.requests[before:] if r.path == "/wire.xml"]
        assert retry and "If-None-Match" not in retry[0].headers  # the ETag was not saved without its articles
        assert report.errors == 0 and _count(store, t.articles) == N_ARTICLES
        alerts = [r["story_id"] for r in hook.received if r["kind"] == "alert"]
        assert len(alerts) == len(set(alerts)) == N_STORIES
    finally:
        store.close()


async def test_the_long_running_loop_logs_a_store_failure_as_one_line_naming_the_file(
        world: tuple[FeedServer, Receiver], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A database that refuses writes (locked, full disk, read-only) fails every poll of every source:
    each failure is one ERROR line with the file and the cause, not a 20-line traceback per poll."""
    import logging

    from bot.scheduler import _fetch_job

    feeds, hook = world
    db = tmp_path / "s.db"
    store = _failing_fast(db)
    settings = _settings(feeds, hook)
    holder = _hold_write_lock(db, 2.0)
    try:
        async with Pipeline(settings, store, build_destinations(settings)) as p:
            with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
                await _fetch_job(p, settings.sources[0])
            holder.join(10)
    finally:
        store.close()
    [rec] = [r for r in caplog.records if r.name == "bot.scheduler"]
    assert rec.exc_info is None and str(db) in rec.getMessage() and "locked" in rec.getMessage()
