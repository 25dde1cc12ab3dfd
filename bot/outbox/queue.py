"""The durable outbox: one row per message, posted exactly once.

Enqueueing is idempotent (a unique ``key`` such as ``alert:<story>:<channel>``) and
happens in the same transaction as routing, so a crash can neither lose an alert nor
queue it twice. Sending is a claim (``pending`` → ``sending``, attempts + 1, committed)
followed by the post and ``sent`` with the provider's message id. A row found in
``sending`` after a restart may or may not have been posted, and so may a row whose
attempt timed out: the adapter's ``find_sent`` looks for it on the platform before
anything is retried.

With several dispatchers (``signals worker``), a row ``sending`` may also be one a live
worker is posting right now: the ``deliver`` lease keeps a second dispatcher away, but
a Redis restart or a stall past the lease's TTL frees it early. So a claim holds its row
for ``in_flight`` (``next_try_at`` = claim time + ``in_flight``); until then no other
dispatcher looks it up or posts it, nor anything after it in its channel. One process
alone (``signals run``) uses 0: a row it finds ``sending`` is its own, left by a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from bot.models import Alert, AlertKind, Delivery, DeliveryStatus
from bot.outbox.codec import alert_from_dict, alert_to_dict
from bot.store import Store
from bot.store import schema as t

__all__ = ["BUNDLED", "STAND_IN", "NewDelivery", "Outbox"]

d = t.deliveries
BUNDLED = "bundled into "  # ``error`` of rows posted inside another message (a quiet-hours catch-up), + its key
STAND_IN = "posted as the story's alert: "  # ``error`` of a follow-up that replaced its alert, + why


@dataclass(frozen=True, slots=True)
class NewDelivery:
    key: str
    alert: Alert
    status: DeliveryStatus = DeliveryStatus.PENDING
    not_before: datetime | None = None  # held until then (quiet hours)


def _delivery(row: object) -> Delivery:
    m = row._mapping  # type: ignore[attr-defined]
    return Delivery(id=m["id"], key=m["key"], channel=m["channel"], story_id=m["story_id"], kind=AlertKind(m["kind"]),
                    alert=alert_from_dict(m["payload"]), status=DeliveryStatus(m["status"]), attempts=m["attempts"],
                    next_try_at=m["next_try_at"], provider_message_id=m["provider_message_id"], error=m["error"])


def _alert_note(r: object) -> str:
    m = r._mapping  # type: ignore[attr-defined]
    status, error = DeliveryStatus(m["status"]), m["error"] or ""
    if status is DeliveryStatus.SENT:
        if error.startswith(BUNDLED):
            return "alerted earlier, inside a catch-up message"
        return f"alerted earlier (sent {m['sent_at']:%Y-%m-%d %H:%M} UTC)" if m["sent_at"] else "alerted earlier"
    if status is DeliveryStatus.HELD:
        return f"its alert is held for quiet hours until {m['next_try_at']:%Y-%m-%d %H:%M} UTC"
    if status is DeliveryStatus.FAILED:
        return f"its alert could not be posted: {error}"
    return f"its alert is queued, not posted yet ({error})" if error else "its alert is queued, not posted yet"


class Outbox:
    def __init__(self, store: Store, in_flight: timedelta = timedelta(0)) -> None:
        self.store = store
        self.in_flight = in_flight  # how long a claimed row is left to its claimer (see the module docstring)

    # -- writing (inside the routing transaction) ----------------------------------
    def enqueue(self, conn: Connection, items: Sequence[NewDelivery], now: datetime) -> int:
        """Insert rows whose key is new; return how many were added."""
        if not items:
            return 0
        keys = [i.key for i in items]
        existing = set(conn.execute(select(d.c.key).where(d.c.key.in_(keys))).scalars())
        added = 0
        for i in items:
            if i.key in existing:
                continue
            existing.add(i.key)
            conn.execute(insert(d).values(
                key=i.key, channel=i.alert.channel, story_id=i.alert.story_id, kind=i.alert.kind.value,
                payload=alert_to_dict(i.alert), status=i.status.value, attempts=0,
                next_try_at=i.not_before or now, created_at=now))
            added += 1
        return added

    def has_key(self, conn: Connection, key: str) -> bool:
        return conn.execute(select(d.c.id).where(d.c.key == key)).first() is not None

    def alert_notes(self, conn: Connection, story_id: str) -> dict[str, str]:
        """Channels that already have this story's top-level alert (sent, queued, held or failed),
        each with what became of it, in words (``signals why`` shows it once later coverage has
        replaced the alert's own decision)."""
        rows = conn.execute(select(d.c.channel, d.c.status, d.c.error, d.c.sent_at, d.c.next_try_at).where(
            d.c.story_id == story_id, d.c.kind == AlertKind.ALERT.value))
        return {r.channel: _alert_note(r) for r in rows}

    # -- reading and sending ---------------------------------------------------------
    def due(self, now: datetime, limit: int = 500) -> list[Delivery]:
        """Rows to send now, oldest first; ``sending`` rows left by a crash come first.

        A channel whose earlier message waits for a retry (rate limit, outage) or is being
        posted by another dispatcher sends nothing newer until it went out, so each channel
        keeps its order.
        """
        with self.store.begin() as c:
            waiting = dict(c.execute(select(d.c.channel, func.min(d.c.id)).where(or_(
                and_(d.c.status == DeliveryStatus.PENDING.value, d.c.attempts > 0),
                d.c.status == DeliveryStatus.SENDING.value), d.c.next_try_at > now)
                .group_by(d.c.channel)).all())
            rows = c.execute(select(d).where(
                d.c.status.in_([DeliveryStatus.SENDING.value, DeliveryStatus.PENDING.value,
                                DeliveryStatus.HELD.value]),
                or_(d.c.next_try_at <= now, d.c.next_try_at.is_(None)))
                .order_by(d.c.id).limit(limit)).all()
        out = [_delivery(r) for r in rows]
        return [x for x in out if x.channel not in waiting or x.id < waiting[x.channel]]

    def claim(self, delivery: Delivery, now: datetime | None = None) -> bool:
        """Mark as ``sending`` (committed before the post), left to this dispatcher for
        ``in_flight``. False if another worker took it."""
        values: dict[str, object] = {"status": DeliveryStatus.SENDING.value, "attempts": delivery.attempts + 1}
        if self.in_flight:
            values["next_try_at"] = (now or datetime.now(UTC)) + self.in_flight
        with self.store.begin() as c:
            n = c.execute(update(d).where(d.c.id == delivery.id, d.c.status == delivery.status.value,
                                          d.c.attempts == delivery.attempts).values(**values)).rowcount
        return n == 1

    def mark_sent(self, delivery_id: int, message_id: str | None, now: datetime | None = None,
                  note: str | None = None) -> None:
        """``note`` (kept in ``error``) says why a row is done without a post of its own, e.g. :data:`BUNDLED`."""
        with self.store.begin() as c:
            c.execute(update(d).where(d.c.id == delivery_id).values(
                status=DeliveryStatus.SENT.value, provider_message_id=message_id, sent_at=now or datetime.now(UTC),
                error=note))

    def mark_failed(self, delivery_id: int, error: str) -> None:
        with self.store.begin() as c:
            c.execute(update(d).where(d.c.id == delivery_id).values(status=DeliveryStatus.FAILED.value, error=error))

    def retry_later(self, delivery_id: int, error: str, delay: timedelta, now: datetime) -> None:
        with self.store.begin() as c:
            c.execute(update(d).where(d.c.id == delivery_id).values(
                status=DeliveryStatus.PENDING.value, error=error, next_try_at=now + delay))

    def top_alert(self, story_id: str, channel: str) -> Delivery | None:
        """The story's top-level alert row in the channel (any status), if there is one."""
        with self.store.begin() as c:
            row = c.execute(select(d).where(d.c.story_id == story_id, d.c.channel == channel,
                                            d.c.kind == AlertKind.ALERT.value)).first()
        return _delivery(row) if row is not None else None

    def stand_in(self, story_id: str, channel: str, alert_failed: bool = False) -> str | None:
        """The message id of the follow-up that went out as the story's alert in the channel (its
        alert failed, or was deleted on the platform): later follow-ups reply to it or edit it.

        Such rows carry :data:`STAND_IN`; rows posted before that note existed are found by
        ``alert_failed`` (the alert failed, so the first follow-up posted was the full alert)."""
        base = select(d.c.provider_message_id).where(
            d.c.story_id == story_id, d.c.channel == channel, d.c.kind == AlertKind.FOLLOWUP.value,
            d.c.status == DeliveryStatus.SENT.value, d.c.provider_message_id.is_not(None))
        with self.store.begin() as c:
            noted = c.execute(base.where(d.c.error.like(f"{STAND_IN}%")).order_by(d.c.id.desc()).limit(1)).scalar()
            if noted is not None or not alert_failed:
                return noted
            return c.execute(base.order_by(d.c.sent_at, d.c.id).limit(1)).scalar()

    def thread_id(self, story_id: str, channel: str) -> str | None:
        """The provider message id of the story's top-level alert in the channel, once sent."""
        top = self.top_alert(story_id, channel)
        return top.provider_message_id if top is not None and top.status is DeliveryStatus.SENT else None

    def counts(self) -> dict[str, int]:
        with self.store.begin() as c:
            rows = c.execute(select(d.c.status, func.count()).group_by(d.c.status)).all()
        return {r[0]: int(r[1]) for r in rows}

    def for_story(self, story_id: str) -> list[Delivery]:
        with self.store.begin() as c:
            rows = c.execute(select(d).where(d.c.story_id == story_id).order_by(d.c.id)).all()
        return [_delivery(r) for r in rows]
