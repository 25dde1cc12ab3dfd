"""The badge's number rounds half up, the way people read a score.

Before: ``round()`` (half to even) made 6.5 show 6/10 and 7.5 show 8/10, so two stories a
point apart in importance rounded two points apart, and one at a channel's 6.5 threshold
showed 6/10 beside a "threshold ≥ 6.5" reply.
"""

from __future__ import annotations

import pytest

from bot.adapters.console import format_text
from bot.adapters.discord.embeds import alert_payload, marker_for, render_alert
from bot.adapters.slack.blocks import render_alert as slack_alert
from bot.models import Alert, AlertKind, out_of_ten
from bot.web.format import num

HALVES = [(0.5, 1), (2.5, 3), (6.5, 7), (7.5, 8), (8.5, 9), (6.49, 6), (9.5, 10)]


def alert(importance: float, **kw: object) -> Alert:
    base: dict[str, object] = dict(kind=AlertKind.ALERT, channel="news", story_id="s1", title="T",
                                   url="https://wire.example/t", importance=importance, category="Industry")
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("importance", "shown"), HALVES)
def test_the_badge_rounds_half_up_everywhere(importance: float, shown: int) -> None:
    assert out_of_ten(importance) == shown
    badge = f"{shown}/10 · Industry"
    assert alert(importance).badge == badge
    text, blocks = slack_alert(alert(importance))
    assert text.startswith(badge) and blocks[0]["elements"][0]["text"] == f"*{badge}*"
    assert render_alert(alert(importance), marker_for("k"))["author"]["name"] == badge
    assert format_text(alert(importance)).startswith(f"[news] {badge}")
    digest = alert(0.0, kind=AlertKind.DIGEST, title="Digest", items=[alert(importance)])
    assert f"[{badge}]" in format_text(digest)
    assert f"`{badge}`" in alert_payload(digest, "k")["embeds"][0]["description"]


def test_the_web_figures_round_half_up() -> None:
    assert num(6.25) == "6.3" and num(6.75) == "6.8" and num(6.5, 0) == "7" and num(None) == "—"
