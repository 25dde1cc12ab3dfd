"""Alerts through the real outbox and discord.py's REST client into a fake Discord on loopback."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from bot.adapters.base import Destination
from bot.adapters.discord import DiscordNotifier
from bot.models import AlertKind, DeliveryStatus, SourceRef
from bot.outbox import Outbox, deliver_due
from tests.fakes.discord_api import FakeDiscord, embed_problems
from tests.scenario.discord.helpers import NEWS, NOW, OTHER, enqueue, make_alert

LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


def dests(notifier: DiscordNotifier, **targets: str) -> dict[str, Destination]:
    return {name: Destination(notifier, target) for name, target in targets.items()}


async def test_alerts_arrive_as_embeds_with_buttons(fake: FakeDiscord, outbox: Outbox) -> None:
    enqueue(outbox, make_alert("s1"), make_alert("s2", importance=9.1))
    n = DiscordNotifier(token=fake.token)
    report = await deliver_due(outbox, dests(n, news=NEWS), lambda: NOW)
    await n.aclose()
    assert (report.sent, report.failed) == (2, 0)
    posts = fake.calls_to("POST", rf"/channels/{NEWS}/messages$")
    assert len(posts) == 2 and all(c.headers["Authorization"] == "Bot test-bot-token" for c in posts)
    first = posts[0].body
    assert first["allowed_mentions"] == {"parse": []} and first["enforce_nonce"] is True
    embed = first["embeds"][0]
    assert embed["title"] == "Story s1" and embed["author"]["name"] == "7/10 · Industry · ai"
    assert [b["custom_id"] for b in first["components"][0]["components"]][:2] == ["signals:up:s1:ai",
                                                                                  "signals:down:s1:ai"]
    msgs = fake.posted(NEWS)
    assert outbox.thread_id("s1", "news") == msgs[0]["id"]
    assert msgs[1]["embeds"][0]["color"] != msgs[0]["embeds"][0]["color"]  # importance colour


async def test_followups_go_to_a_thread_on_the_alert(fake: FakeDiscord, outbox: Outbox) -> None:
    n = DiscordNotifier(token=fake.token)
    enqueue(outbox, make_alert("s1"))
    await deliver_due(outbox, dests(n, news=NEWS), lambda: NOW)
    alert_id = fake.posted(NEWS)[0]["id"]
    for name in ("Reuters", "AP"):
        enqueue(outbox, make_alert("s1", kind=AlertKind.FOLLOWUP, new_source=SourceRef(name, f"https://{name}.example"),
                                   sources=[SourceRef("Wire", "https://wire.example"), SourceRef(name, "https://x")]))
        report = await deliver_due(outbox, dests(n, news=NEWS), lambda: NOW)
        assert report.sent == 1
    await n.aclose()
    assert fake.threads == {alert_id: NEWS}  # thread id = alert message id; started once
    assert len(fake.calls_to("POST", r"/threads$")) == 1
    in_thread = fake.posted(alert_id)
    assert len(in_thread) == 2 and "AP" in in_thread[1]["embeds"][0]["description"]
    assert len(fake.posted(NEWS)) == 1  # nothing else in the channel


async def test_followup_edit_mode_updates_sources(fake: FakeDiscord, outbox: Outbox) -> None:
    n = DiscordNotifier(token=fake.token)
    enqueue(outbox, make_alert("s1", followup_mode="edit"))
    await deliver_due(outbox, dests(n, news=NEWS), lambda: NOW)
    enqueue(outbox, make_alert("s1", kind=AlertKind.FOLLOWUP, followup_mode="edit",
                               new_source=SourceRef("AP", "https://ap.example"),
                               sources=[SourceRef("Wire", "https://w.example"), SourceRef("AP", "https://ap.example")]))
    report = await deliver_due(outbox, dests(n, news=NEWS), lambda: NOW)
    await n.aclose()
    assert report.sent == 1 and not fake.threads
    (msg,) = fake.posted(NEWS)
    assert msg["edited_timestamp"] and msg["embeds"][0]["fields"][0]["name"] == "2 sources"
    assert "[AP](https://ap.example)" in msg["embeds"][0]["fields"][0]["value"]


async def test_short_429_is_honoured_by_discord_py(fake: FakeDiscord, outbox: Outbox) -> None:
    enqueue(outbox, make_alert("s1"))
    fake.fail(r"/messages$", 429, retry_after=0.4)
    n = DiscordNotifier(token=fake.token)
    report = await deliver_due(outbox, dests(n, news=NEWS), lambda: NOW)
    await n.aclose()
    posts = fake.calls_to("POST", r"/messages$")
    assert report.sent == 1 and len(posts) == 2 and len(fake.posted(NEWS)) == 1
    assert posts[1].at - posts[0].at >= 0.39


async def test_long_429_pauses_only_that_channel(fake: FakeDiscord, outbox: Outbox) -> None:
    enqueue(outbox, make_alert("s1"), make_alert("s2"), make_alert("s3", channel="other"))
    fake.fail(rf"/channels/{NEWS}/messages$", 429, retry_after=120)
    n = DiscordNotifier(token=fake.token)
    started = time.monotonic()
    report = await deliver_due(outbox, dests(n, news=NEWS, other=OTHER), lambda: NOW)
    await n.aclose()
    assert time.monotonic() - started < 5  # not slept in-process
    assert (report.sent, report.retrying) == (1, 1)
    rows = {d.story_id: d for d in outbox.due(NOW + timedelta(hours=1))}
    assert rows["s1"].status is DeliveryStatus.PENDING and "retry after 120" in (rows["s1"].error or "")
    assert rows["s1"].next_try_at is not None and rows["s1"].next_try_at.replace(tzinfo=None) == (
        NOW + timedelta(seconds=120)).replace(tzinfo=None)
    assert "s2" in rows  # kept waiting behind s1, in order


async def test_a_channel_closed_to_the_bot_pauses_only_that_channel(fake: FakeDiscord, outbox: Outbox) -> None:
    """Missing Access (50001) and Unknown Channel (10003) used to fail every queued alert of the
    channel for good; now the channel waits (one try per channel), the others go on."""
    fake.add_channel("1300000000000000009")
    fake.forbidden.add("1300000000000000009")
    enqueue(outbox, make_alert("s1", channel="locked"), make_alert("s2", channel="gone"),
            make_alert("s3", channel="news"), make_alert("s4", channel="locked"))
    n = DiscordNotifier(token=fake.token)
    report = await deliver_due(outbox, dests(n, news=NEWS, locked="1300000000000000009", gone="1399999999999999999"),
                               lambda: NOW)
    await n.aclose()
    assert (report.sent, report.failed, report.retrying) == (1, 0, 2)
    errors = {d.story_id: (d.status, d.error) for s in ("s1", "s2", "s4") for d in outbox.for_story(s)}
    assert errors["s1"][0] is DeliveryStatus.PENDING and "50001" in (errors["s1"][1] or "")
    assert errors["s2"][0] is DeliveryStatus.PENDING and "10003" in (errors["s2"][1] or "")
    assert errors["s4"] == (DeliveryStatus.PENDING, None)  # behind s1, not tried
    assert len(fake.posted(NEWS)) == 1
    assert len(fake.calls_to("POST", r"^/channels/1300000000000000009/messages")) == 1


async def test_access_given_back_resumes_the_channel_with_one_catch_up(fake: FakeDiscord, outbox: Outbox) -> None:
    locked = "1300000000000000009"
    fake.add_channel(locked)
    fake.forbidden.add(locked)
    enqueue(outbox, *[make_alert(f"s{i}", channel="locked", importance=5.0 + i) for i in range(1, 6)])
    n = DiscordNotifier(token=fake.token)
    for m in (0, 10, 20):
        report = await deliver_due(outbox, dests(n, locked=locked), lambda m=m: NOW + timedelta(minutes=m))
        assert (report.failed, report.retrying) == (0, 1)
    fake.forbidden.discard(locked)  # a moderator gives the bot its access back
    for m in (30, 31):
        await deliver_due(outbox, dests(n, locked=locked), lambda m=m: NOW + timedelta(minutes=m))
    await n.aclose()
    posted = fake.posted(locked)
    assert len(posted) == 2  # the first alert, then one catch-up of the other four
    assert "channel unavailable" in posted[1]["embeds"][0]["title"] and "4 stories" in posted[1]["embeds"][0]["title"]
    assert set(outbox.counts()) == {DeliveryStatus.SENT.value}


async def test_server_error_is_retried_later(fake: FakeDiscord, outbox: Outbox) -> None:
    enqueue(outbox, make_alert("s1"))
    fake.fail(r"/messages$", 503)
    n = DiscordNotifier(token=fake.token)
    first = await deliver_due(outbox, dests(n, news=NEWS), lambda: NOW)
    second = await deliver_due(outbox, dests(n, news=NEWS), lambda: NOW + timedelta(minutes=1))
    await n.aclose()
    assert (first.retrying, second.sent) == (1, 1) and len(fake.posted(NEWS)) == 1


async def test_hostile_feed_text_is_valid_and_mention_free(fake: FakeDiscord, outbox: Outbox) -> None:
    title = "@everyone <@&123> <@456> [login](https://evil.example) " + "x" * 100_000
    enqueue(outbox, make_alert("s1", title=title, summary=["@here " + "y" * 50_000] * 5, topics=["<@&9>"]))
    n = DiscordNotifier(token=fake.token)
    report = await deliver_due(outbox, dests(n, news=NEWS), lambda: NOW)
    await n.aclose()
    assert report.sent == 1  # the fake refuses anything over Discord's limits with 400
    (msg,) = fake.posted(NEWS)
    assert embed_problems(msg["embeds"]) == [] and msg["allowed_mentions"] == {"parse": []}
    e = msg["embeds"][0]
    assert LIVE_MENTION.search(e["title"] + e["description"] + e["author"]["name"]) is None


async def test_exactly_once_across_a_restart(fake: FakeDiscord, outbox: Outbox) -> None:
    """A row left ``sending`` after a real post is reconciled (footer marker), not posted again."""
    enqueue(outbox, make_alert("s1"), make_alert("s2"))
    first = DiscordNotifier(token=fake.token)
    d1, d2 = outbox.due(NOW)
    assert outbox.claim(d1) and outbox.claim(d2)
    posted = await first.send(d1, NEWS)  # s1 went out; s2 never did; then the process died
    await first.aclose()
    fake._nonces.clear()  # long after: Discord's nonce dedupe window has passed

    restarted = DiscordNotifier(token=fake.token)
    report = await deliver_due(outbox, dests(restarted, news=NEWS), lambda: NOW + timedelta(minutes=30))
    await restarted.aclose()
    assert (report.reconciled, report.sent) == (1, 1)
    assert [m["embeds"][0]["title"] for m in fake.posted(NEWS)] == ["Story s1", "Story s2"]
    assert outbox.thread_id("s1", "news") == posted.message_id


async def test_repeated_post_within_nonce_window_is_deduplicated(fake: FakeDiscord, outbox: Outbox) -> None:
    enqueue(outbox, make_alert("s1"))
    (d,) = outbox.due(NOW)
    n = DiscordNotifier(token=fake.token)
    a = await n.send(d, NEWS)
    b = await n.send(d, NEWS)  # e.g. find_sent failed and the dispatcher posted again
    await n.aclose()
    assert a.message_id == b.message_id and len(fake.posted(NEWS)) == 1


async def test_registry_builds_discord_destinations(fake: FakeDiscord, outbox: Outbox) -> None:
    from bot.adapters.registry import build_destinations
    from bot.settings import settings_from_mapping

    settings = settings_from_mapping({"channels": [{"name": "news", "discord": NEWS},
                                                   {"name": "hook", "discord_webhook": fake.add_webhook(OTHER)}]})
    destinations = build_destinations(settings, env={"DISCORD_BOT_TOKEN": fake.token, "DISCORD_API_URL": fake.base})
    enqueue(outbox, make_alert("s1"), make_alert("s2", channel="hook"))
    report = await deliver_due(outbox, destinations, lambda: NOW)
    for d in destinations.values():
        await d.notifier.aclose()
    assert report.sent == 2 and len(fake.posted(NEWS)) == 1 and len(fake.posted(OTHER)) == 1


async def test_absurd_429_wait_pauses_the_channel_for_an_hour_not_forever(fake: FakeDiscord, outbox: Outbox) -> None:
    """A ``retry_after`` of 10^12 s used to overflow the outbox's datetime and leave the row ``sending``."""
    enqueue(outbox, make_alert("s1"), make_alert("s2", channel="other"))
    fake.fail(rf"/channels/{NEWS}/messages$", 429, retry_after=1e12)
    n = DiscordNotifier(token=fake.token)
    report = await deliver_due(outbox, dests(n, news=NEWS, other=OTHER), lambda: NOW)
    await n.aclose()
    assert (report.sent, report.retrying) == (1, 1)
    (d,) = outbox.for_story("s1")
    assert d.status is DeliveryStatus.PENDING and "asked for 1e+12s" in (d.error or "")
    assert d.next_try_at is not None and d.next_try_at.replace(tzinfo=None) == (
        NOW + timedelta(hours=1)).replace(tzinfo=None)


async def test_an_answer_without_a_message_id_is_retried_and_stops_no_other_channel(
        fake: FakeDiscord, outbox: Outbox) -> None:
    """A 200 whose body is not a message (a proxy, an API change) used to escape deliver_due as
    ``KeyError: 'id'``, leaving the row ``sending`` and cutting the other channels' pass short."""
    enqueue(outbox, make_alert("s1"), make_alert("s2", channel="other"))
    fake.fail(rf"/channels/{NEWS}/messages$", 200, message="not a message")
    n = DiscordNotifier(token=fake.token)
    report = await deliver_due(outbox, dests(n, news=NEWS, other=OTHER), lambda: NOW)
    assert (report.sent, report.retrying) == (1, 1)
    (d,) = outbox.for_story("s1")
    assert d.status is DeliveryStatus.PENDING and "no message id" in (d.error or "")
    again = await deliver_due(outbox, dests(n, news=NEWS, other=OTHER), lambda: NOW + timedelta(minutes=1))
    await n.aclose()
    assert again.sent == 1 and len(fake.posted(NEWS)) == 1 and len(fake.posted(OTHER)) == 1
