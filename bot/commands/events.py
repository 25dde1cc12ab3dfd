"""Handle each platform event once: Slack retries an event it thinks we missed
(``X-Slack-Retry-Num``), and a restarted process may see an interaction again. Old ids are
dropped by ``signals db prune`` (:mod:`bot.store.retention`, after ``EVENTS_AGE``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from bot.errors import StoreError
from bot.store import Store
from bot.store import schema as t

__all__ = ["ACK_BUDGET", "first_time", "first_time_soon"]

log = logging.getLogger(__name__)
ACK_BUDGET = 1.0  # seconds the check may take before a request must be acknowledged


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



async def first_time_soon(store: Store, event_id: str, within: float = ACK_BUDGET) -> bool:
    """:func:`first_time` when it answers ``within`` seconds; otherwise, or when the database
    fails, True (the event is handled).

    Why: Slack wants an acknowledgement within 3 seconds, and this check comes before it. It
    writes, so with the database's write lock held elsewhere (SQLite waits up to its 10-second
    busy timeout) the user saw "operation_timeout" for a command that only reads. Answering a
    rare repeat twice beats not answering; the row is still written when the lock is free.
    """
    task = asyncio.ensure_future(asyncio.to_thread(first_time, store, event_id))
    try:
        return await asyncio.wait_for(asyncio.shield(task), within)
    except TimeoutError:
        log.warning("duplicate check took over %gs (database busy): handled without it", within,
                    extra={"event_id": event_id[:80]})
        task.add_done_callback(_quiet)
        return True
    except StoreError as exc:
        log.warning("duplicate check unavailable: %s", exc, extra={"event_id": event_id[:80]})
        return True


def _quiet(task: asyncio.Future[bool]) -> None:
    """Collect a late check's outcome (a StoreError too) so it is never reported as unretrieved."""
    if not task.cancelled():
        task.exception()
