"""The Tuning page's numbers: what another ``min_importance`` would have done in a channel.

The figures come from :func:`bot.routing.replay.replay`, the same replay as ``signals
tune``: every stored story of the last N days is routed again through the channel's
rules (file plus chat overrides, caps and quiet hours included) at each threshold from
0 to 10 in steps of 0.5. The page adds what a chart needs: the importance distribution
of the channel's stories, split into those only the threshold decides and those other
rules (topics, keywords, categories...) keep out whatever the threshold.

Every threshold's figures are computed on the server, so the slider only looks them
up (no arithmetic in the browser) and the page shows the same numbers without script.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.routing.replay import effective_rules, load_feedback, load_stories, replay, stored_window
from bot.routing.rules import Action, check_rules
from bot.settings import Settings
from bot.store import Store
from bot.store import schema as t

__all__ = ["STEP", "Bin", "ThresholdRow", "TuningCache", "TuningReport", "TuningStory", "TuningView", "thresholds",
           "tuning_report", "tuning_view"]

STEP = 0.5


@dataclass(frozen=True, slots=True)
class TuningStory:
    id: str
    title: str
    importance: float


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    threshold: float
    alerts_per_day: float  # mean over the window's days (channel time zone), as `signals tune`
    max_per_day: int
    alerts: int
    digest_items: int
    precision: float | None  # share of alerted stories with net 👍 among those with feedback
    rated: int
    missed: int = 0  # stories with a net 👍 in the channel that this threshold would not alert
    gained: list[str] = field(default_factory=list)  # story ids, vs the current threshold
    lost: list[str] = field(default_factory=list)


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
    stories: dict[str, TuningStory]
    qualifying: int  # stories only the threshold decides
    filtered: int  # stories other rules keep out
    bins: list[Bin]
    rows: list[ThresholdRow]
    selected: ThresholdRow
    gained: list[TuningStory]
    lost: list[TuningStory]

    @property
    def current_row(self) -> ThresholdRow:
        return next(r for r in self.rows if math.isclose(r.threshold, self.current))


def thresholds() -> list[float]:
    return [i * STEP for i in range(int(10 / STEP) + 1)]


def _bin_of(value: float) -> int:
    return min(int(value / STEP), int(10 / STEP) - 1) if value > 0 else 0


@dataclass(slots=True)
class TuningReport:
    """Everything that does not depend on the slider: computed once, cached briefly."""

    channel: str
    days: int
    current: float
    stories: dict[str, TuningStory]
    qualifying: int
    filtered: int
    bins: list[Bin]
    rows: list[ThresholdRow]


class TuningCache:
    """A few recent reports, keyed by channel, window, rules and the store's last change.

    Replaying a busy channel at 21 thresholds takes a while; the no-script form and
    reloads then cost nothing. Entries also expire after ``ttl`` seconds (the window slides).
    """

    def __init__(self, ttl: float = 60.0, size: int = 16) -> None:
        self.ttl, self.size = ttl, size
        self._items: OrderedDict[tuple[object, ...], TuningReport] = OrderedDict()
        self._lock = threading.Lock()  # pages are built in the thread pool

    def get(self, key: tuple[object, ...], compute: Callable[[], TuningReport]) -> TuningReport:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        report = compute()
        with self._lock:
            self._items[key] = report
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return report


def tuning_report(store: Store, settings: Settings, channel: str, now: datetime, days: int = 14) -> TuningReport:
    """Replay the channel's last ``days`` at every threshold from 0 to 10."""
    rules, muted = effective_rules(settings, store, channel)
    since, _ = stored_window(store, now - timedelta(days=days))  # as signals tune
    stories = load_stories(store, since, now)
    open_rules = rules.model_copy(update={"min_importance": 0.0})
    qualifying = [s for s in stories if check_rules(s, channel, open_rules, muted).action is not Action.SKIP]
    # Stories that other rules keep out never alert nor reach a digest at any threshold, and never
    # count against a cap: replaying only the rest gives the same figures, much faster.
    feedback = load_feedback(store, channel)
    report = replay(qualifying, settings, channel, rules=rules, muted=muted, thresholds=thresholds(),
                    feedback=feedback, since=since, until=now)
    keep = {s.id for s in qualifying}
    kept_out = sum(1 for s in stories if s.id not in keep and feedback.get(s.id, 0) > 0)  # 👍 missed at every threshold
    counts = [[0, 0] for _ in range(int(10 / STEP))]
    for s in stories:
        counts[_bin_of(s.importance)][0 if s.id in keep else 1] += 1
    bins = [Bin(i * STEP, (i + 1) * STEP, q, o) for i, (q, o) in enumerate(counts)]
    rows = [ThresholdRow(threshold=r.threshold, alerts_per_day=r.mean_per_day, max_per_day=r.max_per_day,
                         alerts=len(r.alerts), digest_items=r.digest_items, precision=r.precision, rated=r.labelled,
                         missed=len(r.missed) + kept_out, gained=list(r.gained), lost=list(r.lost)) for r in report.results]
    return TuningReport(channel=channel, days=days, current=report.current,
                        stories={s.id: TuningStory(s.id, s.title, s.importance) for s in qualifying},
                        qualifying=len(qualifying), filtered=len(stories) - len(qualifying), bins=bins, rows=rows)


def cache_key(store: Store, settings: Settings, channel: str, now: datetime, days: int, ttl: float
              ) -> tuple[object, ...]:
    rules, muted = effective_rules(settings, store, channel)
    s = t.stories
    with store.begin() as c:
        stamp = tuple(c.execute(select(func.count(), func.max(s.c.updated_at))).one())
    return (channel, days, int(now.timestamp() // ttl), rules.model_dump_json(), tuple(sorted(muted)),
            settings.timezone, stamp)


def tuning_view(store: Store, settings: Settings, channel: str, now: datetime, days: int = 14,
                chosen: float | None = None, cache: TuningCache | None = None) -> TuningView:
    """The report at the slider's ``chosen`` threshold (snapped to the 0.5 grid or the current value)."""
    if cache is None:
        rep = tuning_report(store, settings, channel, now, days)
    else:
        key = cache_key(store, settings, channel, now, days, cache.ttl)
        rep = cache.get(key, lambda: tuning_report(store, settings, channel, now, days))
    pick = rep.current if chosen is None or not math.isfinite(chosen) else min(10.0, max(0.0, chosen))
    selected = min(rep.rows, key=lambda r: (abs(r.threshold - pick), r.threshold))

    def ranked(ids: list[str]) -> list[TuningStory]:
        return sorted((rep.stories[i] for i in ids), key=lambda s: (-s.importance, s.id))

    return TuningView(channel=channel, days=days, current=rep.current, chosen=selected.threshold,
                      stories=rep.stories, qualifying=rep.qualifying, filtered=rep.filtered, bins=rep.bins,
                      rows=rep.rows, selected=selected, gained=ranked(selected.gained), lost=ranked(selected.lost))
