"""Follow-up pacing: at most ``max_followups_per_hour`` thread replies per story and channel.

A big story is picked up by an outlet every few minutes for hours; a reply for each one
notifies everyone following the thread dozens of times. So past the limit, a new outlet's
follow-up waits until the last hour's replies make room, and every outlet that joins
meanwhile is added to that one waiting reply ("Also covered by A, B, C and 4 more"): the
thread gets a few replies an hour, and none of the coverage is dropped.

Only ``thread`` follow-ups are paced: an ``edit`` changes the alert's sources line and
notifies no one. The limit holds for urgent stories too (they are the ones with storms).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.models import Alert, SourceRef
from bot.routing.history import ChannelHistory

__all__ = ["FOLLOWUPS_PER_HOUR", "Paced", "pace_followup"]

FOLLOWUPS_PER_HOUR = 4  # the default of max_followups_per_hour
HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Paced:
    """``merged_into``: the waiting reply's key the new outlets were added to (nothing to enqueue);
    else ``not_before``: when the new reply may go out (None: now)."""

    merged_into: str | None = None
    not_before: datetime | None = None


def _merge(waiting: Alert, alert: Alert) -> Alert:
    """``alert`` (the story as it is now) naming every outlet ``waiting`` named, then the new ones."""
    named: dict[str, SourceRef] = {}
    for ref in [*waiting.newcomers, *alert.newcomers]:
        named.setdefault(ref.name, ref)
    refs = list(named.values())
    return replace(alert, new_sources=refs if len(refs) > 1 else [], new_source=refs[-1] if refs else None)


def pace_followup(history: ChannelHistory | None, channel: str, alert: Alert, limit: int,
                  now: datetime) -> Paced:
    """Where ``alert`` (a thread follow-up) goes: added to the reply already waiting for room, or a new
    reply now, or a new one held until the hour's replies make room."""
    if history is None:
        return Paced()
    waiting = history.waiting_followup(channel, alert.story_id, now)
    if waiting is not None:
        key, queued = waiting
        if history.update_notice(key, _merge(queued, alert)):
            return Paced(merged_into=key)
    times = sorted(history.followup_times(channel, alert.story_id, now - HOUR))
    if len(times) < limit:
        return Paced()
    return Paced(not_before=max(now, times[-limit] + HOUR))
