"""What one worker process keeps between tasks: settings, store, a Pipeline on its own event loop.

The Pipeline (with its HTTP client and its clusterer) lives on one asyncio loop in a
background thread; task threads hand it coroutines, so concurrent fetch tasks share
one connection pool. Delivery runs on a second loop, so posting never queues behind
feed parsing. Processing runs in the task's own thread (it is CPU work and must
not stall fetches), behind the ``process`` lease. Created lazily on the first task,
and again after a fork, so Celery's prefork pool works as well as its thread pool.

Config edits reach a running worker as they reach ``signals run``: each task asks
:func:`runtime`, which checks the file's modification time and size at most every
``RELOAD_EVERY`` seconds (:class:`bot.settings.watch.ConfigWatcher`); a valid edit is swapped
into the pipeline between processing runs, a bad one is logged with file and line and the
settings in force stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import redis

from bot.pipeline import Pipeline
from bot.settings import Settings, SourceSettings, config_path, load_settings
from bot.settings.watch import ConfigWatcher
from bot.store import Store
from bot.tasks.leases import key

__all__ = ["Runtime", "active_sources", "runtime"]

log = logging.getLogger(__name__)
T = TypeVar("T")
SOURCES_TTL = 30.0
RELOAD_EVERY = 2.0  # seconds between two looks at the config file (a stat; the file is read only when it changed)


class Runtime:
    def __init__(self, settings: Settings, store: Store, broker_url: str, config_path: str | None = None) -> None:
        from bot.adapters.registry import build_destinations

        self.settings = settings
        self.store = store
        self._sources: tuple[float, dict[str, SourceSettings]] = (0.0, {})
        self.redis = redis.Redis.from_url(broker_url)
        self.loop = _loop_thread("signals-fetch")
        self.deliver_loop = _loop_thread("signals-deliver")  # posts never wait behind feed parsing
        self.pipeline = Pipeline(settings, store, build_destinations(settings), in_flight=in_flight())
        self.run(self.pipeline.__aenter__())
        # Load the classifier models and the clusterer's window now, not inside the first task.
        self.pipeline.load_models()
        self.generation: str | None = None  # the `process:gen` token this process's clusterer reflects
        self.process_lock = threading.Lock()
        self._watcher = ConfigWatcher(config_path, self._apply, current=settings) if config_path else None

    def check_config(self, now: float | None = None) -> bool:
        """Apply an edit of the config file, looking at most every ``RELOAD_EVERY`` seconds.
        True when new settings were applied."""
        return self._watcher is not None and self._watcher.check_due(RELOAD_EVERY, now)

    def _apply(self, new: Settings) -> None:
        """Swap in reloaded settings: the pipeline takes them between two processing runs (on its
        own loop, so a task thread never waits for a run in progress); new destinations are built
        for changed channels and tokens, as ``signals run`` does."""
        from bot.adapters.registry import build_destinations

        destinations = build_destinations(new)
        self.settings = new
        self._sources = (0.0, {})  # sources come from the new settings at the next lookup
        asyncio.run_coroutine_threadsafe(self.pipeline.apply_settings(new, destinations), self.loop)

    def source(self, name: str) -> SourceSettings | None:
        """The source as configured now: the config file plus sources added/paused at runtime (cached 30 s)."""
        at, by_name = self._sources
        if time.monotonic() - at > SOURCES_TTL or name not in by_name:
            by_name = {s.name: s for s in active_sources(self.settings, self.store)}
            self._sources = (time.monotonic(), by_name)
        return by_name.get(name)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the fetch loop from any thread; wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def run_delivery(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the delivery loop (the notifiers' HTTP clients live there)."""
        return asyncio.run_coroutine_threadsafe(coro, self.deliver_loop).result(timeout)

    def close(self) -> None:
        try:
            self.run(self.pipeline.__aexit__(None, None, None), timeout=30)
        except Exception as exc:  # shutting down: a client bound to the other loop may complain
            log.warning("worker runtime closed uncleanly: %s", exc)
        finally:
            for loop in (self.loop, self.deliver_loop):
                loop.call_soon_threadsafe(loop.stop)
            for loop in (self.loop, self.deliver_loop):  # closed once stopped: no loop left for the GC to warn about
                end = time.monotonic() + 5.0
                while loop.is_running() and time.monotonic() < end:
                    time.sleep(0.01)
                if not loop.is_running():
                    loop.close()
            self.store.close()
            self.redis.close()


def in_flight() -> timedelta:
    """How long a delivery this worker claimed is left to it before another worker may look it up and
    post it again (:mod:`bot.outbox.queue`): ``$SIGNALS_IN_FLIGHT`` seconds, default 240. A post takes
    at most about a minute (Discord's 30 s rate-limit wait and 15 s timeout, slack_sdk's retries), and
    another host's clock may run a minute or two ahead; a row a killed worker left waits this long."""
    return timedelta(seconds=float(os.environ.get("SIGNALS_IN_FLIGHT", "240")))


def active_sources(settings: Settings, store: Store) -> list[SourceSettings]:
    """Config sources plus those managed at runtime (``bot.sources``), where that module exists."""
    try:
        from bot.sources.registry import effective_sources
    except ImportError:
        return list(settings.sources)
    return effective_sources(settings, store)


def _loop_thread(name: str) -> asyncio.AbstractEventLoop:
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name=name, daemon=True).start()
    return loop


_lock = threading.Lock()
_current: tuple[int, Runtime] | None = None


def runtime() -> Runtime:
    """This process's runtime, built from ``$SIGNALS_CONFIG``, ``$SIGNALS_DATABASE_URL``, ``$SIGNALS_BROKER_URL``."""
    global _current
    with _lock:
        if _current is None or _current[0] != os.getpid():
            config = config_path()
            settings = load_settings(config)
            store = Store.open(os.environ.get("SIGNALS_DATABASE_URL") or settings.database_url)
            rt = Runtime(settings, store, os.environ["SIGNALS_BROKER_URL"], config_path=config)
            _current = (os.getpid(), rt)
            rt.redis.sadd(key("workers:ready"), f"{socket.gethostname()}:{os.getpid()}")  # for ops and benchmarks
            log.info("worker runtime ready", extra={"sources": len(settings.sources), "pid": os.getpid()})
        else:
            _current[1].check_config()
        return _current[1]


def close_runtime() -> None:
    global _current
    with _lock:
        if _current is not None and _current[0] == os.getpid():
            rt = _current[1]
            with contextlib.suppress(redis.RedisError):
                rt.redis.srem(key("workers:ready"), f"{socket.gethostname()}:{os.getpid()}")
            rt.close()
        _current = None
