"""What timing policies need to know about the past, read inside the routing transaction.

Caps count the channel's top-level alerts (sent or still queued) in a window; the
over-cap notice counts the stories that spilled into the digest in the same window.
:class:`StoreHistory` answers from the outbox and ``decisions`` tables on the caller's
connection, so decisions made earlier in the same batch are already visible.
``signals tune`` answers the same questions from a simulation (see ``replay``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, func, select, update

from bot.models import Alert, AlertKind, DeliveryStatus
from bot.outbox.codec import alert_to_dict
from bot.routing.rules import Reason
from bot.store import schema as t

__all__ = ["ChannelHistory", "StoreHistory"]


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
