"""``signals run``: fetch, process and deliver, once (``--once``) or on a schedule."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

__all__ = ["add_run_arguments", "register", "run_with"]


def add_run_arguments(p: argparse.ArgumentParser, config: str = "$SIGNALS_CONFIG or config/signals.yaml",
                      db: str = "$SIGNALS_DATABASE_URL, the config's database_url, or sqlite:///var/signals.db") -> None:
    """The options ``run`` and ``demo`` share; ``config`` and ``db`` are the defaults ``--help`` names
    (the demo's are its own files)."""
    p.add_argument("--once", action="store_true", help="one fetch cycle over all sources, process everything, exit")
    p.add_argument("--dry-run", action="store_true", help="post nothing and record no delivery")
    p.add_argument("--format", choices=["text", "jsonl"], default="text", help="how alerts are printed")
    p.add_argument("--config", default=None, help=f"config file (default: {config})")
    p.add_argument("--db", default=None, help=f"database URL (default: {db})")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="fetch feeds and post alerts (until stopped, or --once)", formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  signals run\n  signals run --once --dry-run --format jsonl   # one cycle, post nothing\n"
                              "  signals run --config config/team.yaml --log-format json")
    add_run_arguments(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from bot.settings import load_settings

    settings = load_settings(args.config)
    return run_with(settings, args)


def run_with(settings, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from bot.adapters.registry import build_destinations
    from bot.pipeline import Pipeline
    from bot.scheduler import run_forever
    from bot.settings import config_path, database_url
    from bot.store import Store
    from bot.store.runlock import hold_run_lock

    store = Store.open(database_url(args.db, settings))
    destinations = {} if args.dry_run else build_destinations(settings, args.format)
    from bot.commands import CommandService

    service = CommandService(settings, store)  # Socket Mode commands; config edits reach it via rebuild

    def rebuild(new):  # type: ignore[no-untyped-def]
        service.use_settings(new)
        return build_destinations(new, args.format)

    async def main() -> int:
        async with Pipeline(settings, store, destinations, dry_run=args.dry_run, fmt=args.format) as pipeline:
            if not args.dry_run:
                await _check_slack(settings)
            if args.once:
                report = await pipeline.run_cycle()
                print(f"signals: {report}", file=sys.stderr)
                return 1 if report.errors and report.errors == report.sources and report.sources else 0
            socket = None if args.dry_run else await _slack_socket_mode(service)
            try:
                await run_forever(pipeline, settings, config_path=config_path(args.config), rebuild=rebuild)
            finally:
                if socket is not None:
                    await socket.close_async()
            return 0

    try:
        with hold_run_lock(store):  # one signals run per database (bot.store.runlock says why)
            return asyncio.run(main())
    finally:
        store.close()


async def _check_slack(settings) -> None:  # type: ignore[no-untyped-def]
    """The token and each Slack channel, checked once at start (bot.adapters.slack.preflight)."""
    token = os.environ.get("SLACK_BOT_TOKEN")
    channels = {c.name: c.slack for c in settings.channels if c.slack}
    if token and channels:
        from bot.adapters.slack.preflight import check_slack

        await check_slack(token, channels, os.environ.get("SLACK_API_URL"))


async def _slack_socket_mode(service):  # type: ignore[no-untyped-def]
    """Slash commands and buttons over Socket Mode when ``SLACK_APP_TOKEN`` is set (no public URL needed)."""
    from bot.adapters.slack.preflight import check_app_token
    from bot.adapters.slack.socket import enabled, start_if_enabled

    env = os.environ
    if env.get("SLACK_APP_TOKEN") and not env.get("SLACK_BOT_TOKEN"):
        logging.getLogger(__name__).error("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Socket Mode needs both "
                                          "(docs/slack.md); /signals commands are not answered")
        return None
    if enabled(env) and await check_app_token(env["SLACK_APP_TOKEN"], env.get("SLACK_API_URL")) is not None:
        return None  # said, with what to do; a refused token would only retry forever
    return await start_if_enabled(service.settings, service.store, env, service=service)
