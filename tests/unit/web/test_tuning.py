"""The Tuning page's report is `signals tune`'s replay, at every threshold from 0 to 10."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.routing.replay import effective_rules, load_feedback, load_stories, replay, stored_window
from bot.web.tuning import TuningCache, thresholds, tuning_report, tuning_view
from tests.unit.web.seed import NOW, Seeded


@pytest.mark.parametrize("channel", ["ai-infra", "security", "everything"])
def test_same_figures_as_a_full_replay(seeded: Seeded, channel: str) -> None:
    since, _ = stored_window(seeded.store, NOW - timedelta(days=14))  # as signals tune replays it
    rules, muted = effective_rules(seeded.settings, seeded.store, channel)
    stories = load_stories(seeded.store, since, NOW)
    full = replay(stories, seeded.settings, channel, rules=rules, muted=muted, thresholds=thresholds(),
                  feedback=load_feedback(seeded.store, channel), since=since, until=NOW)
    rep = tuning_report(seeded.store, seeded.settings, channel, NOW, 14)
    assert len(rep.rows) == len(full.results) == 21
    for row, want in zip(rep.rows, full.results, strict=True):
        assert row.threshold == want.threshold
        assert (row.alerts, row.max_per_day, row.digest_items, row.rated) == (
            len(want.alerts), want.max_per_day, want.digest_items, want.labelled)
        assert row.alerts_per_day == want.mean_per_day and row.precision == want.precision
        assert (row.gained, row.lost) == (want.gained, want.lost)
        assert row.missed == len(want.missed)  # 👍 stories not alerted, those other rules keep out included
    assert sum(b.qualifying + b.other for b in rep.bins) == len(stories)
    assert rep.qualifying + rep.filtered == len(stories)


def test_slider_value_snaps_and_lists_gained_or_lost(seeded: Seeded) -> None:
    v = tuning_view(seeded.store, seeded.settings, "ai-infra", NOW, 14, 4.6)
    assert (v.current, v.chosen) == (6.0, 4.5)
    assert v.gained and not v.lost and all(4.5 <= s.importance < 6.0 for s in v.gained)
    assert [s.importance for s in v.gained] == sorted((s.importance for s in v.gained), reverse=True)
    up = tuning_view(seeded.store, seeded.settings, "ai-infra", NOW, 14, 99)
    assert up.chosen == 10.0 and up.lost and not up.gained
    assert tuning_view(seeded.store, seeded.settings, "ai-infra", NOW, 14, float("nan")).chosen == 6.0


def test_cache_reuses_a_report_until_the_store_changes(seeded: Seeded) -> None:
    cache = TuningCache()
    a = tuning_view(seeded.store, seeded.settings, "security", NOW, 14, 5, cache)
    b = tuning_view(seeded.store, seeded.settings, "security", NOW, 14, 7, cache)
    assert a.rows is b.rows and a.chosen != b.chosen
    c = tuning_view(seeded.store, seeded.settings, "security", NOW + timedelta(minutes=2), 14, 5, cache)
    assert c.rows is not a.rows  # the window moved
