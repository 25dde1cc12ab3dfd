"""``signals sources``: import/export OPML, add/remove/pause/resume, test and discover feeds.

Changes are stored as runtime overrides in the database (on top of the config file,
which is not edited) and audited; ``signals config export`` writes them back into YAML.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sources", help="manage sources: OPML import/export, add/remove/pause/resume, test, discover")
    ssub = p.add_subparsers(dest="sources_command", metavar="ACTION")

    def common(q: argparse.ArgumentParser) -> argparse.ArgumentParser:
        q.add_argument("--config", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
        q.add_argument("--db", default=None, help="database URL (default: $SIGNALS_DATABASE_URL, the config's database_url, or sqlite:///var/signals.db)")
        return q

    q = common(ssub.add_parser("list", help="the effective sources (config + runtime changes)"))
    q.set_defaults(func=_list)
    q = common(ssub.add_parser("import", help="add the feeds of an OPML file"))
    q.add_argument("file", help="OPML file ('-' for standard input)")
    q.add_argument("--topics-from-categories", action="store_true",
                   help="OPML folders/categories matching a configured topic become the source's topics")
    q.add_argument("--dry-run", action="store_true", help="show what would be added")
    q.set_defaults(func=_import)
    q = common(ssub.add_parser("export", help="the effective sources as OPML on standard output"))
    q.set_defaults(func=_export)
    q = common(ssub.add_parser("add", help="add a feed (or a site: its feed is discovered)"))
    q.add_argument("url", help="the feed's address, or a site's page (its feed is found)")
    q.add_argument("--every", default=None, help="poll interval, e.g. 15m (default 15m, then adaptive)")
    q.add_argument("--name", default=None, help="source name (default: the feed's title)")
    q.set_defaults(func=_add)
    for action in ("remove", "pause", "resume"):
        q = common(ssub.add_parser(action, help=f"{action} a source"))
        q.add_argument("name", help="the source's name, as signals sources list shows it")
        q.set_defaults(func=_change, action=action)
    q = common(ssub.add_parser("test", help="fetch a feed once: its latest items and how they would score"))
    q.add_argument("url", help="the feed's address")
    q.add_argument("--limit", type=int, default=5, help="items shown (default 5)")
    q.set_defaults(func=_test)
    q = common(ssub.add_parser("discover", help="find the feeds a site offers"))
    q.add_argument("url", help="the site's address, e.g. https://example.com/")
    q.set_defaults(func=_discover)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from bot.settings import database_url, load_settings
    from bot.store import Store

    settings = load_settings(args.config)
    return settings, Store.open(database_url(args.db, settings))


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def _list(args: argparse.Namespace) -> int:
    from bot.sources.registry import effective_sources, list_source_overrides

    settings, store = _open(args)
    try:
        ovs = {o.name: o for o in list_source_overrides(store)}
        states = {s.source: s for s in store.fetch_states()}
        for src in effective_sources(settings, store):
            ov, st = ovs.get(src.name), states.get(src.name)
            origin = "added" if ov and ov.settings else "config"
            status = "paused" if not src.enabled or (st and st.paused) else "active"
            nxt = f", next poll {st.next_poll_at:%Y-%m-%d %H:%M} UTC" if st and st.next_poll_at else ""
            print(f"{src.name}\t{src.url}\t{origin}, {status}{nxt}")
        for ov in ovs.values():
            if ov.removed and ov.settings is None:  # (with settings: replaced, listed above)
                print(f"# {ov.name}: removed at runtime by {ov.by}", file=sys.stderr)
    finally:
        store.close()
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.errors import CommandError
    from bot.sources.opml import OpmlError, parse_opml, to_sources
    from bot.sources.registry import add_sources, effective_sources

    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise CommandError(f"{args.file}: cannot read: {exc.strerror or exc}") from exc
    skipped: list[str] = []
    try:
        feeds = parse_opml(data, notes=skipped)
    except OpmlError as exc:
        raise CommandError(f"{args.file}: {exc}") from exc
    for note in skipped:
        print(f"signals: {args.file}: {note}", file=sys.stderr)
    settings, store = _open(args)
    try:
        current = effective_sources(settings, store)
        sources, notes = to_sources(feeds, topics_from_categories=args.topics_from_categories,
                                    topic_names=list(settings.topics) if settings.topics else None,
                                    taken=[s.name for s in current], taken_urls=[s.url for s in current])
        for note in notes:
            print(f"signals: {note}", file=sys.stderr)
        if not args.dry_run:
            add_sources(settings, store, sources, _actor())  # one transaction: all or none
        for src in sources:
            topics = f"  [{', '.join(src.topics)}]" if src.topics else ""
            print(f"{'would add' if args.dry_run else 'added'} {src.name}\t{src.url}{topics}")
    finally:
        store.close()
    print(f"signals: {len(sources)} of {len(feeds)} feeds {'to add' if args.dry_run else 'added'}", file=sys.stderr)
    return 0


def _export(args: argparse.Namespace) -> int:
    from bot.sources.opml import to_opml
    from bot.sources.registry import effective_sources

    settings, store = _open(args)
    try:
        sys.stdout.write(to_opml(effective_sources(settings, store)))
    finally:
        store.close()
    return 0


def _add(args: argparse.Namespace) -> int:
    from bot.sources.manage import add_from_url, parse_every, run_sync

    settings, store = _open(args)
    try:
        change = run_sync(add_from_url(settings, store, args.url, _actor(), every=parse_every(args.every),
                                       name=args.name))
    finally:
        store.close()
    assert change.source is not None
    print(f"added {change.name}\t{change.source.url}  (every {change.source.every}, adaptive)")
    return 0


def _change(args: argparse.Namespace) -> int:
    from bot.sources import registry

    fn = {"remove": registry.remove_source, "pause": registry.pause_source, "resume": registry.resume_source}
    settings, store = _open(args)
    try:
        change = fn[args.action](settings, store, args.name, _actor())
    finally:
        store.close()
    print(f"{change.action} {change.name}")
    return 0


def _test(args: argparse.Namespace) -> int:
    from bot.sources.manage import preview, run_sync

    settings, store = _open(args)
    store.close()
    pv = run_sync(preview(settings, args.url, limit=args.limit))
    print(f"{pv.title or pv.url} ({pv.kind}, {pv.entries} items) {pv.url}")
    for it in pv.items:
        when = f"{it.published_at:%Y-%m-%d %H:%M}" if it.published_at else "undated"
        topics = f" · {', '.join(it.topics)}" if it.topics else ""
        print(f"  {it.importance:4.1f}/10 {it.category}{topics}  {when}  {it.title}\n           {it.url}")
    return 0


def _discover(args: argparse.Namespace) -> int:
    from bot.sources.manage import discover_feeds, run_sync

    settings, store = _open(args)
    store.close()
    found = run_sync(discover_feeds(settings, args.url))
    if not found:
        print(f"signals: no feed found at {args.url}", file=sys.stderr)
        return 1
    for f in found:
        print(f"{f.url}\t{f.title or '-'}\t{f.kind}, {f.entries} items (via {f.via})")
    return 0
