"""``signals db upgrade|current|prune|backup``: the schema's revision, bringing it up to date, retention, backup.

``Store.open`` upgrades on open by default; with ``SIGNALS_DB_AUTO_UPGRADE=0`` (several
processes on PostgreSQL, deploys that migrate once) run ``signals db upgrade`` first.
``signals db prune`` drops what no stage reads again (:mod:`bot.store.retention`; the bot
itself runs it daily with the config's ``retention``, so the command is for other ages and
dry runs). ``signals db backup --to FILE`` copies a SQLite database safely
while the bot runs (:mod:`bot.store.backup`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database: upgrade the schema, show its revision, or prune old rows")
    p.add_argument("action", choices=["upgrade", "current", "prune", "backup"],
                   help="upgrade the schema, show its current revision, prune old rows, or back up (SQLite)")
    p.add_argument("--to", default=None, metavar="FILE", help="backup: the new file to write")
    p.add_argument("--revision", default="head", help="target revision for upgrade (default: head)")
    p.add_argument("--db", default=None, help="database URL (default: $SIGNALS_DATABASE_URL, config, or sqlite file)")
    p.add_argument("--config", default=None, help="config file, for its database_url (and stories.window)")
    p.add_argument("--older-than", default="90d", metavar="AGE",
                   help="prune: stories quiet this long lose decisions, sent rows and body text (default 90d)")
    p.add_argument("--dry-run", action="store_true", help="prune: count what would go, change nothing")
    p.set_defaults(func=_db)


def _config(args: argparse.Namespace) -> Settings | None:
    """The config: ``--config``, else ``$SIGNALS_CONFIG`` or the default file; None when none was
    named and that one is missing or unreadable (then the defaults serve)."""
    from bot.settings import load_settings

    try:
        return load_settings(args.config)
    except Exception:  # no config file: the default database and window
        if args.config:
            raise
        return None


def _url(args: argparse.Namespace, config: Settings | None = None) -> str | None:
    """``bot.settings.database_url``'s order; the config is read only when ``--db`` and the
    environment name none (and it was not read already: ``config``)."""
    from bot.settings import database_url

    return database_url(args.db) or database_url(None, config or _config(args))


def _prune(args: argparse.Namespace) -> int:
    from bot.errors import CommandError
    from bot.settings.schema import StorySettings, parse_duration
    from bot.store import DEFAULT_DB, Store
    from bot.store.retention import prune

    try:
        age = parse_duration(args.older_than)
    except ValueError as exc:
        raise CommandError(f"--older-than {args.older_than!r}: {exc}") from exc
    config = _config(args)  # read once: its database_url and stories.window
    store = Store.open(_url(args, config) or DEFAULT_DB)
    try:
        print(prune(store, age, window=(config.stories if config else StorySettings()).window, dry_run=args.dry_run))
    finally:
        store.close()
    return 0


def _backup(args: argparse.Namespace) -> int:
    from bot.errors import CommandError
    from bot.store import DEFAULT_DB, Store, make_engine
    from bot.store.backup import backup

    if not args.to:
        raise CommandError("signals db backup needs the file to write: --to var/signals-$(date +%F).db")
    # not Store.open: that migrates first, and the copy production.md asks for before an upgrade would
    # be of the upgraded database (and one a newer Signals wrote could not be copied at all)
    store = Store(make_engine(_url(args) or DEFAULT_DB))
    try:
        size = backup(store, args.to)
    finally:
        store.close()
    print(f"backed up to {args.to} ({size / 1e6:.1f} MB)")
    return 0


def _db(args: argparse.Namespace) -> int:
    from bot.store import DEFAULT_DB, make_engine, migrate

    if args.action == "prune":
        return _prune(args)
    if args.action == "backup":
        return _backup(args)

    engine = make_engine(_url(args) or DEFAULT_DB)  # a malformed URL: StoreError, password masked
    try:
        if args.action == "current":
            rev = migrate.current(engine)
            if rev == migrate.head():
                state = "up to date"
            elif rev is not None and not migrate.known(rev):
                state = f"newer than this code, which knows up to {migrate.head()}"
            else:
                state = f"behind (code needs {migrate.head()})"
            print(f"{rev or 'none'} ({state})")
            return 0
        before = migrate.current(engine)
        after = migrate.upgrade(engine, args.revision)
        print(f"upgraded {before or 'none'} -> {after}" if before != after else f"already at {after}")
        return 0
    finally:
        engine.dispose()
