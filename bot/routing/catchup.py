"""Catch-up after quiet hours: many held alerts become one short message, not a burst.

During quiet hours alerts wait in the outbox as HELD rows (``not_before`` = the end of
the quiet hours), follow-ups behind them. When the hours end, :func:`bundle_catch_up`
(called by the delivery job just before :func:`bot.outbox.deliver_due`) turns a channel's
due held alerts into ONE digest-style message when there are at least ``min_items`` of
them: "While quiet hours were on: 5 stories", ranked by importance. The bundled rows
(and their held follow-ups) are marked sent with ``error`` naming the catch-up key, so
the story still counts as alerted in that channel and is never posted again (caps do not
count them: the catch-up is one message). Fewer than
``min_items`` are released one by one as ordinary alerts. Beyond ``max_items`` the least
important ones go to the next digest instead (their rows leave the outbox, their
decision becomes ``over_cap``), so even a busy night is one readable message.

The same bundling serves a channel that was paused because its token was refused
(:func:`bundle_after_pause`, called by the dispatcher when the token works again).

It is all one transaction guarded on the rows' HELD status, so a dispatcher that claimed
a row first simply wins and the bundle is not made.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import and_, delete, select, update

from bot.models import Alert, AlertKind, DeliveryStatus
from bot.outbox.codec import alert_from_dict
from bot.outbox.queue import NewDelivery, Outbox
from bot.routing.history import BUNDLED, StoreHistory, Unsent
from bot.store import Store
from bot.store import schema as t

__all__ = ["bundle_after_pause", "bundle_catch_up"]

log = logging.getLogger(__name__)
DEFAULT_MIN_ITEMS = 3
DEFAULT_MAX_ITEMS = 15


class _Raced(Exception):
    """Another worker claimed a row: roll the bundle back."""


def bundle_catch_up(store: Store, outbox: Outbox, now: datetime | None = None,
                    min_items: int = DEFAULT_MIN_ITEMS, max_items: int = DEFAULT_MAX_ITEMS) -> list[str]:
    """Bundle due held alerts per channel; return the catch-up keys enqueued."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    d = t.deliveries
    with store.begin() as c:
        rows = c.execute(select(d.c.id, d.c.key, d.c.channel, d.c.story_id, d.c.kind, d.c.payload,
                                d.c.next_try_at).where(
            d.c.status == DeliveryStatus.HELD.value, d.c.next_try_at <= now,
            d.c.kind.in_([AlertKind.ALERT.value, AlertKind.FOLLOWUP.value])).order_by(d.c.id)).all()
    by_channel: dict[str, list] = defaultdict(list)
    for r in rows:
        by_channel[r.channel].append(r)
    keys: list[str] = []
    for channel, items in by_channel.items():
        alerts = [r for r in items if r.kind == AlertKind.ALERT.value]
        if len(alerts) < min_items:
            continue
        ended = max(r.next_try_at for r in alerts)
        key = f"catchup:{channel}:{ended.isoformat()}"
        if _bundle(store, outbox, channel, items, key=key, status=DeliveryStatus.HELD, now=now, max_items=max_items,
                   title="While quiet hours were on", text="Held during quiet hours, most important first.",
                   why="held during quiet hours"):
            keys.append(key)
            log.info("quiet-hours catch-up bundled", extra={"channel": channel, "items": min(len(alerts), max_items)})
    return keys


def bundle_after_pause(store: Store, outbox: Outbox, channel: str, reason: str, now: datetime | None = None,
                       min_items: int = DEFAULT_MIN_ITEMS, max_items: int = DEFAULT_MAX_ITEMS) -> str | None:
    """When a paused destination (its token was refused) works again: the channel's alerts that
    queued up meanwhile leave as ONE catch-up, not a burst of stale messages. Only rows never
    tried (``attempts`` 0) are bundled, so nothing that may have been posted is. Returns the key."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    d = t.deliveries
    with store.begin() as c:
        items = c.execute(select(d.c.id, d.c.key, d.c.channel, d.c.story_id, d.c.kind, d.c.payload,
                                 d.c.next_try_at).where(
            d.c.channel == channel, d.c.status == DeliveryStatus.PENDING.value, d.c.attempts == 0,
            d.c.kind.in_([AlertKind.ALERT.value, AlertKind.FOLLOWUP.value])).order_by(d.c.id)).all()
    n = sum(r.kind == AlertKind.ALERT.value for r in items)
    if n < min_items:
        return None
    key = f"resumed:{channel}:{now.isoformat()}"
    if not _bundle(store, outbox, channel, list(items), key=key, status=DeliveryStatus.PENDING, now=now,
                   max_items=max_items, title=f"While posting here was paused ({reason})",
                   text="Queued while Signals could not post here, most important first.",
                   why="queued while posting was paused"):
        return None
    log.info("alerts queued during a pause bundled into one message", extra={"channel": channel, "items": n})
    return key


def _bundle(store: Store, outbox: Outbox, channel: str, items: list, *, key: str, status: DeliveryStatus,
            now: datetime, max_items: int, title: str, text: str, why: str) -> bool:
    """Turn ``items`` (rows in ``status``) into one message; False when another worker got a row first."""
    d = t.deliveries
    alerts = [r for r in items if r.kind == AlertKind.ALERT.value]
    ranked = sorted(alerts, key=lambda r: -float(r.payload.get("importance", 0.0)))
    alerts, extra = ranked[:max_items], ranked[max_items:]
    stories, dropped = {r.story_id for r in alerts}, {r.story_id for r in extra}
    bundled = alerts + [r for r in items if r.kind == AlertKind.FOLLOWUP.value and r.story_id in stories]
    entries = [alert_from_dict(r.payload) for r in alerts]
    n = len(entries)
    alert = Alert(kind=AlertKind.DIGEST, channel=channel, story_id="", url="", importance=entries[0].importance,
                  title=f"{title}: {n} stories" + (f" (+{len(extra)} in the next digest)" if extra else ""),
                  category="catch-up", text=text, items=entries)
    ids = [r.id for r in bundled]
    try:
        with store.begin() as c:
            if outbox.has_key(c, key):
                return False
            done = c.execute(update(d).where(and_(d.c.id.in_(ids), d.c.status == status.value))
                             .values(status=DeliveryStatus.SENT.value, sent_at=now,
                                     error=f"{BUNDLED}{key}")).rowcount
            if done != len(ids):
                raise _Raced
            hist = StoreHistory(c)
            for r in extra:
                if not hist.demote(channel, Unsent(r.key, r.story_id or "", 0.0),
                                   f"more than {max_items} alerts {why}; in the next digest"):
                    raise _Raced
            c.execute(delete(d).where(d.c.channel == channel, d.c.story_id.in_(dropped),
                                      d.c.kind == AlertKind.FOLLOWUP.value, d.c.status == status.value))
            outbox.enqueue(c, [NewDelivery(key=key, alert=alert)], now)
    except _Raced:
        log.info("catch-up not bundled: a row was claimed meanwhile", extra={"channel": channel})
        return False
    return True
