"""Quiet-source notices: a feed that still answers but has published nothing for a long while.

Why: a site that moves its feed, abandons it or whose CMS is stuck often keeps answering
200 with the same old items. Polling succeeds, so the failing-source notice never comes,
and the channels relying on it lose its stories without a word; before, it showed only in
``/signals feeds`` and the web Sources page. A source whose newest stored article arrived
``source_quiet_after`` (setting, default 14 days; ``null``: never) ago, and that is not
failing, gets ONE notice per quiet spell in the channels :func:`bot.routing.health.audience`
names, and ONE "publishing again" when an article arrives.

Keys: ``health:quiet:<source>:<channel>:<newest article's arrival>`` and ``health:active:``
with the same tail, so running this every cycle, or after a restart, never repeats one.
Only sources with no article in the window are looked up one by one, so each cycle reads the
recent articles through ``ix_articles_fetched`` instead of grouping the whole table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import Connection, func, select

from bot.models import AlertKind
from bot.outbox.queue import NewDelivery
from bot.settings import Settings, SourceSettings
from bot.store import schema as t

__all__ = ["notices_of", "quiet_notices"]


def quiet_notices(settings: Settings, conn: Connection, sources: Mapping[str, SourceSettings],
                  failing: Callable[[str], bool], now: datetime,
                  audience: Callable[[str], list[str]],
                  notice: Callable[[str, str, str, str], NewDelivery]) -> list[NewDelivery]:
    """The quiet and publishing-again notices due now (``failing(name)``: has its own notice)."""
    after = settings.source_quiet_after
    if after is None:
        return []
    a = t.articles
    recent = set(conn.execute(select(a.c.source).where(a.c.fetched_at >= now - after).distinct()).scalars())
    told = _told(conn)
    items: list[NewDelivery] = []
    channels = [c.name for c in settings.channels]
    for name, src in sources.items():
        if name in recent:
            for ch, tail in notices_of("quiet", name, told, channels):
                since = datetime.fromisoformat(tail)
                days = (now - since).days
                items.append(notice(ch, f"health:active:{name}:{ch}:{tail}",
                                    f"Source {name} is publishing again after {days} days without a new article.",
                                    src.url))
            continue
        if failing(name):
            continue
        newest = t.as_utc(conn.execute(select(func.max(a.c.fetched_at)).where(a.c.source == name)).scalar())
        if newest is None:
            continue  # never published anything here: nothing has gone quiet
        text = (f"Source {name} has published nothing new for {(now - newest).days} days (newest article "
                f"{newest:%Y-%m-%d}) though its feed still answers. Stories from it are missing until it "
                "publishes again.")
        items += [notice(ch, f"health:quiet:{name}:{ch}:{newest.isoformat()}", text, src.url)
                  for ch in audience(name)]
    return items




def _told(conn: Connection) -> set[str]:
    d = t.deliveries
    return set(conn.execute(select(d.c.key).where(d.c.key >= "health:quiet:", d.c.key < "health:quiet;",
                                                  d.c.kind == AlertKind.NOTICE.value)).scalars())


def notices_of(kind: str, source: str, keys: Iterable[str], channels: Iterable[str]) -> list[tuple[str, str]]:
    """(channel, start) of ``source``'s health notices of ``kind`` among ``keys``
    (``health:KIND:SOURCE:CHANNEL:START``; kinds "down" and "quiet"). Matched against the known
    channel names, and START must read as a time: source and channel names may hold ":" ("HN:
    front page"), so the key cannot be cut at colons, and a source "HN" must not read the keys of
    "HN: front page"."""
    out = []
    for key in keys:
        for ch in channels:
            prefix = f"health:{kind}:{source}:{ch}:"
            if key.startswith(prefix):
                tail = key[len(prefix):]
                try:
                    datetime.fromisoformat(tail)
                except ValueError:
                    continue
                out.append((ch, tail))
    return out
