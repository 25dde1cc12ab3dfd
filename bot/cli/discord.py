"""``signals discord sync|run``: register the ``/signals`` commands, or run the gateway bot.

Syncing is explicit (``sync``, or ``run --sync``) because Discord rate limits command
registration and nothing changes between restarts. ``--guild`` syncs to one server,
where commands appear at once; without it they are global (may take up to an hour).

The token comes from ``DISCORD_BOT_TOKEN``; ``DISCORD_API_URL`` overrides the API base
(tests, proxies). The gateway bot answers commands and buttons; alerts are posted by
the worker (``signals run``), which needs only the token.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("discord", help="Discord: sync the /signals commands or run the gateway bot")
    dsub = p.add_subparsers(dest="discord_command", metavar="ACTION")
    s = dsub.add_parser("sync", help="register the /signals app commands with Discord (explicitly, once)")
    s.add_argument("--guild", type=int, default=None, help="sync to this server only (immediate)")
    s.set_defaults(func=_sync)
    r = dsub.add_parser("run", help="connect to the gateway and answer /signals commands and buttons")
    r.add_argument("--config", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    r.add_argument("--db", default=None, help="database URL (default: $SIGNALS_DATABASE_URL, the config's database_url, or sqlite:///var/signals.db)")
    r.add_argument("--sync", action="store_true", help="also sync the commands at start")
    r.add_argument("--guild", type=int, default=None, help="with --sync: sync to this server only")
    r.set_defaults(func=_run)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _token() -> str | None:
    token = os.environ.get("DISCORD_BOT_TOKEN", "").strip()
    if not token:
        print("signals discord: set DISCORD_BOT_TOKEN to the bot's token (Developer Portal → Bot)", file=sys.stderr)
        return None
    return token


def _sync(args: argparse.Namespace) -> int:
    import asyncio

    from bot.adapters.discord.gateway import sync_commands
    from bot.adapters.discord.notifier import set_api_base

    token = _token()
    if token is None:
        return 2
    set_api_base(os.environ.get("DISCORD_API_URL"))
    names = asyncio.run(_guarded(sync_commands(token, args.guild)))
    where = f"server {args.guild}" if args.guild else "all servers (global; may take up to an hour to appear)"
    print(f"synced {len(names)} commands to {where}: {', '.join('/' + n for n in names)}")
    return 0


async def _guarded(coro):  # type: ignore[no-untyped-def]
    """discord.py errors → our error tree, so the CLI prints one clear line."""
    import discord

    from bot.adapters.discord.notifier import translate_error

    try:
        return await coro
    except (discord.DiscordException, OSError) as exc:
        raise translate_error(exc, "discord") from exc


def _run(args: argparse.Namespace) -> int:
    from bot.adapters.discord.gateway import SignalsClient
    from bot.adapters.discord.notifier import set_api_base
    from bot.commands import CommandService
    from bot.settings import config_path, database_url, load_settings
    from bot.settings.watch import ConfigWatcher
    from bot.store import Store

    token = _token()
    if token is None:
        return 2
    set_api_base(os.environ.get("DISCORD_API_URL"))
    settings = load_settings(args.config)
    store = Store.open(database_url(args.db, settings))
    service = CommandService(settings, store)
    config = ConfigWatcher(config_path(args.config),
                           service.use_settings, current=settings)
    client = SignalsClient(service, sync_on_start=args.sync, guild=args.guild, config=config)
    try:
        client.run(token, log_handler=None)
    finally:
        store.close()
    return 0
