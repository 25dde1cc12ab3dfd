"""What timing policies need to know about the past, read inside the routing transaction.

Caps count the channel's top-level alerts (sent or still queued) in a window; alerts
held for quiet hours and posted together in one catch-up message do not count. The
over-cap notice of a window lists the stories that spilled into the digest (its
``items``), so its count never counts a story twice and needs no scan of ``decisions``.
An alert that is queued but not yet posted (a batch after downtime) can still give its
place to a more important story: :meth:`lowest_unsent` and :meth:`demote`.

:class:`StoreHistory` answers on the routing transaction's connection, so what earlier
stories of the same batch enqueued is visible. One instance serves a whole transaction
(:func:`history_for`): the first count per channel and window reads the outbox, later
ones only read the rows added since (a primary-key range), so a batch of hundreds of
stories costs a few queries, not a table scan per story.
``signals tune`` answers the same questions from a simulation (see ``replay``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, delete, func, or_, select, update

from bot.models import Alert, AlertKind, DeliveryStatus
from bot.outbox.codec import alert_from_dict, alert_to_dict
from bot.outbox.queue import BUNDLED
from bot.routing.rules import Action, Reason
from bot.store import schema as t

__all__ = ["BUNDLED", "ChannelHistory", "NoticeState", "StoreHistory", "Unsent", "history_for"]

_UNSENT = (DeliveryStatus.PENDING.value, DeliveryStatus.HELD.value)


@dataclass(frozen=True, slots=True)
class Unsent:
    """A queued top-level alert nobody has tried to post yet."""

    key: str
    story_id: str
    importance: float
    title: str = ""
    url: str = ""
    category: str = ""


@dataclass(frozen=True, slots=True)
class NoticeState:
    """A window's cap notice: absent, queued (with the alert to extend) or already posted."""

    exists: bool
    queued: Alert | None = None


class ChannelHistory(Protocol):
    def alerts_since(self, channel: str, since: datetime) -> int:
        """Top-level alerts for ``channel`` created at or after ``since`` (sent or queued)."""
        ...

    def notice(self, key: str) -> NoticeState:
        """The notice with this key, and its alert while it is still queued."""
        ...

    def update_notice(self, key: str, alert: Alert) -> bool:
        """Replace a queued (not yet sent) notice; False if it is gone or sent."""
        ...

    def lowest_unsent(self, channel: str, since: datetime) -> Unsent | None:
        """The least important alert created since ``since`` that is still queued, never attempted."""
        ...

    def demote(self, channel: str, item: Unsent, detail: str) -> bool:
        """Take ``item`` out of the queue; its story goes to the digest. False if it is already on its way."""
        ...

    def release_held(self, channel: str, story_id: str, now: datetime) -> bool:
        """Post the story's alert held for quiet hours now (the story became urgent). False if none is held."""
        ...

    def followup_times(self, channel: str, story_id: str, since: datetime) -> list[datetime]:
        """When the story's follow-ups in ``channel`` went out (or will: queued ones) at or after ``since``."""
        ...

    def waiting_followup(self, channel: str, story_id: str, now: datetime) -> tuple[str, Alert] | None:
        """The story's follow-up queued for later than ``now`` (paced, :mod:`bot.routing.pacing`) and
        never tried: its key and alert."""
        ...


class StoreHistory:
    """:class:`ChannelHistory` over the store, on the routing transaction's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._counts: dict[tuple[str, datetime], tuple[int, int]] = {}  # (channel, since) → (count, max id seen)

    def _alerts(self, channel: str, since: datetime, after_id: int = 0) -> int:
        d = t.deliveries
        q = select(func.count()).select_from(d).where(
            d.c.id > after_id, d.c.channel == channel, d.c.kind == AlertKind.ALERT.value, d.c.created_at >= since,
            d.c.status != DeliveryStatus.FAILED.value,
            or_(d.c.error.is_(None), d.c.error.not_like(f"{BUNDLED}%")))  # a catch-up is one message
        return int(self.conn.execute(q).scalar_one())

    def alerts_since(self, channel: str, since: datetime) -> int:
        top = int(self.conn.execute(select(func.max(t.deliveries.c.id))).scalar() or 0)
        cached = self._counts.get((channel, since))
        if cached is None:
            count = self._alerts(channel, since)
        else:
            count, seen = cached
            if top > seen:
                count += self._alerts(channel, since, after_id=seen)
        self._counts[(channel, since)] = (count, top)
        return count

    def notice(self, key: str) -> NoticeState:
        d = t.deliveries
        row = self.conn.execute(select(d.c.status, d.c.payload).where(d.c.key == key)).first()
        if row is None:
            return NoticeState(False)
        return NoticeState(True, alert_from_dict(row.payload) if row.status in _UNSENT else None)

    def update_notice(self, key: str, alert: Alert) -> bool:
        d = t.deliveries
        n = self.conn.execute(update(d).where(d.c.key == key, d.c.status.in_(_UNSENT))
                              .values(payload=alert_to_dict(alert))).rowcount
        return n == 1

    def lowest_unsent(self, channel: str, since: datetime) -> Unsent | None:
        d = t.deliveries
        rows = self.conn.execute(select(d.c.key, d.c.story_id, d.c.payload).where(
            d.c.channel == channel, d.c.kind == AlertKind.ALERT.value, d.c.created_at >= since,
            d.c.status.in_(_UNSENT), d.c.attempts == 0)).all()
        items = [Unsent(r.key, r.story_id or "", float(p.get("importance", 0.0)), str(p.get("title", "")),
                        str(p.get("url", "")), str(p.get("category", ""))) for r in rows for p in [r.payload or {}]]
        return min(items, key=lambda u: u.importance, default=None)

    def demote(self, channel: str, item: Unsent, detail: str) -> bool:
        d, dec = t.deliveries, t.decisions
        n = self.conn.execute(delete(d).where(d.c.key == item.key, d.c.status.in_(_UNSENT), d.c.attempts == 0)).rowcount
        if n != 1:
            return False
        self._counts = {k: v for k, v in self._counts.items() if k[0] != channel}  # recount this channel
        self.conn.execute(update(dec).where(dec.c.story_id == item.story_id, dec.c.channel == channel).values(
            action=Action.DIGEST.value, reason=Reason.OVER_CAP.value, detail=detail))
        return True

    def release_held(self, channel: str, story_id: str, now: datetime) -> bool:
        d = t.deliveries
        n = self.conn.execute(update(d).where(
            d.c.channel == channel, d.c.story_id == story_id, d.c.kind == AlertKind.ALERT.value,
            d.c.status == DeliveryStatus.HELD.value).values(status=DeliveryStatus.PENDING.value, next_try_at=now)).rowcount
        return n > 0


    def followup_times(self, channel: str, story_id: str, since: datetime) -> list[datetime]:
        d = t.deliveries
        at = func.coalesce(d.c.sent_at, d.c.next_try_at)
        return [r for r in self.conn.execute(select(at).where(
            d.c.channel == channel, d.c.story_id == story_id, d.c.kind == AlertKind.FOLLOWUP.value,
            d.c.status != DeliveryStatus.FAILED.value, at >= since)).scalars() if r is not None]

    def waiting_followup(self, channel: str, story_id: str, now: datetime) -> tuple[str, Alert] | None:
        d = t.deliveries
        row = self.conn.execute(select(d.c.key, d.c.payload).where(
            d.c.channel == channel, d.c.story_id == story_id, d.c.kind == AlertKind.FOLLOWUP.value,
            d.c.status == DeliveryStatus.PENDING.value, d.c.attempts == 0, d.c.next_try_at > now)
            .order_by(d.c.id.desc()).limit(1)).first()
        return None if row is None else (row.key, alert_from_dict(row.payload))


_BY_CONN: weakref.WeakKeyDictionary[Connection, StoreHistory] = weakref.WeakKeyDictionary()


def history_for(conn: Connection) -> StoreHistory:
    """The :class:`StoreHistory` of this transaction's connection (one per connection)."""
    hist = _BY_CONN.get(conn)
    if hist is None:
        hist = _BY_CONN[conn] = StoreHistory(conn)
    return hist
