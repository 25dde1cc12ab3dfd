"""Overrides set from chat change what routing decides (effective_rules / muted_topics → check_rules)."""

from __future__ import annotations

from bot.commands import CommandService, Invocation, effective_rules, muted_topics
from bot.routing.rules import Action, Reason, StoryView, check_rules

from .conftest import NOW


def view(importance: float, topics: list[str]) -> StoryView:
    return StoryView(id="x", title="t", text="t", url="https://x.example/", importance=importance, category="Industry",
                     event="other", domain="technology", topics=topics, relevance={t: 0.9 for t in topics})


def decide(settings, store, story: StoryView):
    rules = effective_rules(settings, store)["news"]
    return check_rules(story, "news", rules, muted_topics(store).get("news", frozenset()))


def test_chat_overrides_drive_routing(settings, store):
    svc = CommandService(settings, store, clock=lambda: NOW)
    run = lambda text: svc.run(Invocation(text=text, user="U1", platform_channel="C1"))  # noqa: E731
    chips = view(7.0, ["chips"])
    assert decide(settings, store, chips).reason is Reason.NOT_RELEVANT
    run("subscribe chips")
    assert decide(settings, store, chips).action is Action.ALERT
    run("threshold 8")
    assert decide(settings, store, chips).reason is Reason.BELOW_IMPORTANCE
    run("threshold 5")
    run("mute chips")
    run("mute ai")
    assert decide(settings, store, chips).reason is Reason.MUTED
