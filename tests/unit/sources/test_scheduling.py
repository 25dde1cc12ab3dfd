"""The scheduler polls the effective sources and follows each one's adaptive next poll."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.models import FetchState
from bot.pipeline import Pipeline
from bot.scheduler import _reschedule, schedule_sources
from bot.settings import SourceSettings, settings_from_mapping
from bot.sources.registry import add_source, pause_source
from bot.store import Store

SETTINGS = settings_from_mapping({"sources": [{"name": "A", "url": "https://a.example/f"},
                                              {"name": "B", "url": "https://b.example/f"}],
                                  "fetch": {"jitter": 0}})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/s.db")
    yield s
    s.close()


async def test_jobs_follow_runtime_changes_and_adaptive_times(store: Store) -> None:
    later = datetime.now(UTC) + timedelta(hours=3)
    store.save_fetch_state(FetchState(source="B", url="https://b.example/f", next_poll_at=later))
    pipeline = Pipeline(SETTINGS, store, {})
    sched = AsyncIOScheduler(timezone=UTC)
    sched.start(paused=True)
    try:
        schedule_sources(sched, pipeline, SETTINGS)
        jobs = {j.id: j for j in sched.get_jobs()}
        assert set(jobs) == {"source:A", "source:B"}
        assert jobs["source:B"].next_run_time == later  # a restart does not re-poll early
        assert jobs["source:A"].next_run_time < later

        add_source(SETTINGS, store, SourceSettings(name="C", url="https://c.example/f"), "cli:t")
        pause_source(SETTINGS, store, "A", "cli:t")
        before_b = sched.get_job("source:B").next_run_time
        schedule_sources(sched, pipeline, SETTINGS)  # the periodic sync
        assert {j.id for j in sched.get_jobs()} == {"source:B", "source:C"}
        assert sched.get_job("source:B").next_run_time == before_b  # unchanged source: untouched

        soon = datetime.now(UTC) + timedelta(minutes=42)
        store.save_fetch_state(FetchState(source="C", url="https://c.example/f", next_poll_at=soon))
        _reschedule(sched, pipeline, SourceSettings(name="C", url="https://c.example/f"))
        assert sched.get_job("source:C").next_run_time == soon
    finally:
        sched.shutdown(wait=False)


async def test_housekeeping_jobs_late_after_a_stall_or_a_suspend_run_once_without_a_warning(
        store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A job whose time passed while the event loop was busy (a slow store write) or the machine
    slept: APScheduler's default grace of 1 s skipped it ('Run time of job ... was missed by'), a
    WARNING every few minutes on a loaded box, and after a wake the delivery pass and the config
    check waited for their next interval. They run once, late, silently."""
    import logging
    import os
    import signal
    import time

    from bot.scheduler import run_forever

    cfg = tmp_path / "signals.yaml"
    cfg.write_text("sources: []\n")
    settings = settings_from_mapping({"sources": []})
    pipeline = Pipeline(settings, store, {})
    ran: list[str] = []

    async def stall() -> None:
        time.sleep(3.5)  # blocks the event loop, as a slow synchronous store write does

    def jobs(sched: AsyncIOScheduler) -> None:
        now = datetime.now(UTC)
        sched.add_job(stall, "date", run_date=now + timedelta(seconds=0.3))
        sched.add_job(lambda: os.kill(os.getpid(), signal.SIGTERM), "date", run_date=now + timedelta(seconds=5))
        sched.add_listener(lambda ev: ran.append(ev.job_id), mask=1 << 12)  # EVENT_JOB_EXECUTED

    with caplog.at_level(logging.WARNING, logger="apscheduler"):
        await run_forever(pipeline, settings, jobs, config_path=str(cfg))
    assert not [r for r in caplog.records if "missed" in r.getMessage()], caplog.text
    assert "config-watch" in ran


@pytest.mark.parametrize("hours", [-1, 1], ids=["back", "forward"])
async def test_jobs_keep_their_pace_when_the_wall_clock_jumps(store: Store, monkeypatch: pytest.MonkeyPatch,
                                                             hours: int) -> None:
    """APScheduler 3 keeps next run times on the wall clock: set back an hour (an NTP step, a VM restored
    from a snapshot), every poll and delivery pass waited an hour; set forward, every job was due at once.
    The jobs' next runs now move with the clock."""
    import asyncio
    import os
    import signal

    import time_machine

    from bot import scheduler as sched_mod
    from bot.scheduler import run_forever

    monkeypatch.setattr(sched_mod, "CLOCK_CHECK", 0.2, raising=False)
    settings = settings_from_mapping({"sources": []})
    pipeline = Pipeline(settings, store, {})
    runs: list[float] = []
    loop = asyncio.get_running_loop()

    def jobs(sched: AsyncIOScheduler) -> None:
        sched.add_job(lambda: runs.append(loop.time()), "interval", seconds=0.5, id="tick")

    async def jump_then_stop() -> None:
        await asyncio.sleep(1.2)
        with time_machine.travel(datetime.now(UTC) + timedelta(hours=hours), tick=True):
            before = len(runs)
            await asyncio.sleep(2.5)
            after = len(runs) - before
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.5)
        assert 3 <= after <= 6, (after, runs)  # every 0.5 s, as before the jump

    checker = asyncio.create_task(jump_then_stop())
    await run_forever(pipeline, settings, jobs)
    await checker
