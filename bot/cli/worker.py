"""``signals worker``: a Celery worker that fetches, processes and delivers tasks from ``SIGNALS_BROKER_URL``.

Run several (on one machine or many) against one PostgreSQL database and one Redis;
``signals scheduler`` feeds them. See docs/production.md. Without a broker it runs
the single-process loop of ``signals run``, so one Procfile serves both set-ups.
"""

from __future__ import annotations

import argparse
import os

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run a Celery worker (fetch, process, deliver tasks)")
    p.add_argument("--config", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    p.add_argument("--db", default=None, help="database URL (default: $SIGNALS_DATABASE_URL or the config's)")
    p.add_argument("--broker", default=None, help="broker URL (default: $SIGNALS_BROKER_URL)")
    p.add_argument("--concurrency", type=int, default=8, help="tasks at once in this process (default 8)")
    p.add_argument("--pool", choices=["threads", "prefork", "solo"], default="threads",
                   help="Celery pool (threads: one process sharing one HTTP pool; default)")
    p.add_argument("--name", default=None, help="worker node name (default: signals@<host>-<pid>)")
    p.set_defaults(func=_worker)


def _worker(args: argparse.Namespace) -> int:
    import socket

    from bot.settings import load_settings

    broker = args.broker or os.environ.get("SIGNALS_BROKER_URL")
    if not broker:  # the embedded default: one process fetches, processes and delivers on its own schedule
        import logging

        from bot.cli.run import run_with

        logging.getLogger(__name__).warning("SIGNALS_BROKER_URL is not set: running everything in this process")
        return run_with(load_settings(args.config), argparse.Namespace(
            once=False, dry_run=False, format="text", db=args.db, config=args.config))
    if args.config:
        os.environ["SIGNALS_CONFIG"] = args.config
    settings = load_settings(args.config)  # fail fast on a bad config, before Celery starts
    db = args.db or os.environ.get("SIGNALS_DATABASE_URL") or settings.database_url
    if db:
        os.environ["SIGNALS_DATABASE_URL"] = db
    os.environ["SIGNALS_BROKER_URL"] = broker
    from bot.store import Store

    Store.open(db).close()  # create/upgrade the schema once, before tasks race for it

    from celery.signals import worker_process_shutdown, worker_shutdown

    from bot.tasks.app import CORE_QUEUE, FETCH_QUEUE, configure
    from bot.tasks.runtime import close_runtime

    if args.pool != "prefork":  # one process: get the models loaded before the first task arrives
        from celery.signals import worker_ready

        from bot.tasks.runtime import runtime

        worker_ready.connect(lambda **_: runtime(), weak=False)
    worker_shutdown.connect(lambda **_: close_runtime(), weak=False)
    worker_process_shutdown.connect(lambda **_: close_runtime(), weak=False)
    app = configure(broker)
    name = args.name or f"signals@{socket.gethostname()}-{os.getpid()}"
    app.worker_main(["worker", "--pool", args.pool, "--concurrency", str(args.concurrency), "-n", name,
                     "-Q", f"{CORE_QUEUE},{FETCH_QUEUE}", "--without-gossip", "--without-mingle",
                     "--loglevel", os.environ.get("SIGNALS_LOG_LEVEL", "WARNING")])
    return 0
