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


def test_self_training_pool_comes_from_the_stores_newest_stories(settings, store):
    """The pool is the stored stories (one representative each), taken when votes arrive, so a
    restarted scorer builds the same models; a voted story's own text is not a pseudo-label."""
    from .conftest import add_story

    for i in range(12):
        add_story(store, f"s-gpu-{i}", f"Nvidia GPU demand {i}", 5.0, ["ai"], f"Nvidia and OpenAI chips story {i}")
    with store.begin() as c:
        store.mark_processed(c, [(a.id, a.story_id) for a in store.unprocessed_articles()])
    newest = store.newest_processed(3)
    assert [a.story_id for a in newest] == ["s-gpu-11", "s-gpu-10", "s-gpu-9"]

    scorer = StoryScorer(settings, store)
    assert scorer.scorer.pool == []  # no votes yet: nothing to self-train
    chat = CommandService(settings, store, clock=lambda: NOW)
    for i in range(10):
        chat.feedback(f"s-gpu-{i}", "U1", "up" if i % 2 else "down", channel="news", topic="ai")
    assert scorer.sync_feedback(store) == 10
    assert len(scorer.scorer.pool) == 15
    rel = _relevance(scorer, store, "s-gpu-11", "ai")
    assert scorer.scorer.topics["ai"].pseudo_ != (0, 0)
    restarted = StoryScorer(settings, store)
    assert _relevance(restarted, store, "s-gpu-11", "ai") == rel

    # no new vote, but the news moved on: after POOL_REFRESH new articles the pool is taken again
    scorer.POOL_REFRESH = 1
    add_story(store, "s-gpu-new", "Nvidia new GPU", 5.0, ["ai"], "Nvidia GPU for OpenAI")
    with store.begin() as c:
        store.mark_processed(c, [(a.id, a.story_id) for a in store.unprocessed_articles()])
    assert scorer.sync_feedback(store) == 0
    assert len(scorer.scorer.pool) == 16 and scorer.scorer.topics["ai"].fb_dirty_


def test_changed_votes_that_cancel_out_in_a_checksum_are_still_applied(settings, store):
    """Three votes changed between two syncs, rows 1, 2 and 3 with 3 = 1 + 2: 3 turned 👎 and 1, 2
    turned 👍 leave count and sum(id x label) of the table as they were. The models must follow."""
    scorer = StoryScorer(settings, store)
    chat = CommandService(settings, store, clock=lambda: NOW)
    for user, label in (("U1", "down"), ("U2", "down"), ("U3", "up")):
        chat.feedback("s-nvidia-1", user, label, channel="news", topic="ai")
    assert scorer.sync_feedback(store) == 3
    ai = scorer.scorer.topics["ai"]
    assert sorted(label for _, label in ai.labels_) == [False, False, True]

    for user, label in (("U3", "down"), ("U1", "up"), ("U2", "up")):
        chat.feedback("s-nvidia-1", user, label, channel="news", topic="ai")
    scorer.sync_feedback(store)
    assert sorted(label for _, label in ai.labels_) == [False, True, True]
    restarted = StoryScorer(settings, store)
    assert [label for _, label in restarted.scorer.topics["ai"].labels_] == [label for _, label in ai.labels_]
