"""What timing policies need to know about the past, read inside the routing transaction.

Caps count the channel's top-level alerts (sent or still queued) in a window; the
over-cap notice counts the stories that spilled into the digest in the same window.
An alert that is queued but not yet posted (a batch after downtime, quiet hours) can
still give its place to a more important story: :meth:`lowest_unsent` and :meth:`demote`.
:class:`StoreHistory` answers from the outbox and ``decisions`` tables on the caller's
connection, so decisions made earlier in the same batch are already visible.
``signals tune`` answers the same questions from a simulation (see ``replay``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, delete, func, select, update

from bot.models import Alert, AlertKind, DeliveryStatus
from bot.outbox.codec import alert_to_dict
from bot.routing.rules import Action, Reason
from bot.store import schema as t

__all__ = ["ChannelHistory", "StoreHistory", "Unsent"]

_UNSENT = (DeliveryStatus.PENDING.value, DeliveryStatus.HELD.value)


@dataclass(frozen=True, slots=True)
class Unsent:
    """A queued top-level alert nobody has tried to post yet."""

    key: str
    story_id: str
    importance: float


class ChannelHistory(Protocol):
    def alerts_since(self, channel: str, since: datetime) -> int:
        """Top-level alerts for ``channel`` created at or after ``since`` (sent or queued)."""
        ...

    def spilled_since(self, channel: str, since: datetime, exclude: str = "") -> int:
        """Other stories (not ``exclude``) sent to the digest by a cap, decided at or after ``since``."""
        ...

    def update_notice(self, key: str, alert: Alert) -> bool:
        """Replace the text of a queued (not yet sent) notice; False if it is gone or sent."""
        ...

    def lowest_unsent(self, channel: str, since: datetime) -> Unsent | None:
        """The least important alert created since ``since`` that is still queued, never attempted."""
        ...

    def demote(self, channel: str, item: Unsent, detail: str) -> bool:
        """Take ``item`` out of the queue; its story goes to the digest. False if it is already on its way."""
        ...


class StoreHistory:
    """:class:`ChannelHistory` over the store, on the routing transaction's connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def alerts_since(self, channel: str, since: datetime) -> int:
        d = t.deliveries
        q = select(func.count()).select_from(d).where(
            d.c.channel == channel, d.c.kind == AlertKind.ALERT.value, d.c.created_at >= since,
            d.c.status != DeliveryStatus.FAILED.value)
        return int(self.conn.execute(q).scalar_one())

    def spilled_since(self, channel: str, since: datetime, exclude: str = "") -> int:
        dec = t.decisions
        q = select(func.count()).select_from(dec).where(
            dec.c.channel == channel, dec.c.reason == Reason.OVER_CAP.value, dec.c.at >= since,
            dec.c.story_id != exclude)
        return int(self.conn.execute(q).scalar_one())

    def update_notice(self, key: str, alert: Alert) -> bool:
        d = t.deliveries
        n = self.conn.execute(update(d).where(
            d.c.key == key, d.c.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.HELD.value]))
            .values(payload=alert_to_dict(alert))).rowcount
        return n == 1

    def lowest_unsent(self, channel: str, since: datetime) -> Unsent | None:
        d = t.deliveries
        rows = self.conn.execute(select(d.c.key, d.c.story_id, d.c.payload).where(
            d.c.channel == channel, d.c.kind == AlertKind.ALERT.value, d.c.created_at >= since,
            d.c.status.in_(_UNSENT), d.c.attempts == 0)).all()
        items = [Unsent(r.key, r.story_id or "", float((r.payload or {}).get("importance", 0.0))) for r in rows]
        return min(items, key=lambda u: u.importance, default=None)

    def demote(self, channel: str, item: Unsent, detail: str) -> bool:
        d, dec = t.deliveries, t.decisions
        n = self.conn.execute(delete(d).where(d.c.key == item.key, d.c.status.in_(_UNSENT), d.c.attempts == 0)).rowcount
        if n != 1:
            return False
        self.conn.execute(update(dec).where(dec.c.story_id == item.story_id, dec.c.channel == channel).values(
            action=Action.DIGEST.value, reason=Reason.OVER_CAP.value, detail=detail))
        return True
