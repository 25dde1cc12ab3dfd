"""The three tasks, and how they are enqueued.

* ``signals.fetch(source)`` — under the ``source:<name>`` lease (a source is never
  fetched by two workers at once; a second copy of the task just returns "busy", and a
  copy queued before the source's last poll began returns "stale").
  New articles and the new ETag commit together, as in one process; then ``process``
  is enqueued.
* ``signals.process()`` — single-flight under the ``process`` lease: exactly one
  worker clusters at a time. Each worker keeps a clusterer in memory; a counter in
  Redis (``process:gen``) goes up after every run that changed stories, and a
  worker whose clusterer saw an older generation rebuilds it from the store before
  processing, so assignments never depend on which worker got the task. A "dirty" flag
  makes the lease holder run again when articles arrived while it worked.
* ``signals.deliver()`` — single-flight under the ``deliver`` lease; runs the
  pipeline's housekeeping (digests, catch-ups, health notices) first. The outbox's
  claim (pending→sending, committed before the post) and ``find_sent`` reconciliation
  already make each post happen once across crashes; the lease adds that no second
  dispatcher reconciles a row the first one is still posting.

A worker that dies loses its leases after their TTL and its unacknowledged task goes
back to the broker; the store's idempotency keys make any re-run harmless.
"""

from __future__ import annotations

import logging
import time
import uuid

import redis

from bot import metrics
from bot.outbox import deliver_due
from bot.pipeline import CycleReport
from bot.tasks.app import app
from bot.tasks.leases import Lease, key
from bot.tasks.runtime import runtime

__all__ = ["deliver", "enqueue_deliver", "enqueue_fetch", "enqueue_process", "fetch", "process"]

log = logging.getLogger(__name__)
QUEUED = "queued:"
DIRTY = "process:dirty"
GEN = "process:gen"
MARK_TTL = 15  # seconds a queued process/deliver marker holds back duplicates


def enqueue_fetch(r: redis.Redis, name: str, hold: float = 60.0) -> bool:
    """Queue a fetch unless one for this source is already waiting (for up to ``hold`` seconds)."""
    if not r.set(key(f"{QUEUED}fetch:{name}"), "1", nx=True, ex=max(1, int(hold))):
        return False
    fetch.apply_async(args=[name], kwargs={"enqueued_at": time.time()})
    return True


def enqueue_process(r: redis.Redis) -> bool:
    r.set(key(DIRTY), "1")
    if not r.set(key(f"{QUEUED}process"), "1", nx=True, ex=MARK_TTL):
        return False
    process.apply_async(kwargs={"enqueued_at": time.time()})
    return True


def enqueue_deliver(r: redis.Redis) -> bool:
    if not r.set(key(f"{QUEUED}deliver"), "1", nx=True, ex=MARK_TTL):
        return False
    deliver.apply_async(kwargs={"enqueued_at": time.time()})
    return True


@app.task(name="signals.fetch")
def fetch(source: str, enqueued_at: float | None = None) -> str:
    rt = runtime()
    metrics.record_queue_lag("fetch", enqueued_at)
    rt.redis.delete(key(f"{QUEUED}fetch:{source}"))
    src = rt.source(source)
    if src is None or not src.enabled:
        log.warning("fetch task for a source not in the config", extra={"source": source})
        return _done("fetch", "unknown")
    with Lease(rt.redis, f"source:{source}") as lease:
        if not lease.held:
            return _done("fetch", "busy")
        if _fetched_since(rt, src, enqueued_at):
            return _done("fetch", "stale")
        try:
            new = rt.run(rt.pipeline.fetch_source(src, CycleReport()))
        except Exception:
            metrics.record_task("fetch", "error")
            raise
    if new:
        enqueue_process(rt.redis)
    return _done("fetch", "done")


def _fetched_since(rt, src, enqueued_at: float | None) -> bool:  # type: ignore[no-untyped-def]
    """True when a poll of the source began after this copy of the task was queued: the copy is
    redundant. Copies pile up while no worker runs (the queued marker lasts one interval, so the
    scheduler queues another every interval); when workers come back, the first copy polls and
    the rest end here instead of polling the publisher again and again."""
    if enqueued_at is None:
        return False
    last = rt.store.fetch_state(src.name, src.url).last_fetch_at
    return last is not None and last.timestamp() > enqueued_at


@app.task(name="signals.process")
def process(enqueued_at: float | None = None) -> str:
    rt = runtime()
    metrics.record_queue_lag("process", enqueued_at)
    rt.redis.delete(key(f"{QUEUED}process"))
    rt.redis.set(key(DIRTY), "1")
    alerts = 0
    with Lease(rt.redis, "process") as lease:
        if not lease.held:
            return _done("process", "busy")
        with rt.process_lock:
            while rt.redis.delete(key(DIRTY)) and not lease.lost.is_set():
                alerts += _process_once(rt)
    if alerts:
        enqueue_deliver(rt.redis)
    return _done("process", "done")


def _process_once(rt) -> int:  # type: ignore[no-untyped-def]
    gen = rt.redis.get(key(GEN))
    if rt.generation is None or gen is None or gen.decode() != rt.generation:
        _catch_up(rt)
    report = CycleReport()
    changed = True
    try:
        rt.pipeline.process_pending(report)
        changed = bool(report.updated_stories)
    finally:
        if changed:  # a new token: every other worker catches up before its next run
            rt.generation = uuid.uuid4().hex
            rt.redis.set(key(GEN), rt.generation)
        else:
            rt.generation = gen.decode() if gen is not None else None
    if report.updated_stories:
        log.info("processed", extra={"stories": report.updated_stories, "new_stories": report.new_stories,
                                     "alerts": report.alerts})
    return report.alerts + report.followups


def _catch_up(rt) -> None:  # type: ignore[no-untyped-def]
    """Teach this worker's clusterer what other workers assigned since it last ran."""
    rt.pipeline.catch_up_stories()


@app.task(name="signals.deliver")
def deliver(enqueued_at: float | None = None) -> str:
    rt = runtime()
    metrics.record_queue_lag("deliver", enqueued_at)
    rt.redis.delete(key(f"{QUEUED}deliver"))
    return _done("deliver", _deliver(rt))


def _deliver(rt) -> str:  # type: ignore[no-untyped-def]
    """One dispatcher pass of this worker, under the ``deliver`` lease: "busy" if another holds it."""
    with Lease(rt.redis, "deliver") as lease:
        if not lease.held:
            return "busy"
        try:
            rt.pipeline.housekeeping()  # quiet-hours catch-ups, digests, source-health notices (idempotent keys)
        except Exception:
            log.exception("routing jobs failed; delivering what is queued")
        for _ in range(50):  # due() hands out at most 500 rows at a time
            report = rt.run_delivery(deliver_due(rt.pipeline.outbox, rt.pipeline.destinations, rt.pipeline.clock))
            if lease.lost.is_set() or not (report.sent or report.reconciled or report.failed):
                break
    return "done"


def _done(task: str, outcome: str) -> str:
    metrics.record_task(task, outcome)
    return outcome
