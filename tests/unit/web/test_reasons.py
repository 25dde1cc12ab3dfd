"""Every routing reason reads as a label a person understands, with the right tone."""

from __future__ import annotations

import pytest

from bot.routing.rules import Reason
from bot.web.reasons import render_decision


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_a_readable_label(reason: Reason) -> None:
    d = render_decision("news", "skip", reason.value, "some detail", 4.0, 6.0)
    assert d.label and "_" not in d.label
    assert d.tone in {"sent", "queued", "held", "digest", "skip", "muted", "failed"}


def test_below_min_importance_says_by_how_much() -> None:
    d = render_decision("news", "skip", "below_min_importance",
                        "importance 5.2 < min_importance 6 (by 0.8)", 5.2, 6.0)
    assert d.label == "below 6 by 0.8"
    assert d.text == "importance 5.2 is below min_importance 6 by 0.8"
    # without a detail (older rows) the gap comes from the numbers
    d = render_decision("news", "skip", "below_min_importance", "", 4.5, 7.0)
    assert d.label == "below 7 by 2.5"


def test_posted_links_to_the_message_only_when_it_went_out() -> None:
    link = "https://slack.com/archives/C1/p1700000000000100"
    sent = render_decision("news", "alert", "posted", "importance 8.0 >= 6", 8.0, 6.0, "sent", link)
    assert (sent.label, sent.tone, sent.link) == ("posted", "sent", link)
    queued = render_decision("news", "alert", "posted", "", 8.0, 6.0, "pending", None)
    assert (queued.label, queued.tone, queued.link) == ("queued", "queued", None)
    failed = render_decision("news", "alert", "posted", "", 8.0, 6.0, "failed", link)
    assert (failed.label, failed.tone, failed.link) == ("post failed", "failed", None)
    unknown = render_decision("news", "alert", "posted", "importance 8.0 >= 6", 8.0, 6.0, "sent", None)
    assert "message link not known" in unknown.text


@pytest.mark.parametrize(("reason", "detail", "label", "tone"), [
    ("quiet_hours", "quiet hours 22:00-07:00 (Europe/Berlin); delivered at 07:00", "quiet hours → 07:00", "held"),
    ("over_cap", "max_per_day 5 reached (5 alerts this day); in the 17:00 digest", "over cap → digest", "digest"),
    ("not_relevant", "not about ai (best: ai 0.12)", "not relevant", "skip"),
    ("keyword_filtered", "matches exclude rule 'sponsored'", "keyword filter", "skip"),
    ("muted", "all of this channel's topics are muted: ai", "muted", "muted"),
    ("source_paused", "", "source paused", "muted"),
    ("digest_only", "this channel receives digests only", "digest only", "digest"),
    ("something_new", "", "something new", "skip"),
])
def test_held_back_reasons(reason: str, detail: str, label: str, tone: str) -> None:
    d = render_decision("news", "skip", reason, detail, 7.0, 5.0)
    assert (d.label, d.tone) == (label, tone)
    assert d.text == (detail or label)


def test_quiet_hours_then_sent() -> None:
    d = render_decision("news", "hold", "quiet_hours", "quiet hours 22:00-07:00 (UTC); delivered at 07:00", 7.0, 5.0,
                        "sent", "https://x.example/m")
    assert (d.label, d.tone, d.link) == ("posted after quiet hours", "sent", "https://x.example/m")
