"""Handle each platform event once: Slack retries an event it thinks we missed
(``X-Slack-Retry-Num``), and a restarted process may see an interaction again. Old ids are
dropped by ``signals db prune`` (:mod:`bot.store.retention`, after ``EVENTS_AGE``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.errors import StoreError
from bot.store import Store
from bot.store import schema as t

__all__ = ["first_time"]


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

