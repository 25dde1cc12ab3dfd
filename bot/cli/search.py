"""``signals search QUERY``: ranked full-text search over stored articles (SQLite FTS5)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store import Store

__all__ = ["DEMO_DB", "add_store_args", "config_settings", "open_store", "read_from", "register"]

DEMO_DB = "sqlite:///var/demo.db"  # where ``signals demo`` (``make demo``) stores


def add_store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=None, help="config file (used for its database_url)")
    p.add_argument("--db", default=None, help="database URL (default: $SIGNALS_DATABASE_URL, config, var/signals.db)")


def config_settings(args: argparse.Namespace) -> Settings | None:
    """The config's settings when ``--config`` is given or the config file exists; None otherwise."""
    from bot.settings import config_path, load_settings

    path = config_path(args.config)
    return load_settings(path) if args.config or Path(path).exists() else None


def open_store(args: argparse.Namespace, settings: Settings | None = None) -> Store:
    """The database ``bot.settings.database_url`` names (``--db``, ``$SIGNALS_DATABASE_URL``, the
    config's ``database_url``); the config is read only when needed and not given as ``settings``."""
    from bot.settings import database_url
    from bot.store import Store

    return Store.open(database_url(args.db) or database_url(None, settings or config_settings(args)))


def read_from(store: Store) -> str:
    """What an empty answer adds: the database read, and, when that is not the demo's while the
    demo's exists, how to read the demo's. ``make demo`` stores into var/demo.db and every other
    command reads var/signals.db, so after the README's first command its next ones answered
    'no stories' about stories just printed, with nothing saying another database was read."""
    from bot.store.engine import where

    here = where(store.engine)
    hint = f"database {here}"
    demo = DEMO_DB.removeprefix("sqlite:///")
    if Path(demo).exists() and Path(here).resolve() != Path(demo).resolve():
        hint += f"; the demo's stories are in {demo}: add --db {DEMO_DB}"
    return hint


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="full-text search over stored articles", formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="words are ANDed; \"a phrase\", OR, -word exclude. examples:\n"
                              "  signals search nvidia gpu\n  signals search '\"data center\" OR datacenter -gaming'\n"
                              "  signals search tsmc --limit 20 --format jsonl")
    p.add_argument("query", nargs="+", help="words to look for")
    p.add_argument("-n", "--limit", type=int, default=10, help="most articles shown, best first (default 10)")
    p.add_argument("--format", choices=["text", "jsonl"], default="text", help="text (default) or one JSON line per article")
    add_store_args(p)
    p.set_defaults(func=_search)


def _search(args: argparse.Namespace) -> int:
    from bot.commands.search import search_articles

    store = open_store(args)
    query = " ".join(args.query)
    hits = search_articles(store, query, limit=max(1, args.limit))
    if args.format == "jsonl":
        for h in hits:
            a = h.article
            print(json.dumps({"id": a.id, "story_id": a.story_id, "source": a.source, "title": a.title,
                              "url": a.url, "published_at": str(a.published_at) if a.published_at else None,
                              "rank": round(h.rank, 4)}, ensure_ascii=False))
        return 0
    if not hits:
        print(f"no stored article matches {query!r} ({read_from(store)})")
        return 0
    for i, h in enumerate(hits, 1):
        a = h.article
        when = str(a.published_at or a.fetched_at or "")[:16]
        story = f" [story {a.story_id[:10]}]" if a.story_id else ""
        print(f"{i:2}. {a.title}\n    {a.source} · {when}{story}\n    {a.url}")
    return 0
