"""The web view's queries on a real seeded SQLite store."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.commands.overrides import effective_rules
from bot.store import schema as t
from bot.web.queries import Filters, list_stories, message_link, source_health, story_detail
from tests.unit.web.seed import HOSTILE, NOW, Seeded


def _cards(s: Seeded, **kw: object) -> list:
    return list_stories(s.store, s.settings, effective_rules(s.settings, s.store), Filters(**kw), NOW)  # type: ignore[arg-type]


def test_newest_first_within_the_window(seeded: Seeded) -> None:
    cards = _cards(seeded, since="7d", limit=500)
    times = [c.story.first_seen for c in cards]
    assert times == sorted(times, reverse=True) and cards[0].story.id == seeded.special
    assert all(t >= NOW - timedelta(days=7) for t in times)
    assert len(_cards(seeded, since="all", limit=500)) == len(seeded.story_ids)
    assert len(_cards(seeded, since="all", limit=10)) == 10


def test_every_card_has_a_decision_per_channel_with_the_link_when_posted(seeded: Seeded) -> None:
    cards = _cards(seeded, since="all", limit=500)
    assert all({d.channel for d in c.decisions} == {"ai-infra", "security", "everything"} for c in cards)
    posted = [d for c in cards for d in c.decisions if d.channel == "ai-infra" and d.tone == "sent"]
    assert posted and all(d.link and d.link.startswith("https://slack.com/archives/C0AI/p") for d in posted)
    first = cards[0]
    assert first.summary.startswith("Nvidia news summarised") and first.url and first.up == 2


def test_filters(seeded: Seeded) -> None:
    only = _cards(seeded, since="all", channel="security", limit=500)
    assert all([d.channel for d in c.decisions] == ["security"] for c in only)
    topic = _cards(seeded, since="all", topic="security", limit=500)
    assert topic and all("security" in c.story.topics for c in topic)
    cat = _cards(seeded, since="all", category="Outage", limit=500)
    assert cat and all(c.story.category == "Outage" for c in cat)
    held = _cards(seeded, since="all", channel="ai-infra", outcome="held", limit=500)
    assert held and all(c.decisions[0].tone != "sent" for c in held)
    posted = _cards(seeded, since="all", channel="ai-infra", outcome="posted", limit=500)
    assert posted and all(c.decisions[0].tone == "sent" for c in posted)
    assert len(held) + len(posted) == len(seeded.story_ids)


def test_search_uses_the_full_text_index_best_match_first(seeded: Seeded) -> None:
    hits = _cards(seeded, q="ransomware breach", since="all", limit=500)
    assert hits and all("Ransomware" in c.story.title for c in hits)
    assert _cards(seeded, q="zzzz-nothing", since="all") == []
    assert _cards(seeded, q='"; DROP TABLE stories; --', since="all") == []


def test_story_detail(seeded: Seeded) -> None:
    d = story_detail(seeded.store, seeded.settings, effective_rules(seeded.settings, seeded.store), seeded.special[:6])
    assert d is not None and d.card.story.title.endswith(HOSTILE)
    assert [m.source for m in d.members] == ["Wire", "The Register", "Ars Technica"]  # by publication time
    assert d.contributions["importance"][0][0] in {"n_sources", "watchlist:nvidia"}
    assert d.relevance == {"ai-chips": 0.69} or "ai-chips" in d.relevance
    assert [f.label for f in d.feedback] == [1, 1]
    assert [(x.channel, x.status) for x in d.deliveries] == [("ai-infra", "sent")]
    assert {x.reason for x in d.card.decisions} == {"posted", "muted", "not_relevant"}
    assert story_detail(seeded.store, seeded.settings, {}, "no-such-story") is None


def test_story_detail_shows_failed_and_retrying_deliveries(seeded: Seeded) -> None:
    dl = t.deliveries
    with seeded.store.begin() as c:
        failed = c.execute(select(dl.c.story_id).where(dl.c.status == "failed")).scalars().first()
    d = story_detail(seeded.store, seeded.settings, {}, failed)
    assert d is not None
    row = next(x for x in d.deliveries if x.status == "failed")
    assert row.error and row.link is None
    dec = next(x for x in d.card.decisions if x.channel == row.channel)
    assert (dec.label, dec.tone) == ("post failed", "failed")


def test_source_health(seeded: Seeded) -> None:
    rows = {r.name: r for r in source_health(seeded.store, seeded.settings, NOW)}
    assert {n: r.status for n, r in rows.items()} == {
        "Ars Technica": "ok", "The Register": "failing", "TechCrunch": "paused", "Wire": "ok",
        "Quiet Blog": "disabled"}
    assert rows["Ars Technica"].host == "feeds.arstechnica.com"
    assert rows["TechCrunch"].pause_reason and rows["The Register"].failures == 3
    a = t.articles
    with seeded.store.begin() as c:
        n = c.execute(select(func.count()).select_from(a).where(
            a.c.source == "Wire", a.c.fetched_at >= NOW - timedelta(days=7))).scalar_one()
    assert rows["Wire"].articles_per_day == round(n / 7, 1)
    assert rows["Wire"].last_article_at is not None and rows["Wire"].last_article_at.tzinfo is not None


def test_message_links(seeded: Seeded) -> None:
    st = seeded.settings
    assert message_link(st, "ai-infra", "1700000000.000100") == "https://slack.com/archives/C0AI/p1700000000000100"
    assert message_link(st, "security", "1100000000001") is None  # Discord needs the guild id: not stored
    assert message_link(st, "security", "https://discord.com/channels/1/2/3") == "https://discord.com/channels/1/2/3"
    assert message_link(st, "nope", "1.2") is None and message_link(st, "ai-infra", None) is None


def test_source_health_lists_sources_added_at_runtime(seeded: Seeded) -> None:
    """A source added from chat was listed as "not in config" and disabled once fetched, and
    not at all before; one paused from chat showed as ok."""
    from bot.settings import SourceSettings
    from bot.sources.registry import add_source, pause_source

    add_source(seeded.settings, seeded.store, SourceSettings(name="Chat Added", url="https://chat.example/rss"), "U1")
    pause_source(seeded.settings, seeded.store, "Wire", "U1")
    rows = {r.name: r for r in source_health(seeded.store, seeded.settings, NOW)}
    added = rows["Chat Added"]
    assert (added.status, added.enabled, added.added, added.configured) == ("never", True, True, False)
    assert rows["Wire"].status == "disabled" and not rows["Wire"].added and rows["Wire"].configured
