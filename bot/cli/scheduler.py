"""``signals scheduler``: the single process that enqueues fetch/process/deliver tasks for workers.

Safe to run twice for availability: only the holder of the Redis ``scheduler`` lease
enqueues. ``--once`` enqueues every source once and exits (tests, cron, a first fill).
Without ``SIGNALS_BROKER_URL`` the worker schedules itself (``signals run``), so this
process just waits for SIGTERM: the same Procfile works with and without a broker.
"""

from __future__ import annotations

import argparse
import os

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scheduler", help="enqueue fetches for the workers on each source's interval")
    p.add_argument("--config", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    p.add_argument("--broker", default=None, help="broker URL (default: $SIGNALS_BROKER_URL)")
    p.add_argument("--db", default=None, help="database URL, for sources managed at runtime "
                                             "(default: $SIGNALS_DATABASE_URL or the config's)")
    p.add_argument("--once", action="store_true", help="enqueue every source once, then exit")
    p.set_defaults(func=_scheduler)


def _scheduler(args: argparse.Namespace) -> int:
    import asyncio

    import redis

    from bot.settings import load_settings

    broker = args.broker or os.environ.get("SIGNALS_BROKER_URL")
    settings = load_settings(args.config)
    if not broker:
        if args.once:
            print("signals scheduler: SIGNALS_BROKER_URL is not set; nothing to enqueue into")
            return 2
        return _idle()
    from bot.errors import BrokerError
    from bot.store import Store, safe_url
    from bot.tasks.app import configure
    from bot.tasks.beat import enqueue_all, run_scheduler
    from bot.tasks.runtime import active_sources

    configure(broker)
    store = Store.open(args.db or os.environ.get("SIGNALS_DATABASE_URL") or settings.database_url)
    try:
        if args.once:
            r = redis.Redis.from_url(broker)
            try:
                n = enqueue_all(settings, r, active_sources(settings, store))
            except (redis.RedisError, OSError) as exc:  # kombu's publish raises OSError subclasses too
                raise BrokerError(f"cannot reach the broker {safe_url(broker)}: {exc}") from exc
            finally:
                r.close()
            print(f"signals scheduler: enqueued {n} fetches")
            return 0
        from bot.settings import config_path

        asyncio.run(run_scheduler(settings, broker, store=store, config_path=config_path(args.config)))
        return 0
    finally:
        store.close()


def _idle() -> int:
    import logging
    import signal
    import threading

    logging.getLogger(__name__).warning("SIGNALS_BROKER_URL is not set: the worker schedules itself; idling")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    return 0
