"""Sources changed at runtime (CLI or chat), layered over the config file.

The config file stays the declared baseline. The ``source_overrides`` table holds what
people changed since: sources *added* (a whole :class:`SourceSettings`), config sources
*removed* or *paused*, one row per source name. :func:`effective_sources` is the list the
pipeline and the scheduler poll; every change writes an ``audit`` row in the same
transaction. :func:`export_sources` gives ``signals config export`` the merged list.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from bot.errors import CommandError
from bot.settings import Settings, SourceSettings, format_duration
from bot.settings.feedurl import feed_key
from bot.store import Store
from bot.store import schema as t

__all__ = [
    "SourceChange",
    "SourceOverride",
    "add_source",
    "add_sources",
    "effective_sources",
    "export_sources",
    "list_source_overrides",
    "pause_source",
    "refuse_polled",
    "remove_source",
    "resume_source",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SourceOverride:
    name: str
    settings: SourceSettings | None  # set for a source added at runtime
    removed: bool
    paused: bool
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SourceChange:
    """What a registry call did, for the CLI/chat answer."""

    name: str
    action: str  # "added", "removed", "paused", "resumed"
    source: SourceSettings | None = None


def list_source_overrides(store: Store, conn: Connection | None = None) -> list[SourceOverride]:
    o = t.source_overrides
    q = select(o).order_by(o.c.name)

    def read(c: Connection) -> list[SourceOverride]:
        return [SourceOverride(r.name, SourceSettings.model_validate(r.settings, context={"stored": True})
                               if r.settings else None,
                               bool(r.removed), bool(r.paused), r.by, r.at) for r in c.execute(q)]

    if conn is not None:
        return read(conn)
    with store.begin() as c:
        return read(c)


def effective_sources(settings: Settings, store: Store) -> list[SourceSettings]:
    """Config sources minus removed ones, plus added ones; paused ones have ``enabled=False``."""
    ovs = {o.name: o for o in list_source_overrides(store)}
    out: list[SourceSettings] = []
    for src in settings.sources:
        ov = ovs.pop(src.name, None)
        if ov is None:
            out.append(src)
        elif not ov.removed:
            out.append(src.model_copy(update={"enabled": False}) if ov.paused else src)
        elif ov.settings is not None:  # removed, then added again under its name: the runtime settings
            out.append(ov.settings.model_copy(update={"enabled": False}) if ov.paused else ov.settings)
    for ov in ovs.values():
        if ov.settings is not None and not ov.removed:
            out.append(ov.settings.model_copy(update={"enabled": False}) if ov.paused else ov.settings)
    return out


def _find(settings: Settings, store: Store, name: str) -> tuple[SourceSettings | None, SourceOverride | None]:
    config = next((s for s in settings.sources if s.name == name), None)
    ov = next((o for o in list_source_overrides(store) if o.name == name), None)
    return config, ov


def _dump(src: SourceSettings) -> dict[str, Any]:
    """JSON-ready, durations in seconds (what ``parse_duration`` reads back)."""
    return {k: v.total_seconds() if isinstance(v, timedelta) else v for k, v in src.model_dump().items()}


def _audit(c: Connection, now: datetime, actor: str, action: str, name: str, before: Any, after: Any) -> None:
    c.execute(insert(t.audit).values(at=now, actor=actor, action=action, target=f"source:{name}",
                                     before=before, after=after))


def refuse_polled(settings: Settings, store: Store, url: str) -> None:
    """Raise when ``url`` is a polled source's feed under any of its addresses (http vs https,
    a trailing slash, the host's case: :func:`~bot.settings.feedurl.feed_key`)."""
    key = feed_key(url)
    same = next((s for s in effective_sources(settings, store) if feed_key(s.url) == key), None)
    if same is not None:
        raise _polled_as(url, same)


def _polled_as(url: str, same: SourceSettings) -> CommandError:
    also = "" if same.url == url else f" ({same.url})"
    return CommandError(f"{url} is already polled as “{same.name}”{also}.")


def add_source(settings: Settings, store: Store, source: SourceSettings, actor: str,
               now: datetime | None = None) -> SourceChange:
    """Add a source at runtime. The URL must already have passed the SSRF guard."""
    return add_sources(settings, store, [source], actor, now)[0]


def add_sources(settings: Settings, store: Store, sources: Sequence[SourceSettings], actor: str,
                now: datetime | None = None) -> list[SourceChange]:
    """Add several sources in one transaction, all or none (an OPML import).

    Checked against one reading of the sources: one by one, a 2,000-feed import re-read
    every override three times per feed and took 78 s.
    """
    now = now or datetime.now(UTC)
    polled = effective_sources(settings, store)
    names = {s.name for s in polled}
    urls = {feed_key(s.url): s for s in polled}
    for source in sources:
        if source.name in names:
            raise CommandError(f"A source named “{source.name}” already exists; pick another name with --name/name=.")
        key = feed_key(source.url)
        if (same := urls.get(key)) is not None:
            raise _polled_as(source.url, same)
        names.add(source.name)
        urls[key] = source
    o = t.source_overrides
    in_file = {s.name for s in settings.sources}
    with store.begin() as c:
        for source in sources:
            dumped = _dump(source)
            c.execute(delete(o).where(o.c.name == source.name))
            # over a config source removed at runtime: "removed" stays, with these settings in its place
            c.execute(insert(o).values(name=source.name, settings=dumped, removed=source.name in in_file,
                                       paused=False, by=actor, at=now))
            _audit(c, now, actor, "source add", source.name, None, dumped)
    for source in sources:
        log.info("source added", extra={"source": source.name, "url": source.url, "actor": actor})
    return [SourceChange(source.name, "added", source) for source in sources]


def remove_source(settings: Settings, store: Store, name: str, actor: str, now: datetime | None = None) -> SourceChange:
    now = now or datetime.now(UTC)
    config, ov = _find(settings, store, name)
    o = t.source_overrides
    with store.begin() as c:
        if ov is not None and ov.settings is not None and (not ov.removed or config is not None):
            if ov.removed:  # a config source's replacement: the config's stays removed
                _upsert(c, name, actor, now, removed=True, paused=False)
            else:  # added at runtime: forget it
                c.execute(delete(o).where(o.c.name == name))
            _audit(c, now, actor, "source remove", name, _dump(ov.settings), None)
        elif config is not None and not (ov and ov.removed):
            _upsert(c, name, actor, now, removed=True, paused=False)
            _audit(c, now, actor, "source remove", name, _dump(config), None)
        else:
            raise CommandError(_unknown(settings, store, name))
    log.info("source removed", extra={"source": name, "actor": actor})
    return SourceChange(name, "removed")


def pause_source(settings: Settings, store: Store, name: str, actor: str, now: datetime | None = None) -> SourceChange:
    return _set_paused(settings, store, name, True, actor, now or datetime.now(UTC))


def resume_source(settings: Settings, store: Store, name: str, actor: str,
                  now: datetime | None = None) -> SourceChange:
    """Resume a paused source; also clears a pause the fetcher set after repeated failures."""
    return _set_paused(settings, store, name, False, actor, now or datetime.now(UTC))


def _set_paused(settings: Settings, store: Store, name: str, paused: bool, actor: str, now: datetime) -> SourceChange:
    config, ov = _find(settings, store, name)
    if (config is None and (ov is None or ov.settings is None)) or (ov is not None and ov.removed
                                                                   and (ov.settings is None or config is None)):
        raise CommandError(_unknown(settings, store, name))
    replaced = ov is not None and ov.removed and ov.settings is not None  # a config name re-added at runtime
    src = ov.settings if replaced and ov else (config or (ov.settings if ov else None))
    assert src is not None
    state = store.fetch_state(name, src.url)
    was = bool(ov and ov.paused) or state.paused
    if was == paused:
        raise CommandError(f"“{name}” is {'already' if paused else 'not'} paused.")
    o = t.source_overrides
    with store.begin() as c:
        if ov is None:
            _upsert(c, name, actor, now, removed=False, paused=paused)
        elif ov.settings is None and not paused:
            c.execute(delete(o).where(o.c.name == name))  # back to the plain config source
        else:
            c.execute(update(o).where(o.c.name == name).values(paused=paused, by=actor, at=now))
        if not paused and state.paused:  # the fetcher's pause after failures or 410
            state.paused, state.pause_reason, state.failures, state.next_poll_at = False, None, 0, None
            store.save_fetch_state(state, c)
        _audit(c, now, actor, "source pause" if paused else "source resume", name, was, paused)
    log.info("source paused" if paused else "source resumed", extra={"source": name, "actor": actor})
    return SourceChange(name, "paused" if paused else "resumed")


def _upsert(c: Connection, name: str, actor: str, now: datetime, *, removed: bool, paused: bool) -> None:
    o = t.source_overrides
    c.execute(delete(o).where(o.c.name == name))
    c.execute(insert(o).values(name=name, settings=None, removed=removed, paused=paused, by=actor, at=now))


def _unknown(settings: Settings, store: Store, name: str) -> str:
    names = ", ".join(s.name for s in effective_sources(settings, store)) or "none"
    return f"No source named “{name}”. Sources: {names}"


def export_sources(settings: Settings, store: Store) -> tuple[list[dict[str, Any]], list[str]]:
    """The effective ``sources:`` list as YAML-ready mappings, and notes on what changed at runtime.

    For ``signals config export``: write the list under ``sources:`` (it replaces the file's).
    """
    notes: list[str] = []
    for ov in list_source_overrides(store):
        what = "added" if ov.settings else ("removed" if ov.removed else "paused")
        notes.append(f"source {ov.name}: {what} at runtime by {ov.by} at {ov.at:%Y-%m-%d %H:%M} UTC")
    out = []
    for src in effective_sources(settings, store):
        d = src.model_dump(mode="json", exclude_defaults=True)
        d = {"name": src.name, "url": src.url, **{k: v for k, v in d.items() if k not in ("name", "url")}}
        for key in ("every", "min_every", "max_every"):
            value = getattr(src, key)
            if key in d and value is not None:
                d[key] = format_duration(value)
        out.append(d)
    return out, notes


