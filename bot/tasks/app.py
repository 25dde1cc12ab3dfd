"""The Celery app: Redis broker from ``SIGNALS_BROKER_URL``, late acks, fetches on their own queue.

Tasks are acknowledged after they finish (``acks_late``) and a task whose worker died is
handed to another worker when the broker's visibility timeout passes; every task is
idempotent (leases plus the store's keys), so running one twice is harmless. Fetch tasks
go to ``signals.fetch`` and processing/delivery to ``signals.core``, which workers poll
first, so a backlog of 2,000 fetches never delays the next alert.
"""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.signals import task_prerun

__all__ = ["CORE_QUEUE", "FETCH_QUEUE", "app", "configure"]

CORE_QUEUE = "signals.core"
FETCH_QUEUE = "signals.fetch"



def _transport_options(visibility: int) -> dict[str, int]:
    """Redis redelivers a task whose worker died after ``visibility`` seconds; sweep often enough to notice."""
    return {"visibility_timeout": visibility, "unacked_restore_interval": max(1, min(10, visibility // 5)),
            "unacked_restore_throttle": 1 if visibility < 120 else 10}


app = Celery("signals", include=["bot.tasks.jobs"])
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    task_default_queue=CORE_QUEUE,
    task_routes={"signals.fetch": {"queue": FETCH_QUEUE}},
    worker_prefetch_multiplier=2,
    worker_hijack_root_logger=False,
    worker_redirect_stdouts=False,
    broker_connection_retry_on_startup=True,
    broker_transport_options=_transport_options(int(os.environ.get("SIGNALS_VISIBILITY_TIMEOUT", "600"))),
)


def configure(broker_url: str | None = None) -> Celery:
    """Point the app at the broker (argument, else ``$SIGNALS_BROKER_URL``)."""
    url = broker_url or os.environ.get("SIGNALS_BROKER_URL")
    if not url:
        raise RuntimeError("SIGNALS_BROKER_URL is not set")
    app.conf.broker_url = url
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options, "global_keyprefix": os.environ.get("SIGNALS_REDIS_PREFIX", "signals:")}
    # Publish through connections made with these settings, not ones cached for a previous broker/prefix.
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None
    return app


if os.environ.get("SIGNALS_BROKER_URL"):
    configure()


class TaskIdFilter(logging.Filter):
    """Adds ``task`` and ``task_id`` to log lines written while a task runs (JSON logs show them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from celery import current_task

        if current_task and current_task.request.id and not hasattr(record, "task_id"):
            record.task = current_task.name
            record.task_id = current_task.request.id
        return True


@task_prerun.connect
def _prerun(**_: object) -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TaskIdFilter) for f in handler.filters):
            handler.addFilter(TaskIdFilter())

