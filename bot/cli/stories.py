"""``signals stories [--since 24h]``: recent stories with their sources."""

from __future__ import annotations

import argparse
import json

from bot.cli.search import add_store_args

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stories", help="list recent stories with their sources", formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  signals stories --since 6h\n  signals stories --since 7d --format jsonl\n"
                              "  signals stories --db sqlite:///var/demo.db   # the demo's stories")
    p.add_argument("--since", default="24h", help="how far back (e.g. 6h, 24h, 7d)")
    p.add_argument("--limit", type=int, default=50, help="most stories listed, newest first (default 50)")
    p.add_argument("--format", choices=["text", "jsonl"], default="text", help="text (default) or one JSON line per story")
    add_store_args(p)
    p.set_defaults(func=_stories)


def _stories(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.cli.search import open_store, read_from
    from bot.models import out_of_ten
    from bot.settings import parse_duration

    store = open_store(args)
    since = datetime.now(UTC) - parse_duration(args.since)
    rows = store.stories_since(since, args.limit)
    for s in rows:
        arts = store.story_articles(s.id)
        sources: dict[str, str] = {}
        for a in arts:
            sources.setdefault(a.source, a.url)
        if args.format == "jsonl":
            print(json.dumps({"story_id": s.id, "title": s.title, "importance": round(s.importance, 2),
                              "category": s.category, "topics": s.topics, "first_seen": s.first_seen.isoformat(),
                              "sources": [{"name": n, "url": u} for n, u in sources.items()]}, ensure_ascii=False))
            continue
        n = len(sources)
        print(f"{s.id}  {out_of_ten(s.importance)}/10 · {s.category}  {s.first_seen:%Y-%m-%d %H:%M}  "
              f"{n} source{'s' if n != 1 else ''}")
        print(f"    {s.title}")
        for name, url in sources.items():
            print(f"    - {name}: {url}")
    if not rows and args.format == "text":
        print(f"no stories since {since:%Y-%m-%d %H:%M} UTC ({read_from(store)})")
    store.close()
    return 0
