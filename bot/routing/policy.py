"""Timing rules, applied after the content rules: quiet hours, caps and urgency.

:func:`bot.routing.rules.check_rules` decides whether a story belongs in a channel;
this module decides *when* it may be posted, so a channel is never flooded and never
woken at night:

* ``max_per_hour`` / ``max_per_day`` (calendar hour and day in the channel's zone)
  count the channel's alerts, sent or queued. Over a cap a story goes to the next
  digest (``Action.DIGEST``, ``Reason.OVER_CAP``) and the channel gets ONE notice per
  window ("3 more stories in the 17:00 digest"): its key is stable per channel and
  window, and while it is still queued its count is updated instead of adding another.
* ``quiet_hours`` ("22:00-07:00", may cross midnight) hold alerts and follow-ups until
  the hours end (``Action.HOLD``; a HELD outbox row with ``not_before`` = the end).
  Caps do not apply to held alerts: they leave together as one catch-up message
  (:mod:`bot.routing.catchup`), so they cannot flood the channel.
* a story with importance >= ``urgent_importance`` (default 9) outranks both: it is
  posted at once.

The functions are pure given a :class:`~bot.routing.history.ChannelHistory`, so the
live planner and ``signals tune`` share them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.models import Alert, AlertKind, DeliveryStatus
from bot.outbox.queue import NewDelivery
from bot.routing.history import ChannelHistory
from bot.routing.rules import Action, Decision, Reason, StoryView
from bot.routing.schedule import format_local, next_fire, wall_time, zone_for
from bot.settings import ChannelRules, DigestSettings, Settings

__all__ = [
    "DEFAULT_URGENT_IMPORTANCE",
    "CapWindow",
    "QuietHours",
    "Timing",
    "apply_timing",
    "cap_windows",
    "effective_digest",
    "is_urgent",
    "next_digest_at",
    "parse_quiet_hours",
    "quiet_until",
]

DEFAULT_URGENT_IMPORTANCE = 9.0


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class CapWindow:
    """One calendar window of a cap: ``hour`` or ``day``, in UTC, with its limit."""

    name: str
    start: datetime
    end: datetime
    limit: int
    setting: str  # "max_per_hour" / "max_per_day"


@dataclass(slots=True)
class Timing:
    """The decision after timing rules, and how its outbox row must be written."""

    decision: Decision
    status: DeliveryStatus = DeliveryStatus.PENDING
    not_before: datetime | None = None
    notices: list[NewDelivery] = field(default_factory=list)


def parse_quiet_hours(spec: str) -> QuietHours | None:
    """``"22:00-07:00"`` → QuietHours; an empty range (``"08:00-08:00"``) means none."""
    m = re.match(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$", spec)
    if not m:
        raise ValueError(f"expected HH:MM-HH:MM, got {spec!r}")
    a, b = time(int(m.group(1)), int(m.group(2))), time(int(m.group(3)), int(m.group(4)))
    return None if a == b else QuietHours(a, b)


def quiet_until(rules: ChannelRules, settings: Settings, now: datetime) -> datetime | None:
    """If ``now`` is inside the channel's quiet hours, the UTC instant they end."""
    if not rules.quiet_hours or (q := parse_quiet_hours(rules.quiet_hours)) is None:
        return None
    tz = zone_for(rules, settings)
    now = now.astimezone(UTC)
    today = now.astimezone(tz).date()
    for day in (today - timedelta(days=1), today):
        start = wall_time(day, q.start, tz)
        end = wall_time(day if q.end > q.start else day + timedelta(days=1), q.end, tz)
        if start <= now < end:
            return end
    return None


def is_urgent(story: StoryView, rules: ChannelRules) -> bool:
    need = rules.urgent_importance if rules.urgent_importance is not None else DEFAULT_URGENT_IMPORTANCE
    return story.importance >= need


def cap_windows(rules: ChannelRules, tz: ZoneInfo, now: datetime) -> list[CapWindow]:
    local = now.astimezone(tz)
    out: list[CapWindow] = []
    if rules.max_per_hour is not None:
        start = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        out.append(CapWindow("hour", start, start + timedelta(hours=1), rules.max_per_hour, "max_per_hour"))
    if rules.max_per_day is not None:
        start = wall_time(local.date(), time(0), tz)
        end = wall_time(local.date() + timedelta(days=1), time(0), tz)
        out.append(CapWindow("day", start, end, rules.max_per_day, "max_per_day"))
    return out


def effective_digest(rules: ChannelRules) -> DigestSettings | None:
    """The channel's digest; channels that spill into digests (caps, digest_only) get the default one."""
    if rules.digest is not None:
        return rules.digest
    if rules.mode == "digest_only" or rules.max_per_hour is not None or rules.max_per_day is not None:
        return DigestSettings()
    return None


def next_digest_at(rules: ChannelRules, settings: Settings, now: datetime) -> datetime | None:
    digest = effective_digest(rules)
    if digest is None:
        return None
    return next_fire(digest.schedule, zone_for(rules, settings, digest), now)


def _story_entry(story: StoryView, channel: str) -> Alert:
    return Alert(kind=AlertKind.ALERT, channel=channel, story_id=story.id, title=story.title, url=story.url,
                 importance=story.importance, category=story.category)


def _notice_for(history: ChannelHistory, channel: str, window: CapWindow, spilled: StoryView,
                digest_at: datetime | None, where: str) -> list[NewDelivery]:
    """Add ``spilled`` to the window's notice: extend the queued one, or start it (none once posted)."""
    key = f"cap:{channel}:{window.name}:{window.start.isoformat()}"
    state = history.notice(key)
    if state.exists and state.queued is None:
        return []  # already posted: the channel is told once per window
    items = list(state.queued.items) if state.queued else []
    if all(i.story_id != spilled.id for i in items):
        items.append(_story_entry(spilled, channel))
    n = len(items)
    text = (f"{n} more {'story' if n == 1 else 'stories'} "
            + (f"in the {where} digest" if digest_at else "held back (no digest configured)")
            + f" ({window.setting} {window.limit} reached).")
    alert = Alert(kind=AlertKind.NOTICE, channel=channel, story_id="", title=text, url="", importance=0.0,
                  category="notice", text=text, items=items)
    if state.queued is not None:
        history.update_notice(key, alert)
        return []
    return [NewDelivery(key=key, alert=alert)]


def apply_timing(decision: Decision, story: StoryView, rules: ChannelRules, settings: Settings, now: datetime,
                 history: ChannelHistory | None) -> Timing:
    """Apply caps (alerts, outside quiet hours) or quiet hours (alerts and follow-ups) to a decision.

    Over a cap, a story still gets its alert if a less important one is queued in the
    same window and not yet posted: that one goes to the digest instead (lower-ranked
    stories spill, whatever order they arrived in within a batch).
    """
    if decision.action not in (Action.ALERT, Action.FOLLOWUP) or is_urgent(story, rules):
        return Timing(decision)
    channel = decision.channel
    tz = zone_for(rules, settings)
    quiet_end = quiet_until(rules, settings, now)
    notices: list[NewDelivery] = []
    if decision.action is Action.ALERT and history is not None and quiet_end is None:
        for window in cap_windows(rules, tz, now):
            sent = history.alerts_since(channel, window.start)
            if sent < window.limit:
                continue
            digest_at = next_digest_at(rules, settings, now)
            where = format_local(digest_at, tz, now) if digest_at else ""
            detail = (f"{window.setting} {window.limit} reached ({sent} alerts this {window.name}); "
                      + (f"in the {where} digest" if digest_at else "no digest configured"))
            victim = history.lowest_unsent(channel, window.start) if window.limit > 0 else None
            if victim is not None and victim.importance < story.importance and victim.story_id != story.id \
                    and history.demote(channel, victim, f"{detail}; replaced by a more important story"):
                demoted = StoryView(id=victim.story_id, title=victim.title, text="", url=victim.url,
                                    importance=victim.importance, category=victim.category, event="", domain="",
                                    topics=[], relevance={})
                notices += _notice_for(history, channel, window, demoted, digest_at, where)
                continue  # this story takes the freed place; check the next window
            notices += _notice_for(history, channel, window, story, digest_at, where)
            return Timing(replace(decision, action=Action.DIGEST, reason=Reason.OVER_CAP, detail=detail),
                          notices=notices)
    if quiet_end is not None:
        spec = parse_quiet_hours(rules.quiet_hours or "")
        detail = f"quiet hours {spec} ({tz.key}); delivered at {format_local(quiet_end, tz, now)}"
        action = Action.HOLD if decision.action is Action.ALERT else Action.FOLLOWUP
        return Timing(replace(decision, action=action, reason=Reason.QUIET_HOURS, detail=detail, not_before=quiet_end),
                      status=DeliveryStatus.HELD, not_before=quiet_end, notices=notices)
    return Timing(decision, notices=notices)
