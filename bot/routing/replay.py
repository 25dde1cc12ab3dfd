"""Replay stored history through a channel's rules at other thresholds, for ``signals tune``.

People change ``min_importance`` to get fewer or more alerts; this shows what a change
would have done over the last days before they make it. Every stored story is routed
again with the same code as live routing (:func:`check_rules` then the timing policy,
with an in-memory :class:`SimHistory` for caps), once per candidate threshold, in the
order the stories arrived. For each threshold it reports alerts per local day (mean and
max), digest items (capped at ``max_items`` per digest slot), precision against the
recorded 👍/👎 feedback (the spam side), the 👍 stories it would not alert (the missed side:
liked in this channel, from ``top``, a digest or ``signals feedback``, yet at most in a digest),
and the stories gained or lost against the current setting.

What it cannot know: stories scored differently since (it uses the stored scores) and
follow-ups (coverage arriving later) — those do not change alert counts.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.models import Alert, SourceRef
from bot.routing.catchup import DEFAULT_MAX_ITEMS as CATCH_UP_MAX_ITEMS
from bot.routing.history import NoticeState, Unsent
from bot.routing.policy import apply_timing, effective_digest
from bot.routing.rules import DEFAULT_MIN_IMPORTANCE, Action, Decision, Reason, StoryView, check_rules
from bot.routing.schedule import next_fire, zone_for
from bot.settings import ChannelRules, Settings
from bot.store import Store
from bot.store import schema as t

__all__ = ["ReplayReport", "SimHistory", "ThresholdResult", "default_thresholds", "effective_rules",
           "load_feedback", "load_stories", "replay"]


def stored_window(store: Store, since: datetime) -> tuple[datetime, datetime | None]:
    """``since`` without the whole days before the bot began collecting (its first article
    fetched; pruning keeps article rows), and that start. ``signals tune --days 14`` on an hour of
    history divided its 4 alerts by 14 days ('0.3 alerts/day'); a part day stays, so an hour is
    read as one day, not multiplied into 24. The CLI and the web tuning page both use it."""
    with store.begin() as c:
        first = c.execute(select(func.min(t.articles.c.fetched_at))).scalar()
    if first is None:
        return since, None
    first = first.replace(tzinfo=UTC) if first.tzinfo is None else first
    if first - since >= timedelta(days=1):
        since += timedelta(days=(first - since) // timedelta(days=1))
    return since, first


def load_stories(store: Store, since: datetime, until: datetime) -> list[StoryView]:
    """Stories first seen in ``[since, until)``, oldest first, as routing sees them."""
    s, a = t.stories, t.articles
    with store.begin() as c:
        rows = c.execute(select(s, a.c.url, a.c.text, a.c.published_at)
                         .join(a, a.c.id == s.c.representative_id, isouter=True)
                         .where(s.c.first_seen >= since, s.c.first_seen < until)
                         .order_by(s.c.first_seen, s.c.id)).all()
        ids = [r.id for r in rows]
        sources: dict[str, dict[str, SourceRef]] = defaultdict(dict)
        for i in range(0, len(ids), 500):
            for sid, src, url in c.execute(select(a.c.story_id, a.c.source, a.c.url)
                                           .where(a.c.story_id.in_(ids[i:i + 500])).order_by(a.c.id)):
                sources[sid].setdefault(src, SourceRef(src, url))
    out = []
    for r in rows:
        sc = r.scores or {}
        out.append(StoryView(
            id=r.id, title=r.title, text=r.text or "", url=r.url or "", importance=float(r.importance),
            category=r.category, event=str(sc.get("event", "other")), domain=str(sc.get("domain", "other")),
            topics=list(r.topics or []), relevance={k: float(v) for k, v in (sc.get("relevance") or {}).items()},
            sources=list(sources[r.id].values()), first_seen=r.first_seen, published_at=r.published_at))
    return out


def load_feedback(store: Store, channel: str) -> dict[str, int]:
    """Net 👍/👎 per story, from feedback given in ``channel`` or without a channel."""
    f = t.feedback
    with store.begin() as c:
        rows = c.execute(select(f.c.story_id, f.c.label).where((f.c.channel == channel) | f.c.channel.is_(None)))
        net: Counter[str] = Counter()
        for sid, label in rows:
            net[sid] += 1 if label > 0 else -1
    return {k: v for k, v in net.items() if v != 0}


def effective_rules(settings: Settings, store: Store | None, channel: str) -> tuple[ChannelRules, frozenset[str]]:
    """The channel's rules with runtime overrides applied, and its muted topics.

    One channel's view of :func:`bot.commands.overrides.effective_rules`, the single place
    that knows how chat overrides layer over the config.
    """
    if store is None:
        return settings.rules(settings.channel(channel)), frozenset()
    from bot.commands.overrides import effective_rules as all_rules
    from bot.commands.overrides import muted_topics

    return all_rules(settings, store)[channel], muted_topics(store).get(channel, frozenset())


@dataclass(slots=True)
class SimHistory:
    """:class:`~bot.routing.history.ChannelHistory` for a simulation: remembers what it decided."""

    alerts: list[datetime] = field(default_factory=list)

    def alerts_since(self, channel: str, since: datetime) -> int:
        return len(self.alerts) - bisect_left(self.alerts, since)  # appended in time order

    def notice(self, key: str) -> NoticeState:
        return NoticeState(True)  # notices do not change the figures: act as if already posted

    def update_notice(self, key: str, alert: Alert) -> bool:
        return False

    def lowest_unsent(self, channel: str, since: datetime) -> Unsent | None:
        return None  # replayed alerts go out at once: nothing waits in a queue

    def demote(self, channel: str, item: Unsent, detail: str) -> bool:
        return False

    def release_held(self, channel: str, story_id: str, now: datetime) -> bool:
        return False  # nothing is held in a replay

    def followup_times(self, channel: str, story_id: str, since: datetime) -> list[datetime]:
        return []  # follow-ups do not change the figures

    def waiting_followup(self, channel: str, story_id: str, now: datetime) -> tuple[str, Alert] | None:
        return None


@dataclass(slots=True)
class ThresholdResult:
    threshold: float
    alerts: list[str]  # story ids alerted (or held for quiet hours), in order
    per_day: list[int]  # alerts per local day in the window
    digest_items: int
    precision: float | None
    labelled: int
    missed: list[str] = field(default_factory=list)  # net 👍 here, yet not alerted at this threshold
    gained: list[str] = field(default_factory=list)  # alerted here, not at the current threshold
    lost: list[str] = field(default_factory=list)
    span_days: float = 0.0  # the replayed window's length in days, when it was given (else: len(per_day))

    @property
    def mean_per_day(self) -> float:
        """Alerts per 24 hours of the window: a window that starts mid-day has two part days in
        ``per_day``, and dividing by their number under-read a steady 2 a day as 1.9."""
        days = self.span_days or len(self.per_day)
        return sum(self.per_day) / days if days else 0.0

    @property
    def max_per_day(self) -> int:
        return max(self.per_day, default=0)


@dataclass(slots=True)
class ReplayReport:
    channel: str
    current: float
    days: list[date]
    stories: list[StoryView]
    results: list[ThresholdResult]

    def result(self, threshold: float) -> ThresholdResult:
        return next(r for r in self.results if math.isclose(r.threshold, threshold))


def default_thresholds(current: float, step: float = 0.5, span: float = 2.0) -> list[float]:
    n = round(span / step)
    return sorted({min(10.0, max(0.0, round(current + i * step, 2))) for i in range(-n, n + 1)})


def _simulate(stories: Sequence[StoryView], settings: Settings, channel: str, rules: ChannelRules,
              muted: frozenset[str], slots: dict[str, datetime | None]) -> tuple[list[StoryView], int]:
    hist = SimHistory()
    alerted: list[StoryView] = []
    per_slot: Counter[datetime | None] = Counter()
    digest = effective_digest(rules)
    held: dict[datetime | None, list[StoryView]] = defaultdict(list)  # per end of quiet hours
    for story in stories:
        now = story.first_seen or datetime.min
        decision: Decision = check_rules(story, channel, rules, muted)
        timing = apply_timing(decision, story, rules, settings, now, hist)
        act = timing.decision
        if act.action is Action.ALERT:
            hist.alerts.append(now)
            alerted.append(story)
        elif act.action is Action.HOLD:  # leaves in a catch-up: caps do not count it
            held[act.not_before].append(story)
        elif digest is not None and (act.reason is Reason.OVER_CAP or (
                (act.action is Action.DIGEST or act.reason is Reason.BELOW_IMPORTANCE)
                and story.importance >= digest.min_importance)):  # as digest_candidates
            per_slot[slots.get(story.id)] += 1
    for group in held.values():  # a catch-up keeps its top stories; the rest go to the next digest
        ranked = sorted(group, key=lambda x: -x.importance)
        alerted += ranked[:CATCH_UP_MAX_ITEMS]
        for story in ranked[CATCH_UP_MAX_ITEMS:]:
            if digest is not None:
                per_slot[slots.get(story.id)] += 1
    alerted.sort(key=lambda x: (x.first_seen or datetime.min, x.id))
    items = sum(min(n, digest.max_items) for n in per_slot.values()) if digest else 0
    return alerted, items


def replay(stories: Sequence[StoryView], settings: Settings, channel: str, *, rules: ChannelRules | None = None,
           muted: frozenset[str] = frozenset(), thresholds: Iterable[float] | None = None,
           feedback: dict[str, int] | None = None, since: datetime | None = None,
           until: datetime | None = None) -> ReplayReport:
    """Route ``stories`` at each threshold; see the module docstring for the figures."""
    rules = rules or settings.rules(settings.channel(channel))
    current = rules.min_importance if rules.min_importance is not None else DEFAULT_MIN_IMPORTANCE
    levels = sorted(set(thresholds or default_thresholds(current)) | {current})
    tz = zone_for(rules, settings)
    first = since or min((s.first_seen for s in stories if s.first_seen), default=None)
    last = until or max((s.first_seen for s in stories if s.first_seen), default=None)
    days: list[date] = []
    if first and last:
        d, end = first.astimezone(tz).date(), (last - timedelta(microseconds=1)).astimezone(tz).date()
        while d <= end:
            days.append(d)
            d += timedelta(days=1)
    digest = effective_digest(rules)
    slots: dict[str, datetime | None] = {}
    if digest is not None:
        dz = zone_for(rules, settings, digest)
        slots = {s.id: next_fire(digest.schedule, dz, s.first_seen) for s in stories if s.first_seen}
    feedback = feedback or {}
    span = (until - since) / timedelta(days=1) if since and until and until > since else 0.0
    results: list[ThresholdResult] = []
    for level in levels:
        alerted, items = _simulate(stories, settings, channel, rules.model_copy(update={"min_importance": level}),
                                   muted, slots)
        per_day = Counter(s.first_seen.astimezone(tz).date() for s in alerted if s.first_seen)
        labelled = [feedback[s.id] for s in alerted if s.id in feedback]
        precision = sum(1 for v in labelled if v > 0) / len(labelled) if labelled else None
        ids = {s.id for s in alerted}
        missed = [s.id for s in stories if feedback.get(s.id, 0) > 0 and s.id not in ids]
        results.append(ThresholdResult(level, [s.id for s in alerted], [per_day.get(d, 0) for d in days], items,
                                       precision, len(labelled), missed=missed, span_days=span))
    base = set(next(r for r in results if math.isclose(r.threshold, current)).alerts)
    for r in results:
        mine = set(r.alerts)
        r.gained = [sid for sid in r.alerts if sid not in base]
        r.lost = [s.id for s in stories if s.id in base and s.id not in mine]
    return ReplayReport(channel, current, days, list(stories), results)
