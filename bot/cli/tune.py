"""``signals tune``: see what another threshold would have done before changing it.

Replays the stored stories of the last ``--days`` through each channel's rules (file
plus runtime overrides) at a range of ``min_importance`` values and prints, per value:
alerts per day (mean and max), digest items, precision from recorded 👍/👎 feedback,
and how many stories it gains or loses against the current setting, then the titles
gained one step down and lost one step up. ``--plot FILE.png`` draws the importance
distribution with the threshold lines and the alerts/day curve.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tune", help="replay history at other thresholds: alerts/day, digest items, precision",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  signals tune --channel ai-infra --days 14 --plot tune.png\n"
                              "  signals tune --thresholds 4,5,6,7")
    p.add_argument("--channel", default=None, help="channel to tune (default: every channel)")
    p.add_argument("--days", type=float, default=14, help="how much history to replay (default 14)")
    p.add_argument("--thresholds", default=None,
                   help="comma-separated min_importance values (default: current ±2 in steps of 0.5)")
    p.add_argument("--plot", default=None, metavar="FILE.png", help="write a chart (one file per channel)")
    p.add_argument("--show", type=int, default=5, help="titles to list as gained/lost (default 5)")
    p.add_argument("--until", default=None, help="end of the replayed window, ISO date/time in UTC (default now)")
    p.add_argument("--config", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    p.add_argument("--db", default=None, help="database URL (default: $SIGNALS_DATABASE_URL, the config's database_url, or sqlite:///var/signals.db)")
    p.set_defaults(func=_tune)


def _parse_until(value: str | None) -> datetime:
    from bot.errors import CommandError

    if not value:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--until: expected an ISO date such as 2026-11-24 or 2026-11-24T18:00, got {value!r}") \
            from exc
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _thresholds(value: str | None) -> list[float] | None:
    from bot.errors import CommandError

    if not value:
        return None
    try:
        out = [float(v) for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise CommandError(f"--thresholds: expected numbers such as 4,5,6.5, got {value!r}") from exc
    if any(not 0 <= v <= 10 for v in out):
        raise CommandError("--thresholds: values must be between 0 and 10")
    return out


def _tune(args: argparse.Namespace) -> int:
    from bot.errors import CommandError
    from bot.routing.replay import effective_rules, load_feedback, load_stories, replay, stored_window
    from bot.settings import database_url, load_settings
    from bot.store import Store
    from bot.store.store import DEFAULT_DB

    settings = load_settings(args.config)
    names = [c.name for c in settings.channels]
    if args.channel is not None and args.channel not in names:
        raise CommandError(f"no channel {args.channel!r}; channels: {', '.join(names) or 'none'}")
    if args.days <= 0:
        raise CommandError("--days must be positive")
    until = _parse_until(args.until)
    since = until - timedelta(days=args.days)
    levels = _thresholds(args.thresholds)
    url = database_url(args.db, settings) or DEFAULT_DB
    if url.startswith("sqlite:///") and ":memory:" not in url and not os.path.exists(url.removeprefix("sqlite:///")):
        raise CommandError(f"no database at {url}: nothing to replay yet (run the bot first, or pass --db)")
    store = Store.open(url)
    asked = since
    try:
        since, started = stored_window(store, since)
        stories = load_stories(store, since, until)
        channels = [args.channel] if args.channel else names
        for i, name in enumerate(channels):
            rules, muted = effective_rules(settings, store, name)
            report = replay(stories, settings, name, rules=rules, muted=muted, thresholds=levels,
                            feedback=load_feedback(store, name), since=since, until=until)
            if i:
                print()
            print(_table(report, since, until, args.show))
            if since != asked:
                print(f"  (stored history starts {started:%Y-%m-%d %H:%M} UTC: per-day figures count from "
                      f"{since:%Y-%m-%d %H:%M}, not over the {args.days:g} days asked)")
            if args.plot:
                from bot.routing.chart import render_chart

                out = Path(args.plot)
                if len(channels) > 1:
                    out = out.with_name(f"{out.stem}-{name}{out.suffix or '.png'}")
                out.write_bytes(render_chart(report, rules, muted))
                print(f"chart: {out}")
    finally:
        store.close()
    return 0


def _table(report, since: datetime, until: datetime, show: int) -> str:  # type: ignore[no-untyped-def]
    by_id = {s.id: s for s in report.stories}
    lines = [f"#{report.channel}: {since:%Y-%m-%d %H:%M} .. {until:%Y-%m-%d %H:%M} UTC, {len(report.stories)} stories, "
             f"current min_importance {report.current:g}",
             f"  {'threshold':>9}  {'alerts/day':>10}  {'max/day':>7}  {'digest items':>12}  "
             f"{'precision':>9}  {'labelled':>8}  {'👍 missed':>9}  {'vs current':>10}"]
    for r in report.results:
        mark = "*" if r.threshold == report.current else " "
        prec = f"{r.precision:.2f}" if r.precision is not None else "-"
        delta = f"+{len(r.gained)}/-{len(r.lost)}"
        lines.append(f"{mark} {r.threshold:>9g}  {r.mean_per_day:>10.1f}  {r.max_per_day:>7}  {r.digest_items:>12}  "
                     f"{prec:>9}  {r.labelled:>8}  {len(r.missed):>9}  {delta:>10}")
    lines.append("  (* current; precision = share of thumbs-up among alerted stories that have up/down feedback;"
                 " 👍 missed = stories given a thumbs-up here that this threshold would not alert)")
    levels = [r.threshold for r in report.results]
    at = levels.index(report.current)
    for idx, attr, verb in ((at - 1, "gained", "would also alert"), (at + 1, "lost", "would no longer alert")):
        if not 0 <= idx < len(levels) or show <= 0:
            continue
        r = report.results[idx]
        ids = sorted(getattr(r, attr), key=lambda sid: -by_id[sid].importance)
        if not ids:
            continue
        lines.append(f"At {r.threshold:g}, {verb} ({len(ids)}):")
        for sid in ids[:show]:
            s = by_id[sid]
            lines.append(f"  {s.importance:4.1f}  {s.title[:90]}  [{sid[:8]}]")
        if len(ids) > show:
            lines.append(f"  ... and {len(ids) - show} more")
    if not report.stories:
        lines.append("No stories in this window: run the bot for a while (or widen --days).")
    return "\n".join(lines)
