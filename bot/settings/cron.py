"""Cron schedules as the config writes them (``"0 9 * * MON-FRI"``), read one way everywhere.

The loader checks a schedule with the same reading routing fires it with
(:func:`bot.routing.schedule.cron_trigger`), so a schedule that loads is one that runs: a
weekday the loader did not read (``MON-FRY``, ``8``) used to load, then failed every digest
run and the routing of any story over a cap, cycle after cycle.

Day-of-week numbers follow cron (0 and 7 = Sunday), not APScheduler 3's (0 = Monday);
names such as ``MON-FRI`` mean the same in both.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["check_cron", "cron_fields"]

_DOW = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _dow(field: str) -> str:
    """Translate cron day-of-week numbers to names (APScheduler 3 counts from Monday)."""
    return re.sub(r"\d+", lambda m: _DOW[int(m.group(0))] if int(m.group(0)) <= 7 else m.group(0), field)


def cron_fields(schedule: str) -> dict[str, str]:
    """The 5 fields of ``schedule`` as APScheduler's ``CronTrigger`` keywords (cron's weekday numbers)."""
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"expected a 5-field cron expression such as '0 9 * * MON-FRI', got {schedule!r}")
    minute, hour, day, month, dow = fields
    return {"minute": minute, "hour": hour, "day": day, "month": month, "day_of_week": _dow(dow)}


def check_cron(v: str) -> str:
    """A schedule routing can fire, and that fires at all (``0 9 31 2 *`` never does)."""
    from apscheduler.triggers.cron import CronTrigger  # imported here: only configs with digests pay for it

    fields = cron_fields(v)
    try:
        trigger = CronTrigger(**fields, timezone=UTC)
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {v!r}: {exc}") from exc
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ValueError(f"cron expression {v!r} never fires (no such date)")
    return v
