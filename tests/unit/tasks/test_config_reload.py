"""Config edits reach the scale-out processes (``signals scheduler``, the Celery worker's runtime)
as they reach ``signals run``: valid edits apply within seconds, a bad one keeps the settings in
force. Real Redis, real SQLite, a real config file edited on disk."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import redis

from bot.settings import load_settings
from bot.store import Store
from bot.tasks import beat
from bot.tasks.app import FETCH_QUEUE, configure
from bot.tasks.leases import key
from bot.tasks.runtime import Runtime


def _config(path: Path, names: list[str], extra: str = "") -> None:
    path.write_text("sources:\n" + "".join(
        f"  - {{name: {n}, url: 'http://127.0.0.1:9/{n}.xml', every: 1h}}\n" for n in names)
        + "channels:\n  - {name: c, console: true}\n" + extra)


async def _until(cond, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        await asyncio.sleep(0.05)


async def test_scheduler_follows_sources_added_to_the_config(tmp_path: Path, redis_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    configure(redis_url)
    monkeypatch.setattr(beat, "RELOAD_EVERY", 0.2)
    cfg = tmp_path / "signals.yaml"
    _config(cfg, ["a"])
    r = redis.Redis.from_url(redis_url)
    queue = key(FETCH_QUEUE)
    stop = asyncio.Event()
    task = asyncio.create_task(beat.run_scheduler(load_settings(cfg), redis_url, stop, config_path=str(cfg)))
    try:
        await _until(lambda: r.llen(queue) == 1)
        cfg.write_text("sources: [\n")  # a broken edit: reported, the scheduler keeps going
        await asyncio.sleep(0.6)
        assert not task.done()
        _config(cfg, ["a", "b"])
        await _until(lambda: r.llen(queue) == 2)  # b is fetched without a restart; a is not queued twice
    finally:
        stop.set()
        await task
        r.close()


def test_worker_runtime_applies_a_valid_edit_and_keeps_settings_on_a_bad_one(tmp_path: Path,
                                                                             redis_url: str) -> None:
    cfg = tmp_path / "signals.yaml"
    _config(cfg, ["a"])
    rt = Runtime(load_settings(cfg), Store.open(f"sqlite:///{tmp_path}/s.db"), redis_url, config_path=str(cfg))
    try:
        assert rt.source("b") is None
        _config(cfg, ["a", "b"], "stories: {window: 24h}\n")
        assert not rt.check_config()  # looked at most every RELOAD_EVERY seconds
        assert rt.check_config(now=time.monotonic() + 10)
        assert rt.source("b") is not None and rt.settings.stories.window.total_seconds() == 86_400
        end = time.monotonic() + 10
        while rt.pipeline.settings is not rt.settings:  # swapped in on the pipeline's own loop
            assert time.monotonic() < end, "the pipeline never took the new settings"
            time.sleep(0.02)
        good = rt.settings
        cfg.write_text("sources:\n  - {name: a, url: 'http://127.0.0.1:9/a.xml', every: soon}\n")
        assert not rt.check_config(now=time.monotonic() + 20)
        assert rt.settings is good and rt.pipeline.settings is good
    finally:
        rt.close()
