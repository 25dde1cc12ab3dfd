"""``signals db upgrade|current``: the schema's Alembic revision, and bringing it up to date.

``Store.open`` upgrades on open by default; with ``SIGNALS_DB_AUTO_UPGRADE=0`` (several
processes on PostgreSQL, deploys that migrate once) run ``signals db upgrade`` first.
"""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database schema: upgrade to the newest revision, or show the current one")
    p.add_argument("action", choices=["upgrade", "current"])
    p.add_argument("--revision", default="head", help="target revision for upgrade (default: head)")
    p.add_argument("--db", default=None, help="database URL (default: $SIGNALS_DATABASE_URL, config, or sqlite file)")
    p.add_argument("--config", default=None, help="config file, for its database_url")
    p.set_defaults(func=_db)


def _url(args: argparse.Namespace) -> str | None:
    if args.db:
        return str(args.db)
    import os

    if os.environ.get("SIGNALS_DATABASE_URL"):
        return os.environ["SIGNALS_DATABASE_URL"]
    from bot.settings import load_settings

    try:
        return load_settings(args.config).database_url
    except Exception:  # no config file: fall back to the default database
        if args.config:
            raise
        return None


def _db(args: argparse.Namespace) -> int:
    from bot.store import DEFAULT_DB, make_engine, migrate

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
