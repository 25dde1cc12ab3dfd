from __future__ import annotations

from sqlalchemy import select

from bot.commands import CommandService, Invocation, effective_rules, first_time, muted_topics
from bot.store import schema as t

from .conftest import NOW


def svc(settings, store) -> CommandService:
    return CommandService(settings, store, clock=lambda: NOW)


def inv(text: str, user: str = "U1", channel: str | None = "C1", platform: str = "slack") -> Invocation:
    return Invocation(text=text, user=user, platform=platform, platform_channel=channel, workspace="T1")


def test_help_and_unknown(settings, store):
    s = svc(settings, store)
    assert "search QUERY" in s.run(inv("help")).text
    assert "search QUERY" in s.run(inv("")).text
    r = s.run(inv("frobnicate"))
    assert r.error and r.ephemeral and "help" in r.text


def test_search_ranked_with_links(settings, store):
    r = svc(settings, store).run(inv("search nvidia earnings"))
    assert not r.error
    assert r.sections[0].title == "Nvidia beats earnings estimates"
    assert r.sections[0].url == "https://wire.example/s-nvidia-1"
    assert r.sections[0].story_id == "s-nvidia-1"
    assert svc(settings, store).run(inv("search")).error
    assert "No stored article" in svc(settings, store).run(inv("search zzzqqq")).text


def test_top_windows_and_topic(settings, store):
    s = svc(settings, store)
    day = s.run(inv("top"))
    assert [x.story_id for x in day.sections] == ["s-nvidia-1", "s-tsmc-2"]
    week = s.run(inv("top 7d"))
    assert week.sections[0].story_id == "s-old-3"
    chips = s.run(inv("top 24h chips"))
    assert [x.story_id for x in chips.sections] == ["s-tsmc-2"]
    assert s.run(inv("top 24h nosuch")).error


def test_why_shows_scores_and_decisions(settings, store):
    with store.begin() as c:
        c.execute(t.decisions.insert().values(story_id="s-nvidia-1", channel="news", action="alert", reason="posted",
                                              detail="importance 8.2 >= 6", importance=8.2, at=NOW))
    r = svc(settings, store).run(inv("why s-nvidia"))  # unique prefix
    assert not r.error
    assert "importance 8.2/10" in r.text and "n_sources" in r.text and "nvidia" in r.text
    assert "news: alert (posted)" in r.text
    assert svc(settings, store).run(inv("why nope-nope")).error


def test_subscribe_unsubscribe_audited_and_effective(settings, store):
    s = svc(settings, store)
    r = s.run(inv("subscribe chips"))
    assert not r.error and not r.ephemeral and "ai, chips" in r.text
    assert effective_rules(settings, store)["news"].topics == ["ai", "chips"]
    assert s.run(inv("subscribe chips")).text.endswith("already follows chips.")
    s.run(inv("unsubscribe ai"))
    assert effective_rules(settings, store)["news"].topics == ["chips"]
    assert effective_rules(settings, store)["news"].min_importance == 6  # config value kept
    with store.begin() as c:
        rows = c.execute(select(t.audit).order_by(t.audit.c.id)).all()
    assert [(r.actor, r.action, r.target, r.before, r.after) for r in rows] == [
        ("slack:U1", "set topics", "news", ["ai"], ["ai", "chips"]),
        ("slack:U1", "set topics", "news", ["ai", "chips"], ["chips"])]
    assert s.run(inv("subscribe nosuch")).error


def test_unsubscribing_the_last_topic_is_refused(settings, store):
    """An empty topic list means "no topic filter": the channel would get every story above its
    threshold, the opposite of what someone leaving a topic wants. Refused, nothing changes."""
    s = svc(settings, store)
    r = s.run(inv("unsubscribe ai"))
    assert r.error and "follows only ai" in r.text and "mute ai" in r.text and "6/10" in r.text
    assert effective_rules(settings, store)["news"].topics == ["ai"]
    with store.begin() as c:
        assert c.execute(select(t.audit)).all() == []


def test_threshold_show_set_and_validate(settings, store):
    s = svc(settings, store)
    assert "≥ 6/10 (config)" in s.run(inv("threshold")).text
    assert "now alerts on importance ≥ 7.5/10 (was 6)" in s.run(inv("threshold 7.5")).text
    assert "≥ 7.5/10 (set from chat)" in s.run(inv("threshold")).text
    assert effective_rules(settings, store)["news"].min_importance == 7.5
    assert s.run(inv("threshold 11")).error
    assert s.run(inv("threshold abc")).error


def test_admins_only_when_configured(settings, store):
    s = svc(settings, store)
    denied = s.run(inv("threshold 3", user="U_RANDOM", channel="C2"))
    assert denied.error and "admins" in denied.text
    assert not s.run(inv("threshold 3", user="U_ADMIN", channel="C2")).error
    assert "≥ 3/10" in s.run(inv("threshold", user="U_RANDOM", channel="C2")).text  # reading is allowed


def test_unconfigured_channel_cannot_change_settings(settings, store):
    r = svc(settings, store).run(inv("threshold 3", channel="C_UNKNOWN"))
    assert r.error and "not configured" in r.text


def test_discord_channel_resolution(settings, store):
    r = svc(settings, store).run(inv("threshold 4", platform="discord", channel="123", user="42"))
    assert not r.error
    assert effective_rules(settings, store)["disco"].min_importance == 4


def test_mute_and_unmute(settings, store):
    s = svc(settings, store)
    assert "muted in #news" in s.run(inv("mute ai")).text
    assert muted_topics(store) == {"news": frozenset({"ai"})}
    assert "already" in s.run(inv("mute ai")).text
    s.run(inv("unmute ai"))
    assert muted_topics(store) == {}


def test_feeds_and_digest(settings, store):
    s = svc(settings, store)
    feeds = s.run(inv("feeds")).text
    assert "Wire — not fetched yet" in feeds and "Off — disabled" in feeds
    d = s.run(inv("digest"))
    assert not d.ephemeral
    assert [x.story_id for x in d.sections] == ["s-nvidia-1"]  # news follows ai only


def test_feedback_once_per_user_and_topic(settings, store):
    s = svc(settings, store)
    r1 = s.feedback("s-nvidia-1", "U1", "up", channel="news", topic="ai")
    assert r1.changed and r1.up == ["U1"]
    r2 = s.feedback("s-nvidia-1", "U1", 1, channel="news", topic="ai")
    assert not r2.changed
    r3 = s.feedback("s-nvidia-1", "U2", -1, channel="news", topic="ai")
    assert r3.up == ["U1"] and r3.down == ["U2"]
    r4 = s.feedback("s-nvidia-1", "U1", "down", channel="news", topic="ai")
    assert r4.changed and r4.up == [] and set(r4.down) == {"U1", "U2"}
    s.feedback("s-nvidia-1", "U1", "down", channel="news")  # no topic: its own row, still unique
    s.feedback("s-nvidia-1", "U1", "down", channel="news")
    with store.begin() as c:
        n = c.execute(select(t.feedback)).all()
    assert len(n) == 3


def test_first_time(store):
    assert first_time(store, "Ev1")
    assert not first_time(store, "Ev1")
    assert first_time(store, "Ev2")


def test_top_buttons_vote_on_the_topic_asked_for_or_followed_here(settings, store):
    """``top chips`` lists a story about ai and chips: its 👍/👎 (Discord buttons, through the real
    translation) train chips, the topic the list was about, not the story's first topic. In a channel
    following ai, plain ``top`` puts ai on them."""
    from bot.adapters.discord.interactions import Caller, handle_click, reply_message
    from bot.adapters.discord.views import parse_custom_id

    from .conftest import add_story

    add_story(store, "s-both-4", "TSMC to make OpenAI's chip", 7.0, ["ai", "chips"])
    s = svc(settings, store)
    reply = s.run(inv("top chips", channel="C2"))
    section = next(x for x in reply.sections if x.story_id == "s-both-4")
    assert section.topic == "chips"
    up = next(b["custom_id"] for row in reply_message(reply).components for b in row["components"]
              if (c := parse_custom_id(b["custom_id"])) and c.story_id == "s-both-4" and c.action == "up")
    handle_click(s, up, Caller("U9", "C2"))
    with store.begin() as c:
        assert [(r.topic, r.label) for r in c.execute(select(t.feedback)).all()] == [("chips", 1)]

    add_story(store, "s-both-5", "TSMC and OpenAI", 7.0, ["chips", "ai"])
    here = s.run(inv("top", channel="C1"))  # #news follows ai
    assert next(x for x in here.sections if x.story_id == "s-both-5").topic == "ai"
    assert next(x for x in s.run(inv("top", channel="C2")).sections if x.story_id == "s-both-5").topic == "chips"


def test_discord_votes_here_counts_only_this_channels_votes(settings, store):
    """A Discord channel not named in the config still counts its own votes only ("Votes here"),
    as Slack does: before, the channel filter was dropped and votes from everywhere were counted."""
    from bot.adapters.discord.interactions import Caller, handle_click
    from bot.adapters.discord.views import custom_id

    s = svc(settings, store)
    handle_click(s, custom_id("up", "s-nvidia-1", "ai"), Caller("U1", "555"))
    handle_click(s, custom_id("down", "s-nvidia-1", "ai"), Caller("U2", "555"))
    reply = handle_click(s, custom_id("up", "s-nvidia-1", "ai"), Caller("U3", "777"))
    assert reply.content.endswith("Votes here: 👍 1 · 👎 0")
    reply = handle_click(s, custom_id("up", "s-nvidia-1", "ai"), Caller("U4", "123"))  # #disco, in the config
    assert reply.content.endswith("Votes here: 👍 1 · 👎 0")
