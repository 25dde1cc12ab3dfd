"""Turn one scored story into decisions and outbox rows for every channel.

Content rules come from :func:`bot.routing.rules.check_rules`; this module adds what
depends on history: a story is alerted at most once per channel (later coverage becomes
a follow-up), and timing policies (quiet hours, caps, digests; see ``policy``) are
applied here. A story that turns urgent while its alert is held for quiet hours has that
alert released at once (urgent stories are never held), its follow-ups behind it. Given
the routing transaction's ``conn``, caps count what the channel already got; without it
(dry runs, tests of content rules) caps are not applied. Config channels that post to the
same place (one Slack channel with a rule set per topic) alert a story there once: the
first one in config order whose rules pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from bot.models import Alert, AlertKind, SourceRef
from bot.outbox.queue import NewDelivery
from bot.routing.history import ChannelHistory, history_for
from bot.routing.pacing import FOLLOWUPS_PER_HOUR, pace_followup
from bot.routing.policy import apply_timing, is_urgent
from bot.routing.rules import Action, Decision, Reason, StoryView, check_rules
from bot.settings import ChannelRules, Settings

__all__ = ["Plan", "alert_for", "channel_topics", "plan_story"]


class Plan:
    """Decisions per channel plus the outbox rows they imply."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []
        self.deliveries: list[NewDelivery] = []

    @property
    def alerted_channels(self) -> list[str]:
        return [d.channel for d in self.decisions if d.action is Action.ALERT]


def alert_for(story: StoryView, channel: str, kind: AlertKind, summary: list[str], tags: list[str],
              followup_mode: str = "thread", new_source: SourceRef | None = None,
              new_sources: list[SourceRef] | None = None, topics: list[str] | None = None) -> Alert:
    """The alert for ``channel``; ``topics``: the story's topics as that channel shows them
    (``channel_topics``), the story's own order when not given."""
    return Alert(kind=kind, channel=channel, story_id=story.id, title=story.title, url=story.url,
                 importance=story.importance, category=story.category,
                 topics=list(story.topics if topics is None else topics),
                 summary=summary, sources=list(story.sources), tags=tags, published_at=story.published_at,
                 relevance=dict(story.relevance), new_source=new_source, followup_mode=followup_mode,
                 new_sources=list(new_sources or []))


def channel_topics(topics: list[str], rules: ChannelRules, muted: frozenset[str] = frozenset()) -> list[str]:
    """The story's topics for one channel's alert: those the channel follows and has not muted
    first. Adapters put the first one on the 👍/👎 and Mute buttons, so a vote trains (and a mute
    silences) the topic that brought the story here; the story's first topic was on them before,
    so in a channel following only its second topic a 👎 trained the other one and "Mute" named a
    topic the channel never had."""
    here = [t for t in topics if t not in muted and (not rules.topics or t in rules.topics)]
    return here + [t for t in topics if t not in here]


def plan_story(story: StoryView, settings: Settings, *, summary: list[str], tags: list[str],
               alerted: set[str], new_source: SourceRef | None, now: datetime,
               rules_by_channel: Mapping[str, ChannelRules] | None = None,
               muted: Mapping[str, frozenset[str]] | None = None, conn: Connection | None = None,
               history: ChannelHistory | None = None, new_sources: list[SourceRef] | None = None,
               alert_notes: Mapping[str, str] | None = None) -> Plan:
    """Decide for every channel. ``alerted``: channels that already have this story's alert.

    ``new_source``: the last outlet new to the story in this batch; ``new_sources``: all of them
    (several can join between two cycles), so one follow-up names every one. ``alert_notes``:
    what became of each earlier alert (:meth:`bot.outbox.Outbox.alert_notes`), for the detail.

    ``conn`` (the routing transaction) or ``history`` lets caps see the channel's past alerts.
    """
    plan = Plan()
    if history is None and conn is not None:
        history = history_for(conn)
    # config channels sharing one destination (a rule set per topic) post a story there once
    posted_to = {ch.target: ch.name for ch in settings.channels if ch.name in alerted and ch.target}
    for ch in settings.channels:
        rules = (rules_by_channel or {}).get(ch.name) or settings.rules(ch)
        shown = channel_topics(story.topics, rules, (muted or {}).get(ch.name, frozenset()))
        if ch.name in alerted:
            # urgent now, while its alert still waits for quiet hours to end: the alert goes at once
            released = history is not None and is_urgent(story, rules) and history.release_held(ch.name, story.id, now)
            note = f"; urgent now ({story.importance:.1f}): its alert held for quiet hours is posted at once" \
                if released else ""
            if new_source is None or rules.followups == "none":
                plan.decisions.append(Decision(ch.name, Action.SKIP, Reason.ALREADY_ALERTED,
                                               (alert_notes or {}).get(ch.name, "alerted earlier") + note))
                continue
            mode = rules.followups or "thread"
            alert = alert_for(story, ch.name, AlertKind.FOLLOWUP, summary, tags, mode, new_source,
                              new_sources if new_sources and len(new_sources) > 1 else None, shown)
            key = f"followup:{story.id}:{ch.name}:{new_source.name}"
            names = ", ".join(s.name for s in new_sources or [new_source])
            timing = apply_timing(Decision(ch.name, Action.FOLLOWUP, Reason.FOLLOWUP,
                                           f"new source{'s' if len(new_sources or []) > 1 else ''} {names}{note}"),
                                  story, rules, settings, now, history)
            limit = rules.max_followups_per_hour or FOLLOWUPS_PER_HOUR
            paced = pace_followup(history, ch.name, alert, limit, now) if mode == "thread" else None
            if paced is not None and paced.merged_into is not None:
                plan.decisions.append(replace(timing.decision, detail=f"{timing.decision.detail}; added to the "
                                              "reply waiting for the hour's follow-ups to make room"))
                continue
            if paced is not None and paced.not_before is not None:
                timing = replace(timing, not_before=max(paced.not_before, timing.not_before or paced.not_before),
                                 decision=replace(timing.decision, detail=f"{timing.decision.detail}; waits until "
                                                  f"{paced.not_before:%H:%M} UTC (max_followups_per_hour {limit}), "
                                                  "with the outlets that join meanwhile"))
            plan.deliveries.append(NewDelivery(key=key, alert=alert, status=timing.status,
                                               not_before=timing.not_before))
            plan.decisions.append(timing.decision)
            continue
        decision = check_rules(story, ch.name, rules, (muted or {}).get(ch.name, frozenset()))
        if decision.action is Action.ALERT and ch.target in posted_to:
            plan.decisions.append(Decision(ch.name, Action.SKIP, Reason.ALREADY_ALERTED,
                                           f"alerted in the same place ({_where(ch.target or '')}) by channel "
                                           f"{posted_to[ch.target]!r}"))
            continue
        timing = apply_timing(decision, story, rules, settings, now, history)
        if timing.decision.action in (Action.ALERT, Action.HOLD):
            if ch.target:
                posted_to[ch.target] = ch.name
            alert = alert_for(story, ch.name, AlertKind.ALERT, summary, tags, rules.followups or "thread", topics=shown)
            plan.deliveries.append(NewDelivery(key=f"alert:{story.id}:{ch.name}", alert=alert, status=timing.status,
                                               not_before=timing.not_before))
        plan.deliveries.extend(timing.notices)
        plan.decisions.append(replace(timing.decision))
    return plan


def _where(target: str) -> str:
    """``slack C0123`` as is; webhook URLs (secrets) are not repeated in explanations."""
    kind = target.split(" ", 1)[0]
    return target if kind in ("slack", "discord") else f"the same {kind.replace('_', ' ')}"
