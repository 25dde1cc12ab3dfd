"""``signals scheduler``: the single process that enqueues fetch/process/deliver tasks for workers.

Safe to run twice for availability: only the holder of the Redis ``scheduler`` lease
enqueues. ``--once`` enqueues every source once and exits (tests, cron, a first fill).
"""

from __future__ import annotations

import argparse
import os

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scheduler", help="enqueue fetches for the workers on each source's interval")
    p.add_argument("--config", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    p.add_argument("--broker", default=None, help="broker URL (default: $SIGNALS_BROKER_URL)")
    p.add_argument("--once", action="store_true", help="enqueue every source once, then exit")
    p.set_defaults(func=_scheduler)


def _scheduler(args: argparse.Namespace) -> int:
    import asyncio

    import redis

    from bot.settings import load_settings

    broker = args.broker or os.environ.get("SIGNALS_BROKER_URL")
    if not broker:
        print("signals scheduler: set SIGNALS_BROKER_URL (e.g. redis://127.0.0.1:6379/0) or --broker")
        return 2
    settings = load_settings(args.config)
    from bot.tasks.app import configure
    from bot.tasks.beat import enqueue_all, run_scheduler

    configure(broker)
    if args.once:
        r = redis.Redis.from_url(broker)
        try:
            n = enqueue_all(settings, r)
        finally:
            r.close()
        print(f"signals scheduler: enqueued {n} fetches")
        return 0
    asyncio.run(run_scheduler(settings, broker))
    return 0
