"""Two config channels that post to the same Slack channel (say, one rule set per topic) make one
alert there for a story matching both, not two (found by the stories hunt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import SourceRef
from bot.routing import Action, Reason
from tests.unit.routing.routing_helpers import make_settings, view

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_a_story_matching_two_rule_sets_of_one_slack_channel_is_alerted_there_once(world) -> None:
    w = world(make_settings([
        {"name": "ai", "slack": "C1", "topics": ["ai"], "min_importance": 5},
        {"name": "chips", "slack": "C1", "topics": ["chips"], "min_importance": 3},
        {"name": "elsewhere", "slack": "C2", "min_importance": 3}]))
    story = view("s1", 7.0, topics=["ai", "chips"])
    plan = w.route(story, NOW)
    assert sorted(plan.alerted_channels) == ["ai", "elsewhere"]
    chips = next(d for d in plan.decisions if d.channel == "chips")
    assert (chips.action, chips.reason) == (Action.SKIP, Reason.ALREADY_ALERTED)
    assert "'ai'" in chips.detail and "C1" in chips.detail
    assert [d.key for d in plan.deliveries] == ["alert:s1:ai", "alert:s1:elsewhere"]

    later = w.route(story, NOW + timedelta(minutes=30), new_source=SourceRef("blog", "https://blog.example/1"))
    assert sorted(d.key for d in later.deliveries) == ["followup:s1:ai:blog", "followup:s1:elsewhere:blog"]


def test_console_channels_are_not_one_target(world) -> None:
    w = world(make_settings([{"name": "a", "console": True}, {"name": "b", "console": True}]))
    assert sorted(w.route(view("s1", 7.0), NOW).alerted_channels) == ["a", "b"]
