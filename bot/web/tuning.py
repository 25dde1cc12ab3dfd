"""The Tuning page's numbers: what a channel's ``min_importance`` would have produced.

For one channel over the last N days: the importance distribution of its stories (those
that passed every other rule, and those filtered out before the threshold), alerts per
day at each threshold, precision from 👍/👎 feedback, and the stories gained or lost by
moving the threshold. A story "qualifies" when its recorded decision shows that only the
threshold stood between it and the channel (posted, below min_importance, held for quiet
hours, spilled over a cap), so a threshold change is judged on the channel's real
history without re-running the classifiers. Caps are not applied: the counts are what
would have qualified, before ``max_per_hour`` / ``max_per_day``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.routing.rules import DEFAULT_MIN_IMPORTANCE, Reason
from bot.settings import ChannelRules
from bot.store import Store
from bot.store import schema as t

__all__ = ["QUALIFYING", "Bin", "ThresholdRow", "TuningStory", "TuningView", "thresholds", "tuning_view"]

QUALIFYING = {Reason.POSTED, Reason.BELOW_IMPORTANCE, Reason.QUIET_HOURS, Reason.OVER_CAP, Reason.DIGEST_ONLY,
              Reason.FOLLOWUP, Reason.ALREADY_ALERTED}
STEP = 0.5


@dataclass(frozen=True, slots=True)
class TuningStory:
    id: str
    title: str
    importance: float
    day: str  # YYYY-MM-DD (UTC) of the decision
    label: int  # net feedback: 1 useful, -1 not, 0 none or tied


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    threshold: float
    alerts_per_day: float
    max_per_day: int
    alerts: int
    rated: int
    precision: float | None  # share of rated alerts marked useful


@dataclass(frozen=True, slots=True)
class Bin:
    lo: float
    hi: float
    qualifying: int
    other: int


@dataclass(slots=True)
class TuningView:
    channel: str
    days: int
    current: float
    chosen: float
    stories: list[TuningStory]  # qualifying, by importance descending
    filtered: int  # stories routed away by other rules (topic, keyword...) in the window
    bins: list[Bin]
    rows: list[ThresholdRow]
    selected: ThresholdRow
    gained: list[TuningStory] = field(default_factory=list)
    lost: list[TuningStory] = field(default_factory=list)


def thresholds() -> list[float]:
    return [i * STEP for i in range(int(10 / STEP) + 1)]


def row_for(stories: list[TuningStory], threshold: float, days: int) -> ThresholdRow:
    hit = [s for s in stories if s.importance >= threshold]
    per_day = Counter(s.day for s in hit)
    rated = [s for s in hit if s.label]
    good = sum(1 for s in rated if s.label > 0)
    return ThresholdRow(threshold=threshold, alerts_per_day=math.floor(len(hit) / days * 100 + 0.5) / 100,
                        max_per_day=max(per_day.values(), default=0), alerts=len(hit), rated=len(rated),
                        precision=good / len(rated) if rated else None)


def tuning_view(store: Store, channel: str, rules: ChannelRules, now: datetime, days: int = 14,
                chosen: float | None = None) -> TuningView:
    current = rules.min_importance if rules.min_importance is not None else DEFAULT_MIN_IMPORTANCE
    chosen = current if chosen is None else min(10.0, max(0.0, round(chosen / STEP) * STEP))
    d, s, f = t.decisions, t.stories, t.feedback
    since = now - timedelta(days=days)
    with store.begin() as c:
        rows = c.execute(select(d.c.story_id, d.c.reason, d.c.importance, d.c.at, s.c.title)
                         .join(s, s.c.id == d.c.story_id)
                         .where(d.c.channel == channel, d.c.at >= since, d.c.at <= now)).all()
        ids = [r.story_id for r in rows]
        votes = c.execute(select(f.c.story_id, f.c.label).where(
            f.c.story_id.in_(ids), (f.c.channel == channel) | f.c.channel.is_(None))).all()
    net: dict[str, int] = defaultdict(int)
    for v in votes:
        net[v.story_id] += v.label
    stories: list[TuningStory] = []
    others: list[float] = []
    for r in rows:
        if r.reason in QUALIFYING:
            stories.append(TuningStory(r.story_id, r.title, float(r.importance), f"{r.at:%Y-%m-%d}",
                                       (net[r.story_id] > 0) - (net[r.story_id] < 0)))
        else:
            others.append(float(r.importance))
    stories.sort(key=lambda x: (-x.importance, x.id))
    bins = [Bin(lo, lo + STEP, sum(1 for x in stories if _in(x.importance, lo)), sum(1 for x in others if _in(x, lo)))
            for lo in thresholds()[:-1]]
    table = [row_for(stories, th, days) for th in thresholds()]
    lo, hi = sorted((current, chosen))
    moved = [x for x in stories if lo <= x.importance < hi]
    view = TuningView(channel=channel, days=days, current=current, chosen=chosen, stories=stories,
                      filtered=len(others), bins=bins, rows=table, selected=row_for(stories, chosen, days))
    if chosen < current:
        view.gained = moved
    else:
        view.lost = moved
    return view


def _in(value: float, lo: float) -> bool:
    return lo <= value < lo + STEP or (lo + STEP >= 10 and value >= 10)
