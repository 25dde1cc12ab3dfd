"""Long-running mode: APScheduler runs one job per source, plus delivery and digests.

Each source has its own interval job with jitter (so 1,000 sources don't fire in the
same second) and ``max_instances=1`` (one source is never fetched twice at once).
Processing runs in a worker thread behind the pipeline's lock, so fetching continues
while stories are scored. Ctrl-C / SIGTERM stop the scheduler, let running jobs finish
and close connections; every stage commits whole transactions, so nothing is half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.adapters.base import Destination
from bot.errors import SignalsError
from bot.pipeline import Pipeline
from bot.settings import Settings, SourceSettings
from bot.settings.watch import ConfigWatcher
from bot.sources.registry import effective_sources
from bot.store import Store

__all__ = ["DELIVERY_EVERY", "PRUNE_EVERY", "add_prune_job", "run_forever", "schedule_sources"]

log = logging.getLogger(__name__)
DELIVERY_EVERY = timedelta(seconds=15)
SOURCES_SYNC_EVERY = timedelta(seconds=30)  # sources added/removed/paused from chat or the CLI
PRUNE_EVERY = timedelta(days=1)
STOP_GRACE = 8.0  # seconds a stop signal gives jobs in flight (Docker kills after 10 s)
CLOCK_CHECK = 5.0  # seconds between two looks at the wall clock against the monotonic one
CLOCK_JUMP = 30.0  # seconds of difference that count as the wall clock being set
PRUNE_FIRST = timedelta(minutes=10)  # not at start: a restart loop must not prune in a loop, nor delay the first poll


def add_prune_job(scheduler: AsyncIOScheduler, store: Callable[[], Store | None],
                  settings: Callable[[], Settings]) -> None:
    """Once a day, the config's ``retention`` (``bot.store.retention.prune_due``), in a thread:
    ``signals run`` and the leading ``signals scheduler`` run it, so the database stops growing
    without a cron entry."""
    async def prune_job() -> None:
        from bot.store.retention import prune_due

        st, s = store(), settings()
        if st is None:
            return
        try:
            report = await asyncio.to_thread(prune_due, st, s.retention, window=s.stories.window)
        except Exception:
            log.exception("daily prune failed")
            return
        if report is not None:
            log.info("daily prune: %s", report)

    scheduler.add_job(prune_job, IntervalTrigger(seconds=PRUNE_EVERY.total_seconds()), id="prune",
                      max_instances=1, coalesce=True, next_run_time=datetime.now(UTC) + PRUNE_FIRST)


def schedule_sources(scheduler: AsyncIOScheduler, pipeline: Pipeline, settings: Settings) -> None:
    """One interval job per enabled effective source (config + runtime changes); jobs of removed
    sources go away, unchanged sources keep their (adaptive) next run time."""
    enabled = [s for s in effective_sources(settings, pipeline.store) if s.enabled]
    wanted = {f"source:{s.name}" for s in enabled}
    for job in scheduler.get_jobs():
        if job.id.startswith("source:") and job.id not in wanted:
            job.remove()
    now = datetime.now(UTC)
    states = {st.source: st for st in pipeline.store.fetch_states()} if settings.fetch.adaptive else {}
    for i, src in enumerate(enabled):
        job = scheduler.get_job(f"source:{src.name}")
        if job is not None and job.args[1] == src:
            continue
        seconds = max(1.0, src.every.total_seconds())
        first = now + timedelta(milliseconds=20 * i)  # first poll now, staggered ...
        st = states[src.name].for_url(src.url) if src.name in states else None  # (fresh if its URL changed)
        if st is not None and st.next_poll_at is not None and job is None:
            first = max(first, min(st.next_poll_at, now + timedelta(days=1)))  # ... unless a restart came early
        scheduler.add_job(
            _fetch_job, IntervalTrigger(seconds=seconds, jitter=seconds * settings.fetch.jitter),
            args=[pipeline, src, scheduler], id=f"source:{src.name}", name=src.name, replace_existing=True,
            max_instances=1, coalesce=True, misfire_grace_time=int(seconds), next_run_time=first)


async def _fetch_job(pipeline: Pipeline, source: SourceSettings, scheduler: AsyncIOScheduler | None = None) -> None:
    try:
        with pipeline.running_job():
            if await pipeline.fetch_source(source):
                await pipeline.process_and_deliver()
            if scheduler is not None and pipeline.settings.fetch.adaptive:
                _reschedule(scheduler, pipeline, source)
    except asyncio.CancelledError:  # only Pipeline.stop cancels: a poll still running after its grace
        log.info("poll cut short by the stop", extra={"source": source.name})
    except SignalsError as exc:  # a database that refuses writes fails every poll: one line each, not a traceback
        log.error("source job failed: %s", exc, extra={"source": source.name})
    except Exception:  # a job must never kill the scheduler
        log.exception("source job failed", extra={"source": source.name})


def _reschedule(scheduler: AsyncIOScheduler, pipeline: Pipeline, source: SourceSettings) -> None:
    """Run the source's job next at its adaptive ``next_poll_at`` (set by the pipeline), with jitter."""
    at = pipeline.store.fetch_state(source.name, source.url).next_poll_at
    job = scheduler.get_job(f"source:{source.name}")
    if at is None or job is None:
        return
    now = datetime.now(UTC)
    spread = max(0.0, (at - now).total_seconds()) * pipeline.settings.fetch.jitter
    job.modify(next_run_time=max(at, now) + timedelta(seconds=random.uniform(0, spread)))


async def _renew_push(pipeline: Pipeline) -> None:
    """Renew WebSub leases before they end (only when SIGNALS_PUBLIC_URL is set)."""
    try:
        if pipeline.sources.subscriber is not None:
            polled = await asyncio.to_thread(effective_sources, pipeline.settings, pipeline.store)
            await pipeline.sources.subscriber.renew_due({s.name for s in polled if s.enabled})
    except Exception:
        log.exception("websub renewal failed")


async def _sync_sources(scheduler: AsyncIOScheduler, pipeline: Pipeline) -> None:
    try:
        schedule_sources(scheduler, pipeline, pipeline.settings)
    except Exception:
        log.exception("could not refresh the source jobs")


async def _deliver_job(pipeline: Pipeline) -> None:
    try:
        with pipeline.running_job():
            await pipeline.process_and_deliver()
    except asyncio.CancelledError:
        log.info("delivery cut short by the stop")
    except Exception:
        log.exception("delivery job failed")


async def _follow_clock(scheduler: AsyncIOScheduler) -> None:
    """Move every job's next run back as far as the wall clock is set back (:data:`CLOCK_JUMP` or more).

    APScheduler 3 keeps next run times on the wall clock and sleeps on the monotonic one: with the
    clock set back an hour (an NTP step, a VM restored from a snapshot, a clock fixed by hand) it found
    nothing due and slept an hour, so no source was polled and nothing delivered. A clock set forward
    is left alone: it cannot be told from a suspended machine waking (Linux's monotonic clock stops
    while suspended), and then every job runs once, coalesced, which is what a wake needs."""
    offset = time.time() - time.monotonic()
    while True:
        await asyncio.sleep(CLOCK_CHECK)
        now = time.time() - time.monotonic()
        jump, offset = now - offset, now
        if jump > -CLOCK_JUMP:
            continue
        delta = timedelta(seconds=jump)
        for job in scheduler.get_jobs():
            if job.next_run_time is not None:
                job.modify(next_run_time=job.next_run_time + delta)
        log.warning("the wall clock was set back by %s: every job's next run moved back with it",
                    timedelta(seconds=round(-jump)))
        scheduler.wakeup()


def _watch_config(scheduler: AsyncIOScheduler, pipeline: Pipeline, config_path: str,
                  rebuild: Callable[[Settings], Mapping[str, Destination]] | None) -> ConfigWatcher:
    """Reload the config when its file changes; a bad edit is reported and the old config stays."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    def on_change(new: Settings) -> None:
        async def swap() -> None:
            await pipeline.apply_settings(new, rebuild(new) if rebuild else None)
            schedule_sources(scheduler, pipeline, new)
            log.warning("config reloaded", extra={"config": config_path, "sources": len(new.sources)})
        task = loop.create_task(swap())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return ConfigWatcher(config_path, on_change, current=pipeline.settings)


async def run_forever(pipeline: Pipeline, settings: Settings,
                      extra_jobs: Callable[[AsyncIOScheduler], Awaitable[None] | None] | None = None, *,
                      config_path: str | None = None,
                      rebuild: Callable[[Settings], Mapping[str, Destination]] | None = None) -> None:
    """Run until SIGINT/SIGTERM. With ``config_path``, edits to the file are picked up live.

    A stop signal ends it within about :data:`STOP_GRACE` seconds (:meth:`Pipeline.stop`), with a
    closing ``signals stopped`` line; nothing fetched is lost (it is in the store)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    # A job late because the loop was busy (a slow store write) or the machine slept runs once, late
    # (coalesced); APScheduler's default grace of 1 s skipped it with a WARNING instead, and after a
    # wake the delivery pass and the config check waited a whole interval more.
    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True,
                                                             "max_instances": 1})
    schedule_sources(scheduler, pipeline, settings)
    scheduler.add_job(_deliver_job, IntervalTrigger(seconds=DELIVERY_EVERY.total_seconds()), args=[pipeline],
                      id="deliver", max_instances=1, coalesce=True)
    scheduler.add_job(_sync_sources, IntervalTrigger(seconds=SOURCES_SYNC_EVERY.total_seconds()),
                      args=[scheduler, pipeline], id="sources-sync", max_instances=1, coalesce=True)
    scheduler.add_job(_renew_push, IntervalTrigger(seconds=60), args=[pipeline], id="websub-renew",
                      max_instances=1, coalesce=True)
    add_prune_job(scheduler, lambda: pipeline.store, lambda: pipeline.settings)
    if extra_jobs is not None:
        result = extra_jobs(scheduler)
        if result is not None:
            await result
    watcher = _watch_config(scheduler, pipeline, config_path, rebuild) if config_path else None
    if watcher is not None:
        scheduler.add_job(watcher.check_once, IntervalTrigger(seconds=2), id="config-watch", max_instances=1,
                          coalesce=True)
    scheduler.start()
    clock = asyncio.get_running_loop().create_task(_follow_clock(scheduler))
    log.warning("signals running: %d sources, %d channels; Ctrl-C to stop",
                len(settings.sources), len(settings.channels))
    try:
        await stop.wait()
    finally:
        log.warning("stopping: waiting up to %ss for running jobs", int(STOP_GRACE))
        clock.cancel()
        scheduler.shutdown(wait=False)
        await pipeline.stop(STOP_GRACE)  # finish what is in flight, then what was fetched, while time remains
        log.warning("signals stopped")
