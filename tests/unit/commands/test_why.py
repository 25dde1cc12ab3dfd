"""``why`` explains the importance an alert showed: every term, adding up to the score.

Before: ``why`` (and the web story page) listed the five (eight) largest importance terms
only. A story covered by three outlets about a watched company's $2bn deal has ten terms;
the five shown summed to 8.43 while the story scored 7.86, and the age and novelty
penalties that pulled it down were not shown at all.
"""

from __future__ import annotations

from datetime import timedelta

from bot.commands import CommandService, Invocation
from bot.settings import Settings
from bot.store import Store
from classifiers.importance import importance
from classifiers.types import Scores, StoryContext

from .conftest import NOW, add_story


def _scored(store: Store, sid: str, ctx: StoryContext, relevance: float) -> tuple[float, list[tuple[str, float]]]:
    imp, terms = importance("Nvidia agrees to buy Arm in $2 billion deal", "Nvidia said on Monday...",
                            "acquisition", ctx, ["Nvidia"], relevance, NOW - timedelta(days=3), NOW)
    scores = Scores(domain="business", event="acquisition", category="Industry", importance=imp,
                    relevance={"ai": relevance}, topics=["ai"], explanation={"importance": terms}).to_dict()
    add_story(store, sid, "Nvidia agrees to buy Arm in $2 billion deal", imp, ["ai"], scores=scores)
    return imp, [(c.feature, c.weight) for c in terms]


def _why(settings: Settings, store: Store, sid: str) -> str:
    r = CommandService(settings, store, clock=lambda: NOW).run(
        Invocation(text=f"why {sid}", user="U1", platform="slack", platform_channel="C1"))
    assert not r.error, r.text
    return r.text


def test_why_lists_every_importance_term_and_they_add_up(settings: Settings, store: Store) -> None:
    ctx = StoryContext(n_sources=3, first_seen=NOW - timedelta(hours=2), last_seen=NOW, source_weights=[0.5],
                       novelty=0.8)
    imp, terms = _scored(store, "s-arm", ctx, 0.9)
    assert len(terms) == 10
    text = _why(settings, store, "s-arm")
    shown = [line.strip() for line in text.splitlines() if line.strip()[:1] in "+-"
             and any(f in line for f, _ in terms)]
    assert len(shown) == len(terms), text  # older than 2 days, novelty, source weight were missing
    assert round(sum(float(x.split()[0]) for x in shown), 1) == round(imp, 1)
    assert f"= {imp:.2f} → {round(imp)}/10" in text  # the total, as the alert's badge showed it


def test_why_says_when_the_terms_exceed_the_scale(settings: Settings, store: Store) -> None:
    ctx = StoryContext(n_sources=40, first_seen=NOW - timedelta(hours=1), last_seen=NOW, source_weights=[3.0])
    imp, terms = _scored(store, "s-big", ctx, 1.0)
    assert imp == 10.0 and sum(w for _, w in terms) > 10.5
    text = _why(settings, store, "s-big")
    assert f"= {sum(w for _, w in terms):.2f}, capped at 10 → 10/10" in text


def test_why_of_a_story_whose_decisions_retention_deleted_says_so(settings: Settings, store: Store) -> None:
    """``signals db prune`` (daily, ``retention``: 90 days) deletes the routing decisions of stories
    quiet that long; ``why`` on such a story's alert then said "no decision recorded for this
    story", as if it had never been routed here."""
    add_story(store, "s-ancient", "Old chip story", 7.0, ["ai"], at=NOW - timedelta(days=120))
    text = _why(settings, store, "s-ancient")
    assert "no decision recorded" not in text
    assert "deleted" in text and "retention: 90d" in text and "last article 2026-07-27" in text
    recent = _why(settings, store, "s-nvidia-1")  # no decision stored, but recent: nothing was deleted
    assert "news: no decision recorded for this story" in recent
