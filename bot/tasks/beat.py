"""``signals scheduler``: the one process that enqueues work for the workers.

Why APScheduler behind a Redis lease and not Celery beat: sources have their own
intervals and come and go with the config; one APScheduler tick that enqueues what is
due reads them straight from the settings, where beat would need a schedule entry per
source. Only the holder of the ``scheduler`` lease enqueues; a second instance started
for availability waits, and takes over within the lease's TTL if the first one dies.

A source's fetch is enqueued only if none is waiting already (a marker in Redis that
the task clears when it starts), so a slow worker pool never collects a backlog of
copies. ``process`` and ``deliver`` are enqueued on their own timers too, which is
what picks up any work a killed worker left. Edits of the config file are followed as
``signals run`` follows them (sources added, removed, paused or re-timed; a bad edit is logged
with file and line and the sources in force stay). Each source's adaptive next poll, which the
worker that fetched it stores (``FetchState.next_poll_at``), is adopted at each sync
(every 30 s), so adaptive polling, ``Retry-After`` and a paused source's retries hold
here as in ``signals run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import redis
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.scheduler import add_prune_job
from bot.settings import Settings, SourceSettings
from bot.settings.watch import ConfigWatcher
from bot.store import Store
from bot.tasks.jobs import enqueue_deliver, enqueue_fetch, enqueue_process
from bot.tasks.leases import Lease
from bot.tasks.runtime import RELOAD_EVERY, active_sources

__all__ = ["SourceClock", "enqueue_all", "run_scheduler"]

log = logging.getLogger(__name__)
PROCESS_EVERY = timedelta(seconds=10)
DELIVER_EVERY = timedelta(seconds=5)
STANDBY_RETRY = 5.0
SOURCES_SYNC_EVERY = timedelta(seconds=30)


class SourceClock:
    """When each enabled source is due next; first polls staggered 20 ms apart."""

    def __init__(self, settings: Settings, sources: Sequence[SourceSettings] | None = None,
                 now: float | None = None) -> None:
        self.settings = settings
        self.every: dict[str, float] = {}
        self.next: dict[str, float] = {}
        self.refresh(settings.sources if sources is None else sources, now)

    def refresh(self, sources: Sequence[SourceSettings], now: float | None = None) -> None:
        """Follow sources added, removed or paused since; known sources keep their next time."""
        now = time.time() if now is None else now
        self.every = {s.name: max(1.0, s.every.total_seconds()) for s in sources if s.enabled}
        new = [name for name in self.every if name not in self.next]
        self.next = {name: at for name, at in self.next.items() if name in self.every}
        self.next.update({name: now + 0.02 * i for i, name in enumerate(new)})

    def follow(self, next_polls: Mapping[str, datetime | None], now: float | None = None) -> None:
        """Adopt each source's adaptive next poll (``FetchState.next_poll_at``, set by the worker
        that fetched it: publishing rate, cache headers, ``Retry-After``, a paused source's
        retry), when it lies ahead — at most a day ahead, so a bad value cannot silence a source.
        Without this the scheduler enqueued every source at its fixed ``every``: a feed
        that never changes, or asked for an hour's pause, was fetched every 15 minutes."""
        now = time.time() if now is None else now
        for name, at in next_polls.items():
            if name in self.next and at is not None and at.timestamp() > now:
                self.next[name] = min(at.timestamp(), now + 86400.0)

    def due(self, now: float | None = None) -> list[str]:
        now = time.time() if now is None else now
        out = [name for name, at in self.next.items() if at <= now]
        jitter = self.settings.fetch.jitter
        for name in out:
            every = self.every[name]
            self.next[name] = now + every * (1 + random.uniform(-jitter, jitter))
        return out


def enqueue_all(settings: Settings, r: redis.Redis, sources: Sequence[SourceSettings] | None = None) -> int:
    """Enqueue a fetch of every enabled source, then processing and delivery (``--once``)."""
    todo = settings.sources if sources is None else sources
    n = sum(enqueue_fetch(r, s.name, s.every.total_seconds()) for s in todo if s.enabled)
    enqueue_process(r)
    enqueue_deliver(r)
    return n


async def _tick(clock: SourceClock, r: redis.Redis) -> None:  # async: runs on the loop, no executor thread
    try:
        for name in clock.due():
            enqueue_fetch(r, name, clock.every[name])
    except redis.RedisError as exc:
        log.error("cannot enqueue fetches: %s", exc)


async def _safe(fn, r: redis.Redis) -> None:  # type: ignore[no-untyped-def]
    try:
        fn(r)
    except redis.RedisError as exc:
        log.error("cannot enqueue: %s", exc)


async def _sync(clock: SourceClock, store: Store) -> None:
    try:
        clock.refresh(await asyncio.to_thread(active_sources, clock.settings, store))
        if clock.settings.fetch.adaptive:
            states = await asyncio.to_thread(store.fetch_states)
            clock.follow({st.source: st.next_poll_at for st in states})
    except Exception:
        log.exception("cannot read runtime-managed sources; keeping the current list")


async def _reload(watcher: ConfigWatcher, clock: SourceClock, store: Store | None) -> None:
    """Follow an edit of the config file (a stat per call; the file is read only when it changed)."""
    if not watcher.check_once():
        return
    if store is not None:
        await _sync(clock, store)
    else:
        clock.refresh(clock.settings.sources)
    log.warning("scheduler follows the edited config: %d sources", len(clock.every))


async def run_scheduler(settings: Settings, broker_url: str, stop: asyncio.Event | None = None,
                        store: Store | None = None, config_path: str | None = None) -> None:
    """Lead (enqueue) while holding the ``scheduler`` lease, stand by otherwise; until SIGINT/SIGTERM.
    With ``config_path``, edits of that file are followed."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    r = redis.Redis.from_url(broker_url)
    try:
        while not stop.is_set():
            lease = Lease(r, "scheduler")
            if not lease.acquire():
                log.info("another scheduler holds the lease; standing by")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), STANDBY_RETRY)
                continue
            try:
                settings = await _lead(settings, r, stop, lease, store, config_path)
            finally:
                lease.release()
    finally:
        r.close()


async def _lead(settings: Settings, r: redis.Redis, stop: asyncio.Event, lease: Lease, store: Store | None,
                config_path: str | None = None) -> Settings:
    """Enqueue until stopped or the lease is lost; returns the settings in force then."""
    clock = SourceClock(settings)
    sched = AsyncIOScheduler(timezone=UTC)
    if config_path is not None:
        def follow(new: Settings) -> None:
            clock.settings = new

        sched.add_job(_reload, IntervalTrigger(seconds=RELOAD_EVERY),
                      args=[ConfigWatcher(config_path, follow, current=settings), clock, store],
                      id="config", max_instances=1, coalesce=True)
    if store is not None:  # sources added/paused from chat or the CLI live in the database
        await _sync(clock, store)
        add_prune_job(sched, lambda: store, lambda: clock.settings)
        sched.add_job(_sync, IntervalTrigger(seconds=SOURCES_SYNC_EVERY.total_seconds()), args=[clock, store],
                      id="sources-sync", max_instances=1, coalesce=True)
    sched.add_job(_tick, IntervalTrigger(seconds=1), args=[clock, r], id="sources", max_instances=1, coalesce=True)
    sched.add_job(_safe, IntervalTrigger(seconds=PROCESS_EVERY.total_seconds()), args=[enqueue_process, r],
                  id="process", max_instances=1, coalesce=True)
    sched.add_job(_safe, IntervalTrigger(seconds=DELIVER_EVERY.total_seconds()), args=[enqueue_deliver, r],
                  id="deliver", max_instances=1, coalesce=True)
    sched.start()
    log.warning("scheduler leading: %d sources", len(clock.every))
    try:
        while not stop.is_set() and not lease.lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
    finally:
        sched.shutdown(wait=False)
        if lease.lost.is_set():
            log.error("scheduler lease lost; standing by")
    return clock.settings
