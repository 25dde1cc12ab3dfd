"""The tune script's coordinate search (step 4 of ``bot.stories.tune``) on the small test corpus."""

from __future__ import annotations

from bot.stories import ClusterItem
from bot.stories.evaluate import run
from bot.stories.scoring import Params
from bot.stories.tune import refine, topic_folds
from tests.unit.stories.conftest import BACKGROUND, CLOUD_CHIPS, EARNINGS


def _corpus() -> tuple[list[ClusterItem], list[str]]:
    items = [ClusterItem(f"bg{i}", t, x, f"w{i}") for i, (t, x) in enumerate(BACKGROUND)]
    truth = [f"bg{i}" for i in range(len(BACKGROUND))]
    items += [ClusterItem(f"e{i}", t, x, s) for i, (s, t, x) in enumerate(EARNINGS)]
    truth += ["earnings"] * len(EARNINGS)
    items.append(ClusterItem("cloud", CLOUD_CHIPS[1], CLOUD_CHIPS[2], CLOUD_CHIPS[0]))
    truth.append("cloud")
    return items, truth


def _objective(items: list[ClusterItem], truth: list[str], p: Params) -> float:
    s = run(items, truth, p)
    return s.f1 + s.bcubed_f1


def test_refine_recovers_from_a_threshold_that_splits_the_event() -> None:
    items, truth = _corpus()
    start = Params(threshold=10.0)  # far too strict: the earnings articles start stories of their own
    assert _objective(items, truth, start) < 1.5
    found = refine(items, truth, start)
    assert _objective(items, truth, found) == 2.0  # perfect pairwise and B-cubed F1 again
    assert refine(items, truth, start) == found  # deterministic: only strict gains move it
    assert len(found.weights) == len(start.weights)


def test_refine_keeps_a_start_that_cannot_improve() -> None:
    items, truth = _corpus()
    start = Params()
    assert _objective(items, truth, start) == 2.0
    assert refine(items, truth, start) == start


def test_topic_folds_cover_every_topic_once() -> None:
    topics = [str(t) for t in (1, 3, 3, 5, 7, 9, 11, 13, 13, 15, 17)]
    plain = topic_folds(topics, 3)
    assert plain[0] == {"1", "7", "13"}  # topic-number order, every third topic
    for seed in (None, 1, 2):
        folds = topic_folds(topics, 3, seed)
        assert len(folds) == 3
        assert set().union(*folds) == set(topics)
        assert sum(len(f) for f in folds) == len(set(topics))  # disjoint
        assert topic_folds(topics, 3, seed) == folds  # deterministic
    assert topic_folds(topics, 3, 1) != plain
