"""Prometheus counters for every stage, recorded through one-line hooks.

Stages call the small functions below (never prometheus_client directly), so a stage's
code reads as what it does, and the metric names live in one place. Recording is cheap
and never raises. Several processes (``web``, ``worker``, ``run``) share their counters
when ``PROMETHEUS_MULTIPROC_DIR`` names a writable folder (prometheus_client's
multiprocess mode); ``/metrics`` on the web process then shows them all. Gauges read
from the database and the broker (backlogs, deliveries by status) live in
:mod:`bot.web.metrics` and need no shared folder.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram

T = TypeVar("T")

__all__ = [
    "classifier_timer",
    "record_alerts",
    "record_articles",
    "record_delivery",
    "record_fetch",
    "record_queue_lag",
    "record_stories",
    "record_task",
    "registry",
    "timed_classifier",
]

FETCHES = Counter("signals_fetches", "Feed fetches by outcome (ok, not_modified, error, paused)", ["status"])
FETCH_FAILURES = Counter("signals_fetch_failures", "Failed feed fetches, by source", ["source"])
ARTICLES = Counter("signals_articles", "New articles stored")
STORIES = Counter("signals_stories", "New stories formed")
ALERTS = Counter("signals_alerts", "Alerts planned (one per story and channel)")
DELIVERIES = Counter("signals_deliveries", "Delivery outcomes (sent, failed, retrying, reconciled)", ["status"])
QUEUE_LAG = Histogram("signals_queue_lag_seconds", "Time a task waited in the broker before it started", ["task"],
                      buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900))
TASKS = Counter("signals_tasks", "Worker tasks by name and outcome (done, busy, error)", ["task", "outcome"])
CLASSIFIER = Histogram("signals_classifier_seconds", "Classifier (story scorer) latency per batch",
                       buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def record_fetch(source: str, status: str) -> None:
    FETCHES.labels(status).inc()
    if status == "error":
        FETCH_FAILURES.labels(source).inc()


def record_articles(n: int) -> None:
    if n > 0:
        ARTICLES.inc(n)


def record_stories(n: int) -> None:
    if n > 0:
        STORIES.inc(n)


def record_alerts(n: int) -> None:
    if n > 0:
        ALERTS.inc(n)


def record_delivery(status: str, n: int = 1) -> None:
    if n > 0:
        DELIVERIES.labels(status).inc(n)


def record_queue_lag(task: str, enqueued_at: float | None) -> None:
    if enqueued_at:
        QUEUE_LAG.labels(task).observe(max(0.0, time.time() - enqueued_at))


def record_task(task: str, outcome: str) -> None:
    TASKS.labels(task, outcome).inc()


@contextmanager
def classifier_timer() -> Iterator[None]:
    """``with classifier_timer(): scores = scorer.score(inputs)``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        CLASSIFIER.observe(time.perf_counter() - started)


def timed_classifier(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One-line hook: ``scores = timed_classifier(scorer.score, inputs)``."""
    with classifier_timer():
        return fn(*args, **kwargs)


def registry() -> CollectorRegistry:
    """What ``/metrics`` exposes: this process's metrics, or every process's in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        return reg
    from prometheus_client import REGISTRY

    return REGISTRY
