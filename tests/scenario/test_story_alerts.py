"""The stories-to-alerts promise, end to end: feeds over real HTTP → pipeline → the fake Slack.

Five outlets reporting one event make ONE alert saying "5 sources"; later coverage goes
into that alert's thread (or edits its sources line, or nothing, per ``followups``),
never a second top-level alert; a story that crosses a channel's threshold later is
alerted there once, with the count it has then. Every cycle runs in a fresh
``Pipeline`` on the same database, so each one is also a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.registry import build_destinations
from bot.pipeline import CycleReport, Pipeline
from bot.settings import Settings, settings_from_mapping
from bot.store import Store
from tests.fakes.slack_api import FakeSlack
from tests.feedserver import FeedServer, story_rss
from tests.scenario.test_pipeline import OTHER, STORY_A, STORY_B, STORY_C

STORY_D = ("Nvidia's Blackwell Ultra accelerator doubles AI training throughput",
           "Nvidia chief Jensen Huang unveiled the Blackwell Ultra GPU accelerator in San Jose, saying it doubles AI "
           "training throughput over the H200 for data centers; Amazon and Microsoft get it in the second quarter.")
STORY_E = ("Jensen Huang shows Blackwell Ultra GPU for AI data centers",
           "The Blackwell Ultra accelerator, shown by Nvidia's Jensen Huang at the San Jose developer conference, "
           "doubles training throughput compared with the H200 GPU. Cloud providers Microsoft and Amazon will get it "
           "in the second quarter.")
OUTLETS = list(zip(["wire", "daily", "late", "tech", "biz"], [STORY_A, STORY_B, STORY_C, STORY_D, STORY_E],
                   strict=True))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    f = FakeSlack().start()
    yield f
    f.stop()


class World:
    def __init__(self, srv: FeedServer, slack: FakeSlack, db: str) -> None:
        self.srv, self.slack, self.db = srv, slack, db
        self.live: list[str] = []

    def publish(self, *names: str, extra: tuple[str, str] | None = None) -> None:
        for name in names:
            story = dict(OUTLETS)[name]
            self.srv.feed(f"/{name}.xml", story_rss([story, *([extra] if extra else [])], f"{name}.example"))
            if name not in self.live:
                self.live.append(name)

    def settings(self, mode: str, channels: list[dict] | None = None) -> Settings:
        return settings_from_mapping({
            "sources": [{"name": s, "url": self.srv.url(f"/{s}.xml"), "every": "15m", "full_text": "never"}
                        for s in self.live],
            "topics": {"ai-chips": {"keywords": ["nvidia", "gpu", "accelerator", "ai chip"]}},
            "channels": [{"name": "infra", "slack": "C1", "min_importance": 0, "followups": mode}, *(channels or [])]})

    async def cycle(self, mode: str = "thread", channels: list[dict] | None = None,
                    clock: Callable[[], datetime] | None = None) -> CycleReport:
        settings = self.settings(mode, channels)
        store = Store.open(self.db)
        try:
            dests = build_destinations(settings, env={"SLACK_BOT_TOKEN": "xoxb-t", "SLACK_API_URL": self.slack.api_url})
            for d in dests.values():
                d.notifier.min_interval = 0  # type: ignore[attr-defined]
            async with Pipeline(settings, store, dests, **({"clock": clock} if clock else {})) as p:
                return await p.run_cycle()
        finally:
            store.close()

    def top(self, channel: str = "C1") -> list[dict]:
        return [m for m in self.slack.messages.get(channel, []) if not m.get("thread_ts")]

    def replies(self, channel: str = "C1") -> list[dict]:
        return [m for m in self.slack.messages.get(channel, []) if m.get("thread_ts")]


@pytest.fixture
def world(tmp_path: Path, slack: FakeSlack) -> Iterator[World]:
    with FeedServer() as srv:
        yield World(srv, slack, f"sqlite:///{tmp_path}/s.db")


def sources_line(msg: dict) -> str:
    return next(e["text"] for b in msg["blocks"] if b.get("block_id") == "signals_sources" for e in b["elements"])


async def test_five_outlets_in_one_cycle_make_one_alert_with_five_sources(world: World) -> None:
    world.publish(*dict(OUTLETS))
    report = await world.cycle()
    assert (report.new_stories, report.alerts, report.followups) == (1, 1, 0)
    (alert,) = world.top()
    assert sources_line(alert).startswith("5 sources") and not world.replies()


async def test_one_outlet_per_cycle_makes_one_alert_and_four_thread_replies(world: World) -> None:
    for name in dict(OUTLETS):
        world.publish(name)
        await world.cycle()
    (alert,) = world.top()
    replies = world.replies()
    assert [r["thread_ts"] for r in replies] == [alert["ts"]] * 4
    assert [r["text"].split(":")[0] for r in replies] == [f"Also covered by {n}" for n in ("daily", "late", "tech", "biz")]
    assert sources_line(replies[-1]).startswith("5 sources")


@pytest.mark.parametrize(("mode", "edits", "line"), [("edit", 4, "5 sources"), ("none", 0, "1 source")])
async def test_edit_mode_grows_the_sources_line_and_none_mode_stays_quiet(world: World, slack: FakeSlack, mode: str,
                                                                         edits: int, line: str) -> None:
    for name in dict(OUTLETS):
        world.publish(name)
        await world.cycle(mode)
    (alert,) = world.top()
    assert not world.replies() and sources_line(alert).startswith(line)
    assert len(slack.calls_to("chat.update")) == edits


async def test_three_outlets_in_one_later_cycle_are_all_named_in_the_thread(world: World) -> None:
    world.publish("wire", "daily")
    await world.cycle()
    world.publish("late", "tech", "biz")
    await world.cycle()
    (alert,) = world.top()
    replies = world.replies()
    assert replies and all(r["thread_ts"] == alert["ts"] for r in replies)
    named = " ".join(r["text"] for r in replies)
    assert all(n in named for n in ("late", "tech", "biz")), named
    assert sources_line(replies[-1]).startswith("5 sources")


async def test_the_same_outlet_again_is_no_new_source(world: World) -> None:
    world.publish("wire", "daily")
    await world.cycle()
    world.publish("wire", extra=STORY_D)  # a second wire article on the same event
    report = await world.cycle()
    assert report.new_articles == 1 and report.followups == 0
    assert len(world.top()) == 1 and not world.replies()


async def test_a_story_crossing_a_channels_threshold_is_alerted_there_once(world: World) -> None:
    channels = [{"name": "exec", "slack": "C2", "min_importance": 7, "followups": "thread"},
                {"name": "ai", "slack": "C3", "min_importance": 0, "topics": ["ai-chips"], "followups": "thread"}]
    for i, name in enumerate(dict(OUTLETS)):
        world.publish(name, extra=OTHER if i == 0 else None)
        await world.cycle(channels=channels)
    (exec_alert,) = world.top("C2")
    n_then = int(sources_line(exec_alert).split()[0])
    assert 2 <= n_then <= 5 and len(world.replies("C2")) == 5 - n_then  # later coverage: replies, not alerts
    assert [m["text"] for m in world.top("C3")] == [world.top("C1")[0]["text"]]  # the bicycle story is not AI
    assert len(world.top("C1")) == 2 and len(world.replies("C3")) == 4


async def test_why_tells_what_became_of_the_alert(world: World) -> None:
    """``signals why`` after later coverage: the channel's line says where the alert is (held until
    the quiet hours end, then sent), not a bare "alerted earlier" while nothing was posted."""
    from datetime import UTC, datetime, timedelta

    from bot.commands.explain import explain_story, format_explanation

    now = datetime.now(UTC)
    quiet = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"
    night = [{"name": "night", "slack": "C4", "min_importance": 0, "quiet_hours": quiet, "timezone": "UTC"}]
    world.publish("wire", "daily")
    await world.cycle(channels=night)
    world.publish("wire", extra=STORY_D)  # more from the same outlet: the story is routed again
    await world.cycle(channels=night)
    store = Store.open(world.db)
    try:
        (story,) = store.stories_since(now - timedelta(days=1))
        ex = explain_story(store, story.id)
    finally:
        store.close()
    assert ex is not None
    lines = dict(format_explanation(ex))["channels"]
    night_line = next(x for x in lines if x.startswith("night:"))
    infra_line = next(x for x in lines if x.startswith("infra:"))
    assert "held for quiet hours" in night_line and "alerted earlier" not in night_line, night_line
    assert "sent" in infra_line, infra_line
    assert not world.top("C4")


async def test_a_story_covered_by_a_dozen_outlets_in_an_hour_gets_a_few_replies_then_one_naming_the_rest(
        world: World) -> None:
    """A reply storm: a big story picked up by an outlet every few minutes. Each reply notifies the
    thread's followers, so past ``max_followups_per_hour`` (4 by default) the later outlets wait for
    the hour to free up and are named together in ONE reply, instead of one reply each."""
    texts = [story for _, story in OUTLETS]
    names = [f"o{i:02d}" for i in range(12)]
    for i, name in enumerate(names):  # o00 alerts; then one new outlet per cycle
        title, text = texts[i % len(texts)]  # each outlet's own words (a copied text is stored once)
        world.srv.feed(f"/{name}.xml", story_rss([(title, f"{text} Reporting by {name} staff.")], f"{name}.example"))
        world.live.append(name)
        await world.cycle()
    (alert,) = world.top()
    replies = world.replies()
    assert [r["text"].split(":")[0] for r in replies] == [f"Also covered by {n}" for n in names[1:5]]
    later = lambda: datetime.now(UTC) + timedelta(minutes=61)  # noqa: E731
    await world.cycle(clock=later)  # an hour on: the 7 outlets that joined meanwhile, in one reply
    replies = world.replies()
    assert len(replies) == 5 and replies[-1]["thread_ts"] == alert["ts"]
    assert all(n in replies[-1]["text"] for n in names[5:]), replies[-1]["text"]
    assert sources_line(replies[-1]).startswith("12 sources")
    await world.cycle(clock=later)
    assert len(world.replies()) == 5  # posted once


async def test_max_followups_per_hour_is_a_channel_setting(world: World) -> None:
    texts = [story for _, story in OUTLETS]
    for i in range(5):
        name = f"o{i:02d}"
        world.srv.feed(f"/{name}.xml", story_rss([texts[i]], f"{name}.example"))
        world.live.append(name)
        await world.cycle(channels=[{"name": "calm", "slack": "C2", "min_importance": 0,
                                     "max_followups_per_hour": 1}])
    assert len(world.replies("C1")) == 4 and len(world.replies("C2")) == 1


def dated_rss(items: list[tuple[str, str, int, float]], site: str) -> bytes:
    """RSS of (title, text, id, hours ago) items."""
    import email.utils
    import time

    body = "".join(
        f"<item><title>{t}</title><link>https://{site}/{i}</link><guid>https://{site}/{i}</guid>"
        f"<pubDate>{email.utils.formatdate(time.time() - h * 3600, usegmt=True)}</pubDate>"
        f"<description>{d}</description></item>" for t, d, i, h in items)
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{site}</title>"
            f"<link>https://{site}/</link><description>d</description>{body}</channel></rss>").encode()


async def test_an_outlet_covering_a_days_long_story_again_is_not_announced_again(world: World) -> None:
    """A story covered for days: the outlet that broke it writes again after its first article
    left the clusterer's 72 h window. It is no new source of the story (the alert already names
    it), so no 'Also covered by' reply; the story stays one story."""
    (a_title, a_text), (b_title, b_text), (c_title, c_text) = STORY_A, STORY_B, STORY_D
    world.srv.feed("/wire.xml", dated_rss([(a_title, a_text, 1, 100)], "wire.example"))
    world.srv.feed("/daily.xml", dated_rss([(b_title, b_text, 1, 40)], "daily.example"))
    world.live += ["wire", "daily"]
    await world.cycle()
    (alert,) = world.top()
    assert sources_line(alert).startswith("2 sources") and not world.replies()
    world.srv.feed("/wire.xml", dated_rss([(a_title, a_text, 1, 100), (c_title, c_text, 2, 0.5)], "wire.example"))
    report = await world.cycle()
    assert report.new_articles == 1 and report.new_stories == 0
    assert len(world.top()) == 1
    assert not world.replies(), [r["text"] for r in world.replies()]
