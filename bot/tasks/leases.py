"""Leases in Redis: a lock with a time-to-live that its holder keeps renewing.

A worker that dies (SIGKILL, lost machine) stops renewing, so its lease expires after
``ttl`` seconds and another worker can take the work over; a live holder renews every
``ttl/3`` from a background thread, so long work keeps it. Uses redis-py's ``Lock``
(a random token checked by Lua scripts), so only the holder can renew or release.

Leases used: ``source:<name>`` (one fetch per source at a time), ``process`` (one
clusterer at a time), ``deliver`` (one dispatcher at a time) and ``scheduler`` (one
scheduler enqueues).
"""

from __future__ import annotations

import logging
import os
import threading
from types import TracebackType

import redis
from redis.exceptions import LockError, RedisError

__all__ = ["Lease", "default_ttl", "key"]

log = logging.getLogger(__name__)


def key(name: str) -> str:
    """A Redis key in this deployment's namespace (``$SIGNALS_REDIS_PREFIX``, default ``signals:``).

    The same prefix goes in front of Celery's own keys (kombu's ``global_keyprefix``), so
    several deployments, or test runs, can share one Redis without seeing each other.
    """
    return os.environ.get("SIGNALS_REDIS_PREFIX", "signals:") + name


def default_ttl() -> float:
    """Seconds a dead holder keeps a lease: ``$SIGNALS_LEASE_TTL`` or 30."""
    return float(os.environ.get("SIGNALS_LEASE_TTL", "30"))


class Lease:
    """``with Lease(r, "process") as lease: if lease.held: ...`` — never blocks."""

    def __init__(self, client: redis.Redis, name: str, ttl: float | None = None) -> None:
        self.name = name
        self.ttl = ttl or default_ttl()
        self._lock = client.lock(key("lease:" + name), timeout=self.ttl, blocking=False, thread_local=False)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.held = False
        self.lost = threading.Event()  # set when a renewal failed: stop work that needs exclusivity

    def acquire(self) -> bool:
        try:
            self.held = bool(self._lock.acquire(blocking=False))
        except RedisError as exc:
            log.warning("cannot take lease %s: %s", self.name, exc)
            self.held = False
        if self.held:
            self._stop.clear()
            self._renewer = threading.Thread(target=self._renew, name=f"lease:{self.name}", daemon=True)
            self._renewer.start()
        return self.held

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self._lock.extend(self.ttl, replace_ttl=True)
            except (LockError, RedisError) as exc:
                log.error("lost lease %s: %s", self.name, exc)
                self.lost.set()
                return

    def release(self) -> None:
        if not self.held:
            return
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        try:
            self._lock.release()
        except (LockError, RedisError) as exc:  # expired meanwhile: nothing to release
            log.warning("lease %s was gone at release: %s", self.name, exc)
        self.held = False

    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.release()
