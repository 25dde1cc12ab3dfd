"""Votes recorded from chat reach the running scorer at its next batch, not at the next restart."""

from __future__ import annotations

from bot.commands import CommandService
from bot.scoring import StoryInput, StoryScorer

from .conftest import NOW


def _relevance(scorer: StoryScorer, store, sid: str, topic: str) -> float:
    (sc,) = scorer.score([StoryInput(sid, store.story_articles(sid))])
    return sc.relevance[topic]


def test_new_and_changed_votes_apply_without_restart(settings, store):
    scorer = StoryScorer(settings, store)
    chat = CommandService(settings, store, clock=lambda: NOW)  # the web/chat process, in effect
    ai = scorer.scorer.topics["ai"]
    before = _relevance(scorer, store, "s-nvidia-1", "ai")
    assert scorer.sync_feedback(store) == 0

    chat.feedback("s-nvidia-1", "U1", "down", channel="news", topic="ai")
    chat.feedback("s-nvidia-1", "U2", "down", channel="news", topic="ai")
    chat.feedback("s-tsmc-2", "U1", "up", channel="news", topic="nosuch")  # unknown topic: counted, not applied
    assert scorer.sync_feedback(store) == 2
    assert [label for _, label in ai.labels_] == [False, False]
    lowered = _relevance(scorer, store, "s-nvidia-1", "ai")
    assert lowered < before

    chat.feedback("s-nvidia-1", "U2", "up", channel="news", topic="ai")  # a changed vote: the row is updated
    assert scorer.sync_feedback(store) == 2  # rebuilt from every stored vote
    assert sorted(label for _, label in ai.labels_) == [False, True]
    assert scorer.sync_feedback(store) == 0

    restarted = StoryScorer(settings, store)  # the same state as a fresh replay
    assert [label for _, label in restarted.scorer.topics["ai"].labels_] == [label for _, label in ai.labels_]
    assert _relevance(restarted, store, "s-nvidia-1", "ai") == _relevance(scorer, store, "s-nvidia-1", "ai")
