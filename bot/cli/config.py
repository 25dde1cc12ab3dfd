"""``signals config check|show|export``: validate and inspect the configuration.

``check`` validates a file (exit 2 with ``file:line: key: message``). ``show`` prints
what each channel actually runs with: the file (channel, then ``defaults``), the
runtime overrides people set from chat (the ``overrides`` table) and built-in defaults,
each value annotated with where it comes from; secrets are redacted. ``export`` writes
the overrides back into the YAML text, editing only the lines concerned so comments,
order and ``${VAR}`` references survive, and validates the result before writing it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["register"]

_BUILTIN = {"min_importance": 5.0, "urgent_importance": 9.0, "followups": "thread", "mode": "alerts"}
_DESTINATIONS = ("console", "slack", "discord", "discord_webhook", "webhook")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="check, show or export the configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = csub.add_parser("check", help="validate a config file; exit 2 with file:line: key: problem")
    check.add_argument("path", nargs="?", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    check.set_defaults(func=_check)
    show = csub.add_parser("show", help="effective settings per channel: file + runtime overrides, secrets redacted")
    show.add_argument("path", nargs="?", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    show.add_argument("--channel", default=None, help="only this channel")
    show.add_argument("--db", default=None, help="database URL holding the overrides (default: $SIGNALS_DATABASE_URL, the config's database_url, or sqlite:///var/signals.db)")
    show.set_defaults(func=_show)
    export = csub.add_parser("export", help="write the config with runtime overrides merged in, as YAML")
    export.add_argument("path", nargs="?", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    export.add_argument("-o", "--output", default=None, help="file to write (default: stdout; may be the config itself)")
    export.add_argument("--db", default=None, help="database URL holding the overrides (default: $SIGNALS_DATABASE_URL, the config's database_url, or sqlite:///var/signals.db)")
    export.set_defaults(func=_export)


def _check(args: argparse.Namespace) -> int:
    from bot.errors import ConfigError, ConfigIssue
    from bot.logs import redact
    from bot.settings import load_settings

    notes: list[ConfigIssue] = []
    try:
        s = load_settings(args.path, notes=notes)
    except ConfigError as exc:
        n = len(exc.issues)
        print(f"{n} problem{'s' if n != 1 else ''} found:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {redact(str(issue))}", file=sys.stderr)
        return 2
    print(f"ok: {len(s.sources)} sources, {len(s.topics)} topics, {len(s.channels)} channels")
    for note in notes:
        print(f"  note: {redact(str(note))}")
    return 0


# -- overrides -------------------------------------------------------------------------
def _read_overrides(db: str | None) -> dict[str, dict[str, tuple[Any, str, str]]]:
    """channel → key → (value, by, at). A database that does not exist yet has none."""
    from sqlalchemy import select

    from bot.store import Store
    from bot.store import schema as t
    from bot.store.store import DEFAULT_DB

    url = db or os.environ.get("SIGNALS_DATABASE_URL") or DEFAULT_DB
    if url.startswith("sqlite:///") and ":memory:" not in url and not os.path.exists(url.removeprefix("sqlite:///")):
        return {}
    store = Store.open(url)
    try:
        with store.begin() as c:
            rows = c.execute(select(t.overrides).order_by(t.overrides.c.channel, t.overrides.c.key)).all()
    finally:
        store.close()
    out: dict[str, dict[str, tuple[Any, str, str]]] = {}
    for r in rows:
        out.setdefault(r.channel, {})[r.key] = (r.value, r.by, f"{r.at:%Y-%m-%d %H:%M} UTC")
    return out


def _flow(value: Any) -> str:
    import yaml

    return yaml.safe_dump([value], default_flow_style=True, width=10**6, allow_unicode=True).strip()[1:-1]


def _duration(value: Any) -> str | None:
    """A timedelta as the config writes it: ``2h``, ``90m``, ``30s``, ``7d``."""
    from bot.settings import format_duration

    return None if value is None else format_duration(value)


def _redacted(key: str, value: Any) -> Any:
    from urllib.parse import urlsplit

    from bot.logs import redact

    if isinstance(value, str) and key in ("discord_webhook", "webhook", "database_url"):
        parts = urlsplit(value)
        host = parts.hostname or ""
        return f"{parts.scheme}://{host}/[redacted]" if parts.scheme and (parts.path.strip("/") or parts.password) \
            else redact(value)
    return redact(value) if isinstance(value, str) else value


# -- show ------------------------------------------------------------------------------
def _show(args: argparse.Namespace) -> int:
    from bot.errors import CommandError
    from bot.logs import redact
    from bot.settings import ChannelRules, config_path, database_url, load_settings

    path = config_path(args.path)
    settings = load_settings(path)
    overrides = _read_overrides(database_url(args.db, settings))
    channels = [c for c in settings.channels if args.channel in (None, c.name)]
    if args.channel and not channels:
        raise CommandError(f"no channel {args.channel!r} in {path}; channels: "
                           f"{', '.join(c.name for c in settings.channels)}")
    out = [f"# effective settings: {path} + {sum(len(v) for v in overrides.values())} runtime override(s)",
           f"timezone: {_flow(settings.timezone)}",
           f"source_alert_after: {_flow(_duration(settings.source_alert_after))}"]
    if settings.notice_channels:
        out.append(f"notice_channels: {_flow(settings.notice_channels)}")
    if settings.database_url:
        out.append(f"database_url: {_flow(_redacted('database_url', settings.database_url))}")
    out.append("channels:")
    for ch in channels:
        mine = overrides.get(ch.name, {})
        out.append(f"  - name: {_flow(ch.name)}")
        for key in _DESTINATIONS:
            value = getattr(ch, key)
            if value:
                out.append(f"    {key}: {_flow(_redacted(key, value))}")
        for key in ChannelRules.model_fields:
            own, default = getattr(ch, key), getattr(settings.defaults, key)
            if key in mine:
                value, by, at = mine[key]
                origin = f"override by {by} at {at}" + (f"; file: {_flow(own if own is not None else default)}"
                                                         if (own if own is not None else default) is not None else "")
            elif own is not None:
                value, origin = own, ""
            elif default is not None:
                value, origin = default, "from defaults"
            elif key in _BUILTIN:
                value, origin = _BUILTIN[key], "built-in"
            elif key == "timezone":
                value, origin = settings.timezone, "global timezone"
            else:
                continue
            if hasattr(value, "model_dump"):
                value = value.model_dump(exclude_none=True)
            out.append(f"    {key}: {_flow(value)}" + (f"  # {origin}" if origin else ""))
        for key, (value, by, at) in mine.items():
            if key not in ChannelRules.model_fields:
                out.append(f"    # {key}: {_flow(value)}  (runtime only, by {by} at {at})")
    unknown = sorted(set(overrides) - {c.name for c in settings.channels})
    if unknown and args.channel is None:
        out.append(f"# overrides for channels not in the file (ignored): {', '.join(unknown)}")
    print(redact("\n".join(out)))  # registered secrets too, wherever they were substituted
    return 0


# -- export ----------------------------------------------------------------------------
def merge_overrides(text: str, overrides: dict[str, dict[str, Any]]) -> tuple[str, list[str]]:
    """Write ``overrides`` (channel → ChannelRules key → value) into the YAML ``text``.

    Only the affected values are replaced (or lines inserted after the channel's
    ``name``); everything else, comments included, is kept. Returns the new text and
    notes about what could not be written.
    """
    import yaml

    from bot.settings import ChannelRules

    notes: list[str] = []
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    channels = None
    if isinstance(root, yaml.MappingNode):
        channels = next((v for k, v in root.value if k.value == "channels"), None)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in text offsets
    seen: set[str] = set()
    for item in channels.value if isinstance(channels, yaml.SequenceNode) else []:
        if not isinstance(item, yaml.MappingNode):
            continue
        keys = {k.value: (k, v) for k, v in item.value if isinstance(k, yaml.ScalarNode)}
        name_node = keys.get("name")
        if name_node is None or name_node[1].value not in overrides:
            continue
        name = name_node[1].value
        seen.add(name)
        if item.flow_style:
            notes.append(f"channel {name}: written in flow style {{...}}; edit it by hand")
            continue
        for key, value in overrides[name].items():
            if key not in ChannelRules.model_fields:
                notes.append(f"channel {name}: {key} = {_flow(value)} is runtime-only; not written")
                continue
            if key in keys:
                node = keys[key][1]
                if isinstance(node, yaml.ScalarNode) or node.flow_style:
                    edits.append((node.start_mark.index, node.end_mark.index, _flow(value)))
                else:  # a block list/mapping: replace from the key's colon to the block's end
                    k = keys[key][0]
                    start = text.index(":", k.end_mark.index) + 1
                    end = node.end_mark.index
                    edits.append((start, end, f" {_flow(value)}\n" + " " * node.end_mark.column))
            else:
                k, v = name_node
                eol = text.find("\n", v.end_mark.index)
                eol = len(text) if eol < 0 else eol
                edits.append((eol, eol, f"\n{' ' * k.start_mark.column}{key}: {_flow(value)}"))
    for name in sorted(set(overrides) - seen):
        notes.append(f"channel {name}: not in the file; its overrides were not written")
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text, notes


def _export(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    import yaml

    from bot.errors import ConfigError, ConfigIssue
    from bot.settings import config_path, database_url, load_settings, settings_from_mapping

    path = config_path(args.path)
    settings = load_settings(path)
    raw = _read_overrides(database_url(args.db, settings))
    text = Path(path).read_text(encoding="utf-8")
    merged, notes = merge_overrides(text, {ch: {k: v[0] for k, v in keys.items()} for ch, keys in raw.items()})
    from bot.sources.export import merge_sources_from_db  # sources added/removed/paused at runtime

    merged, source_notes = merge_sources_from_db(merged, settings, database_url(args.db, settings))
    notes += source_notes
    try:
        settings_from_mapping(yaml.safe_load(merged), file=f"{path} (merged)")
    except ConfigError as exc:  # an override that no longer fits the file: report, write nothing
        raise ConfigError([*exc.issues, ConfigIssue(path, None, "", "overrides not exported")]) from exc
    for note in notes:
        print(f"signals: {note}", file=sys.stderr)
    if not args.output or args.output == "-":
        sys.stdout.write(merged)
        return 0
    out = Path(args.output)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent or ".", delete=False,
                                     prefix=f".{out.name}.") as tmp:
        tmp.write(merged)
    os.replace(tmp.name, out)
    n = sum(len(v) for v in raw.values())
    print(f"signals: wrote {out} with {n} override(s) merged", file=sys.stderr)
    return 0
