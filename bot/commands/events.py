"""Handle each platform event once: Slack retries an event it thinks we missed
(``X-Slack-Retry-Num``), and a restarted process may see an interaction again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from bot.errors import StoreError
from bot.store import Store
from bot.store import schema as t

__all__ = ["first_time", "forget_events_before"]


def first_time(store: Store, event_id: str, now: datetime | None = None) -> bool:
    """Record ``event_id``; True the first time it is seen, False for any repeat."""
    try:
        with store.begin() as c:
            c.execute(insert(t.seen_events).values(id=event_id[:200], at=now or datetime.now(UTC)))
    except StoreError as exc:
        if isinstance(exc.__cause__, IntegrityError):
            return False
        raise
    return True


def forget_events_before(store: Store, age: timedelta = timedelta(days=2), now: datetime | None = None) -> int:
    """Drop old event ids (retries arrive within minutes); returns how many were removed."""
    cutoff = (now or datetime.now(UTC)) - age
    with store.begin() as c:
        return c.execute(delete(t.seen_events).where(t.seen_events.c.at < cutoff)).rowcount
