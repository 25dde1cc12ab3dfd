"""Redis leases and scheduler leadership, on a real Redis (own key prefix per test)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from bot.settings import settings_from_mapping
from bot.tasks import beat
from bot.tasks.leases import Lease, key


@pytest.fixture
def r(redis_url: str) -> redis.Redis:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


async def _until(cond, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        await asyncio.sleep(0.05)


def test_one_holder_at_a_time_and_release_hands_over(r: redis.Redis) -> None:
    with Lease(r, "source:a", ttl=5) as first:
        assert first.held
        with Lease(r, "source:a", ttl=5) as second:
            assert not second.held
        with Lease(r, "source:b", ttl=5) as other:
            assert other.held  # leases are per name
    with Lease(r, "source:a", ttl=5) as again:
        assert again.held


def test_a_live_holder_keeps_renewing_past_the_ttl(r: redis.Redis) -> None:
    with Lease(r, "process", ttl=0.6) as holder:
        time.sleep(1.5)
        assert not Lease(r, "process", ttl=0.6).acquire()
        assert not holder.lost.is_set()


def test_a_dead_holders_lease_expires(r: redis.Redis) -> None:
    dead = Lease(r, "deliver", ttl=0.5)
    assert dead.acquire()
    dead._stop.set()  # the holder stops renewing, as a SIGKILLed worker does
    time.sleep(0.8)
    taker = Lease(r, "deliver", ttl=0.5)
    assert taker.acquire()
    taker.release()
    assert r.get(key("lease:deliver")) is None


async def test_only_one_scheduler_enqueues_and_a_standby_takes_over(redis_url: str, r: redis.Redis,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.tasks.app import FETCH_QUEUE, configure

    configure(redis_url)
    monkeypatch.setattr(beat, "STANDBY_RETRY", 0.1)
    monkeypatch.setenv("SIGNALS_LEASE_TTL", "0.6")
    settings = settings_from_mapping({"sources": [
        {"name": f"s{i}", "url": f"http://127.0.0.1:9/{i}.xml", "every": "1h"} for i in range(3)]})
    queue = key(FETCH_QUEUE)
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    a = asyncio.create_task(beat.run_scheduler(settings, redis_url, stop_a))
    await asyncio.sleep(0.3)
    b = asyncio.create_task(beat.run_scheduler(settings, redis_url, stop_b))
    await _until(lambda: r.llen(queue) >= 3)
    await asyncio.sleep(1.0)
    assert r.llen(queue) == 3  # each source once, though two schedulers run
    stop_a.set()
    await a
    r.delete(queue, *r.keys(key("queued:*")))
    await _until(lambda: r.llen(queue) >= 3)  # the standby leads once the lease is free
    assert r.llen(queue) == 3
    stop_b.set()
    await b


def test_source_clock_follows_added_and_removed_sources() -> None:
    settings = settings_from_mapping({"sources": [
        {"name": n, "url": f"http://127.0.0.1:9/{n}.xml", "every": "10m"} for n in ("a", "b")]})
    clock = beat.SourceClock(settings, now=1000.0)
    assert sorted(clock.due(now=1000.5)) == ["a", "b"]
    assert clock.due(now=1001.0) == []  # next poll in about ten minutes
    kept = clock.next["a"]
    c = settings.sources[0].model_copy(update={"name": "c"})
    clock.refresh([settings.sources[0], c], now=1002.0)
    assert set(clock.next) == {"a", "c"} and clock.next["a"] == kept
    assert clock.due(now=1002.5) == ["c"]


def test_source_clock_follows_each_sources_adaptive_next_poll() -> None:
    settings = settings_from_mapping({"sources": [
        {"name": n, "url": f"http://127.0.0.1:9/{n}.xml", "every": "10m"} for n in ("quiet", "busy", "new")],
        "fetch": {"jitter": 0}})
    clock = beat.SourceClock(settings, now=1000.0)
    assert sorted(clock.due(now=1000.5)) == ["busy", "new", "quiet"]
    at = lambda t: datetime.fromtimestamp(t, UTC)  # noqa: E731
    clock.follow({"quiet": at(1000 + 6 * 3600), "busy": at(1000 + 300), "new": None, "gone": at(5000)}, now=1001.0)
    assert clock.next["quiet"] == 1000 + 6 * 3600  # a feed that never changes: max_every, not every 10 minutes
    assert clock.next["busy"] == 1300  # faster than every when min_every allows
    assert clock.next["new"] == 1000.5 + 600 and "gone" not in clock.next
    clock.follow({"quiet": at(999)}, now=1001.0)  # a next poll already passed says nothing new
    assert clock.next["quiet"] == 1000 + 6 * 3600
    clock.follow({"quiet": at(1000 + 30 * 86400)}, now=1001.0)  # at most a day ahead
    assert clock.next["quiet"] == 1001 + 86400


async def test_the_scheduler_does_not_enqueue_a_source_before_its_next_poll(redis_url: str, r: redis.Redis,
                                                                           tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A source whose worker stored a next poll three hours ahead (a quiet feed, a Retry-After)
    was enqueued at once on a (re)start and then every ``every`` regardless."""
    from bot.models import FetchState
    from bot.store import Store
    from bot.tasks.app import FETCH_QUEUE, configure

    configure(redis_url)
    settings = settings_from_mapping({"sources": [
        {"name": n, "url": f"http://127.0.0.1:9/{n}.xml", "every": "1h"} for n in ("due", "later")]})
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    store.save_fetch_state(FetchState("later", "http://127.0.0.1:9/later.xml", config_url="http://127.0.0.1:9/later.xml",
                                      next_poll_at=datetime.now(UTC) + timedelta(hours=3)))
    queue = key(FETCH_QUEUE)
    stop = asyncio.Event()
    task = asyncio.create_task(beat.run_scheduler(settings, redis_url, stop, store=store))
    try:
        await _until(lambda: r.llen(queue) >= 1)
        await asyncio.sleep(1.5)
        assert r.llen(queue) == 1 and r.exists(key("queued:fetch:due")) and not r.exists(key("queued:fetch:later"))
    finally:
        stop.set()
        await task
        store.close()
