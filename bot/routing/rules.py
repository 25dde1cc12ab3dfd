"""Per-channel rules: does a story reach a channel, and if not, why not.

``route`` is a pure function of the story, the channel's effective rules and the time,
so the same code decides live, replays history for ``signals tune`` and explains
silence in the web view. Every decision carries a machine reason and a human detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.models import SourceRef
from bot.settings import ChannelRules

__all__ = ["DEFAULT_MIN_IMPORTANCE", "Action", "Decision", "Reason", "StoryView", "check_rules"]

DEFAULT_MIN_IMPORTANCE = 5.0


class Action(StrEnum):
    ALERT = "alert"
    FOLLOWUP = "followup"
    HOLD = "hold"  # quiet hours: delivered when they end
    DIGEST = "digest"  # goes into the next digest
    SKIP = "skip"


class Reason(StrEnum):
    POSTED = "posted"
    FOLLOWUP = "followup"
    ALREADY_ALERTED = "already_alerted"
    BELOW_IMPORTANCE = "below_min_importance"
    NOT_RELEVANT = "not_relevant"
    BELOW_RELEVANCE = "below_min_relevance"
    CATEGORY = "category_filtered"
    EVENT = "event_filtered"
    KEYWORD = "keyword_filtered"
    SOURCE = "source_filtered"
    QUIET_HOURS = "quiet_hours"
    OVER_CAP = "over_cap"
    DIGEST_ONLY = "digest_only"
    MUTED = "muted"
    SOURCE_PAUSED = "source_paused"


@dataclass(slots=True)
class StoryView:
    """What routing needs to know about a scored story."""

    id: str
    title: str
    text: str
    url: str
    importance: float
    category: str
    event: str
    domain: str
    topics: list[str]
    relevance: dict[str, float]
    sources: list[SourceRef] = field(default_factory=list)
    first_seen: datetime | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    channel: str
    action: Action
    reason: Reason
    detail: str = ""
    not_before: datetime | None = None


def _matches(pattern: str, text: str) -> bool:
    if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
        return re.search(pattern[1:-1], text, re.I) is not None
    return re.search(rf"(?<!\w){re.escape(pattern)}(?!\w)", text, re.I) is not None


def check_rules(story: StoryView, channel: str, rules: ChannelRules, muted: frozenset[str] = frozenset()) -> Decision:
    """The content rules (topics, thresholds, filters). Timing rules come after, in ``policy``."""

    def skip(reason: Reason, detail: str) -> Decision:
        return Decision(channel, Action.SKIP, reason, detail)

    if muted and story.topics and all(t in muted for t in story.topics):
        return skip(Reason.MUTED, f"muted here: {', '.join(story.topics)}")
    if rules.topics:
        live = [t for t in rules.topics if t not in muted]
        hit = [t for t in live if t in story.topics]
        if not live:
            return skip(Reason.MUTED, f"all of this channel's topics are muted: {', '.join(rules.topics)}")
        if not hit:
            best = max(live, key=lambda t: story.relevance.get(t, 0.0))
            return skip(Reason.NOT_RELEVANT, f"not about {', '.join(live)} (best: {best} "
                                             f"{story.relevance.get(best, 0.0):.2f})")
        if rules.min_relevance is not None and max(story.relevance.get(t, 0.0) for t in hit) < rules.min_relevance:
            return skip(Reason.BELOW_RELEVANCE, f"relevance below {rules.min_relevance:.2f}")
    names = {s.name for s in story.sources}
    if rules.sources and not names & set(rules.sources):
        return skip(Reason.SOURCE, "no source in this channel's sources list")
    if rules.exclude_sources and names and names <= set(rules.exclude_sources):
        return skip(Reason.SOURCE, "only excluded sources cover it")
    if rules.categories and story.category not in rules.categories:
        return skip(Reason.CATEGORY, f"category {story.category} not in {', '.join(rules.categories)}")
    if rules.exclude_categories and story.category in rules.exclude_categories:
        return skip(Reason.CATEGORY, f"category {story.category} is excluded")
    if rules.events and story.event not in rules.events:
        return skip(Reason.EVENT, f"event {story.event} not in {', '.join(rules.events)}")
    if rules.exclude_events and story.event in rules.exclude_events:
        return skip(Reason.EVENT, f"event {story.event} is excluded")
    body = f"{story.title}\n{story.text}"
    if rules.include and not any(_matches(p, body) for p in rules.include):
        return skip(Reason.KEYWORD, f"matches none of include: {', '.join(rules.include)}")
    if rules.exclude and (hit_ex := next((p for p in rules.exclude if _matches(p, body)), None)):
        return skip(Reason.KEYWORD, f"matches exclude rule {hit_ex!r}")
    need = rules.min_importance if rules.min_importance is not None else DEFAULT_MIN_IMPORTANCE
    if story.importance < need:
        return skip(Reason.BELOW_IMPORTANCE, f"importance {story.importance:.1f} < min_importance {need:g} "
                                             f"(by {need - story.importance:.1f})")
    if rules.mode == "digest_only":
        return Decision(channel, Action.DIGEST, Reason.DIGEST_ONLY, "this channel receives digests only")
    return Decision(channel, Action.ALERT, Reason.POSTED, f"importance {story.importance:.1f} >= {need:g}")
