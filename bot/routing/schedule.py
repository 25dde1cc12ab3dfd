"""Clock arithmetic for routing: channel time zones, wall-clock times across DST, cron slots.

Quiet hours, cap windows and digest schedules are written in local wall-clock time
("22:00-07:00", "0 9 * * MON-FRI") but stored and compared in UTC. Everything that
turns one into the other lives here so DST is handled in one place:

* comparisons always happen on UTC datetimes (aware datetimes that share a ``ZoneInfo``
  compare by wall time in Python, which is wrong across a DST change);
* a wall time that does not exist (the spring-forward gap) means the moment the clocks
  jump over it; an ambiguous one (fall back) means its first occurrence (cron slots too:
  a 02:30 digest fires once on the night 02:30 happens twice).

Cron day-of-week numbers follow cron (0 and 7 = Sunday), not APScheduler 3's
(0 = Monday), as :func:`bot.settings.cron.cron_fields` reads them (the loader checks with it).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.settings import ChannelRules, DigestSettings, Settings
from bot.settings.cron import cron_fields

__all__ = ["cron_trigger", "fire_times", "format_local", "latest_fire", "next_fire", "wall_time", "zone_for"]


def zone_for(rules: ChannelRules, settings: Settings, digest: DigestSettings | None = None) -> ZoneInfo:
    """The digest's zone, else the channel's (or ``defaults``'), else the global one."""
    name = (digest.timezone if digest else None) or rules.timezone or settings.timezone or "UTC"
    return ZoneInfo(name)


def wall_time(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant when the local clock in ``tz`` shows ``at`` on ``day``."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first  # exists (for an ambiguous time: its first occurrence)
    # In the spring-forward gap: find the instant the clocks jump past it.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    t = min(lo, first)
    end = max(lo, first)
    while t < end and t.astimezone(tz).replace(tzinfo=None) < naive:
        t += timedelta(minutes=1)
    return t


def format_local(at: datetime, tz: ZoneInfo, now: datetime) -> str:
    """``17:00`` today, else ``Tue 09:00``, in the channel's zone."""
    local = at.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return f"{local:%H:%M}"
    return f"{local:%a %H:%M}"


@lru_cache(maxsize=256)
def cron_trigger(schedule: str, tz: ZoneInfo) -> CronTrigger:
    """The (cached, immutable) trigger for a 5-field cron ``schedule`` in ``tz``."""
    return CronTrigger(**cron_fields(schedule), timezone=tz)


# Per schedule, the last answer and the span it holds for: [asked, answer) all share it.
# Routing asks for the next digest for every over-cap story, mostly in time order.
_NEXT: dict[tuple[str, ZoneInfo], tuple[datetime, datetime]] = {}
_NEXT_LOCK = threading.Lock()


def _repeated(at: datetime, tz: ZoneInfo) -> bool:
    """``at`` is the second time the clocks show its wall time (the fall-back hour)."""
    local = at.astimezone(tz)
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _fire_from(trig: CronTrigger, tz: ZoneInfo, start: datetime) -> datetime | None:
    """The first slot at or after ``start`` (UTC). A wall time the clocks show twice fires at its
    first occurrence only: APScheduler fires both, so a 02:30 digest went out twice that night.

    Each step starts from a UTC instant: from a local time in the repeated hour, APScheduler
    steps back into the first pass of that hour and cycles there (a ``*/20`` schedule listed
    10,000 slots of the same hour)."""
    at = trig.get_next_fire_time(None, start)
    while at is not None and _repeated(at, tz):
        at = trig.get_next_fire_time(None, at.astimezone(UTC) + timedelta(seconds=1))
    return at.astimezone(UTC) if at is not None else None


def next_fire(schedule: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """The first slot strictly after ``now`` (UTC). Slots fall on whole seconds and APScheduler
    rounds its start up to one, so the search starts at the next whole second after ``now``
    (``now + 1s`` skipped a slot less than a second away)."""
    with _NEXT_LOCK:
        hit = _NEXT.get((schedule, tz))
    if hit is not None and hit[0] <= now < hit[1]:
        return hit[1]
    at = _fire_from(cron_trigger(schedule, tz), tz, now.replace(microsecond=0) + timedelta(seconds=1))
    if at is None:
        return None
    with _NEXT_LOCK:
        if len(_NEXT) > 1024:
            _NEXT.clear()
        _NEXT[(schedule, tz)] = (now, at)
    return at


def fire_times(schedule: str, tz: ZoneInfo, start: datetime, end: datetime, limit: int = 10_000) -> list[datetime]:
    """Every slot in ``[start, end]`` (UTC), oldest first."""
    trig = cron_trigger(schedule, tz)
    out: list[datetime] = []
    at = _fire_from(trig, tz, start)
    while at is not None and at <= end and len(out) < limit:
        out.append(at)
        at = _fire_from(trig, tz, at + timedelta(seconds=1))
    return out


def latest_fire(schedule: str, tz: ZoneInfo, now: datetime, lookback: timedelta) -> datetime | None:
    """The most recent slot at or before ``now`` within ``lookback``, if any."""
    slots = fire_times(schedule, tz, now - lookback, now)
    return slots[-1] if slots else None
