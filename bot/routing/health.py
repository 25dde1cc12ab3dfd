"""Source health notices: tell people when a feed they rely on stops working, and when it is back.

Every polled source counts: the config's and those added at runtime (chat, CLI, OPML).
A source is failing while the fetcher records consecutive failures or has paused it.
Once it has been failing for ``source_alert_after`` (setting; a paused source counts as
failing long enough), each channel that relies on it gets ONE notice; when it fetches
fine again, the channels that were told get ONE recovery notice.

Who is told: the channels in ``notice_channels`` (an ops/admin channel) plus the
channels whose ``sources`` list names the source; when ``notice_channels`` is empty,
also every channel without a ``sources`` list (all sources are theirs).

Keys make it idempotent: ``health:down:<source>:<channel>:<failing since>`` and
``health:up:...`` with the same tail, so running :func:`run_health` every minute, or
after a restart, never repeats a notice. Notices wait for the end of quiet hours. Adapters add their own notice marker (⚠), so the text has none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, select

from bot.logs import redact
from bot.models import Alert, AlertKind, DeliveryStatus
from bot.outbox.queue import NewDelivery, Outbox
from bot.routing.policy import quiet_until
from bot.routing.quiet import notices_of, quiet_notices
from bot.settings import ChannelRules, Settings, SourceSettings
from bot.sources.registry import effective_sources
from bot.store import Store
from bot.store import schema as t

__all__ = ["SourceHealth", "audience", "run_health", "source_health"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    name: str
    failing: bool
    since: datetime | None  # when it started failing, if known
    paused: bool
    error: str
    last_ok_at: datetime | None


def source_health(conn: Connection) -> dict[str, SourceHealth]:
    s = t.sources
    out: dict[str, SourceHealth] = {}
    for r in conn.execute(select(s)):
        failing = bool(r.paused) or (r.failures or 0) > 0
        since = r.failing_since or r.last_ok_at if failing else None
        out[r.name] = SourceHealth(r.name, failing, since, bool(r.paused),
                                   redact(r.pause_reason or r.last_error or "unknown error"), r.last_ok_at)
    return out


def audience(settings: Settings, source: str, rules_by_channel: Mapping[str, ChannelRules] | None = None,
             ) -> list[str]:
    """The channels told about ``source``'s health (see the module docstring)."""
    names = list(settings.notice_channels)
    for ch in settings.channels:
        rules = (rules_by_channel or {}).get(ch.name) or settings.rules(ch)
        listed = rules.sources is not None and source in rules.sources
        unlisted = rules.sources is None and not settings.notice_channels
        excluded = source in (rules.exclude_sources or [])
        if (listed or unlisted) and not excluded and ch.name not in names:
            names.append(ch.name)
    return names


def _ago(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h" + (f" {minutes:02d}m" if minutes and hours < 24 else "")


def _notice(channel: str, key: str, text: str, url: str) -> NewDelivery:
    alert = Alert(kind=AlertKind.NOTICE, channel=channel, story_id="", title=text, url=redact(url), importance=0.0,
                  category="notice", text=text)
    return NewDelivery(key=key, alert=alert)


def _down_keys(conn: Connection) -> list[str]:
    d = t.deliveries
    # A key range rather than LIKE, so the unique index on ``key`` answers it (';' sorts after ':').
    return list(conn.execute(select(d.c.key).where(d.c.key >= "health:down:", d.c.key < "health:down;",
                                                   d.c.kind == AlertKind.NOTICE.value)).scalars())


def run_health(settings: Settings, store: Store, outbox: Outbox, now: datetime | None = None, *,
               rules_by_channel: Mapping[str, ChannelRules] | None = None) -> list[str]:
    """Enqueue the health notices due now; return their keys."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    after = settings.source_alert_after
    if after is None and settings.source_quiet_after is None:
        return []
    # every polled source: those added from chat, the CLI or OPML too (they got no notice at all)
    by_name: dict[str, SourceSettings] = {s.name: s for s in effective_sources(settings, store) if s.enabled}
    items: list[NewDelivery] = []
    with store.begin() as conn:
        health = source_health(conn)
        down_keys = set(_down_keys(conn))
        channels = [c.name for c in settings.channels]
        for name, src in by_name.items():
            h = health.get(name)
            if h is None:
                continue
            if h.failing:
                if after is None or (not h.paused and (h.since is None or now - h.since < after)):
                    continue
                tail = (h.since or h.last_ok_at or datetime(1970, 1, 1, tzinfo=UTC)).isoformat()
                paused = h.error if h.error.startswith("paused ") else f"paused: {h.error}"  # not "paused: paused after"
                how = paused if h.paused else f"failing for {_ago(now - h.since) if h.since else '?'}"
                text = f"Source {name} is {how}" + ("" if h.paused else f" ({h.error})") + \
                    ". Stories from it are missing until it recovers."
                items += [_notice(ch, f"health:down:{name}:{ch}:{tail}", text, src.url)
                          for ch in audience(settings, name, rules_by_channel)]
            else:
                for ch, tail in notices_of("down", name, down_keys, channels):
                    up = f"health:up:{name}:{ch}:{tail}"
                    since = datetime.fromisoformat(tail)
                    back = h.last_ok_at or now
                    gap = f" after {_ago(back - since)}" if since.year > 1970 else ""
                    items.append(_notice(ch, up, f"Source {name} is working again{gap}.", src.url))
        items += quiet_notices(settings, conn, by_name, lambda n: n not in health or health[n].failing, now,
                               lambda n: audience(settings, n, rules_by_channel), _notice)
        items = [_after_quiet_hours(i, settings, now, rules_by_channel) for i in items]
        added = [i.key for i in items if not outbox.has_key(conn, i.key)]
        outbox.enqueue(conn, items, now)
    for key in added:
        log.warning("source health notice", extra={"key": key})
    return added


def _after_quiet_hours(item: NewDelivery, settings: Settings, now: datetime,
                       rules_by_channel: Mapping[str, ChannelRules] | None) -> NewDelivery:
    channel = item.alert.channel
    rules = (rules_by_channel or {}).get(channel) or settings.rules(settings.channel(channel))
    until = quiet_until(rules, settings, now)
    return item if until is None else NewDelivery(item.key, item.alert, DeliveryStatus.HELD, until)
