"""Delivery faults found by the routing/delivery defect hunt, each against the fake Slack over real HTTP.

* a post that timed out may have reached Slack: the retry looks for it before posting again;
* a ``Retry-After`` far in the future (or ``inf``) pauses the channel for a bounded time
  instead of crashing the dispatcher with the row stuck in ``sending``;
* an urgent follow-up of an alert held for quiet hours releases that alert (the policy
  posts urgent stories at once) and never stops the channel's other messages;
* a story that went out inside a quiet-hours catch-up is not posted again as a full
  alert when later coverage arrives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.adapters.base import Destination
from bot.adapters.slack import SlackNotifier
from bot.adapters.slack.notifier import make_client
from bot.errors import RateLimited
from bot.models import AlertKind, DeliveryStatus, SourceRef
from bot.outbox import NewDelivery, Outbox, deliver_due
from bot.routing.catchup import bundle_catch_up
from bot.routing.history import BUNDLED
from tests.unit.routing.routing_helpers import World, make_settings, view

from .conftest import NOW, make_alert


def notifier(fake, **kw) -> SlackNotifier:
    kw.setdefault("min_interval", 0.0)
    return SlackNotifier(token="xoxb-test", base_url=fake.api_url, **kw)


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def quiet_world(store) -> World:
    return World(store, make_settings([{"name": "news", "console": True, "quiet_hours": "22:00-07:00",
                                         "timezone": "Europe/Berlin", "min_importance": 5}]))


def top_level(fake) -> list[dict]:
    return [m for m in fake.messages.get("C1", []) if not m.get("thread_ts")]


async def test_timed_out_post_that_reached_slack_is_not_posted_again(fake, store):
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert("s1"))], NOW)
    fake.hold("chat.postMessage", 3)  # Slack stores the post; the answer comes after our 1 s timeout
    n = SlackNotifier(token="xoxb-test", client=make_client("xoxb-test", fake.api_url, timeout=1), min_interval=0)
    first = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)
    assert first.retrying == 1 and "timed out" in first.errors[0]
    fake.release()
    again = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW + timedelta(minutes=1))
    assert (again.reconciled, again.sent) == (1, 0)
    assert len(fake.messages["C1"]) == 1 and len(fake.calls_to("chat.postMessage")) == 1
    (d,) = outbox.for_story("s1")
    assert d.status is DeliveryStatus.SENT and d.provider_message_id == fake.messages["C1"][0]["ts"]


@pytest.mark.parametrize("retry_after", [10**12, float("inf")])
async def test_absurd_retry_after_pauses_the_channel_for_at_most_an_hour(fake, store, retry_after):
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert("s1")),
                           NewDelivery("alert:s1:other", make_alert("s1", channel="other"))], NOW)
    fake.fail("chat.postMessage", status=429, retry_after=retry_after, channel="C1")
    n = notifier(fake)
    report = await deliver_due(outbox, {"news": Destination(n, "C1"), "other": Destination(n, "C2")}, lambda: NOW)
    assert (report.retrying, report.sent) == (1, 1)
    rows = {d.channel: d for d in outbox.for_story("s1")}
    assert rows["news"].status is DeliveryStatus.PENDING
    assert rows["news"].next_try_at is not None
    assert rows["news"].next_try_at.replace(tzinfo=UTC) == NOW + timedelta(hours=1)
    later = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW + timedelta(hours=1))
    assert later.sent == 1 and len(fake.messages["C1"]) == 1


def test_rate_limited_keeps_what_the_server_asked_for_in_its_message():
    exc = RateLimited("slack:C1", float("nan"))
    assert exc.retry_after == 3600 and "nan" in str(exc)
    assert RateLimited("slack:C1", -5).retry_after == 0
    assert RateLimited("slack:C1", 7).retry_after == 7 and str(RateLimited("x", 7)) == "x: rate limited, retry after 7s"


async def test_urgent_followup_releases_its_held_alert_and_blocks_nothing(fake, store):
    w = quiet_world(store)
    w.route(view("a", 7), utc(2026, 11, 24, 23, 0))  # 00:00 Berlin: held until 07:00
    w.route(view("a", 9.5), utc(2026, 11, 24, 23, 10), new_source=SourceRef("blog", "https://b.test/a"))
    w.route(view("b", 9.5), utc(2026, 11, 24, 23, 20))  # urgent: posted at once
    n = notifier(fake)
    report = await deliver_due(w.outbox, {"news": Destination(n, "C1")}, lambda: utc(2026, 11, 24, 23, 20))
    assert report.sent == 3
    titles = [m["text"] for m in top_level(fake)]
    assert len(titles) == 2 and "Story a" in titles[0] and "Story b" in titles[1]
    (reply,) = [m for m in fake.messages["C1"] if m.get("thread_ts")]
    assert reply["thread_ts"] == top_level(fake)[0]["ts"]


async def test_a_held_alert_never_stops_other_stories_in_its_channel(fake, store):
    """Whatever put a due follow-up behind a held alert, only that story waits."""
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:a:news", make_alert("a"), DeliveryStatus.HELD,
                                       not_before=NOW + timedelta(hours=6))], NOW)
        outbox.enqueue(c, [NewDelivery("followup:a:news:blog", make_alert("a", kind=AlertKind.FOLLOWUP)),
                           NewDelivery("alert:b:news", make_alert("b"))], NOW)
    n = notifier(fake)
    report = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)
    assert report.sent == 1 and [m["metadata"]["event_payload"]["key"] for m in fake.messages["C1"]] == ["alert:b:news"]
    later = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW + timedelta(hours=6))
    assert later.sent == 2
    assert fake.messages["C1"][2]["thread_ts"] == fake.messages["C1"][1]["ts"]


async def test_later_coverage_of_a_story_in_the_catch_up_is_not_a_second_alert(fake, store):
    w = quiet_world(store)
    night = utc(2026, 11, 24, 23, 0)
    for i, imp in enumerate([6, 8, 7]):
        w.route(view(f"n{i}", imp), night + timedelta(minutes=i))
    n = notifier(fake)
    morning = utc(2026, 11, 25, 6, 0)
    [key] = bundle_catch_up(w.store, w.outbox, morning)
    assert (await deliver_due(w.outbox, {"news": Destination(n, "C1")}, lambda: morning)).sent == 1
    w.route(view("n1", 8), utc(2026, 11, 25, 9), new_source=SourceRef("blog", "https://b.test/n1"))
    report = await deliver_due(w.outbox, {"news": Destination(n, "C1")}, lambda: utc(2026, 11, 25, 9))
    assert len(fake.messages["C1"]) == 1  # only the catch-up: the story is not posted a second time
    assert report.sent == 0
    fu = next(d for d in w.outbox.for_story("n1") if d.kind is AlertKind.FOLLOWUP)
    assert fu.status is DeliveryStatus.SENT and fu.error == f"{BUNDLED}{key}"


async def test_after_a_failed_alert_only_the_first_followup_is_a_full_alert(fake, store):
    """The alert failed for good (Slack refused that message); each later source posted the whole
    story again at top level. The first follow-up stands in for the alert, the next ones reply to it.
    (A bot not yet in the channel no longer fails the alert: the channel pauses, see
    test_channel_unavailable.py.)"""
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert("s1"))], NOW)
    fake.fail("chat.postMessage", error="invalid_blocks")
    n = notifier(fake)
    assert (await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)).failed == 1
    for source in ("Reuters", "AP"):  # more outlets cover the story
        more = [*make_alert().sources, SourceRef(source, f"https://{source}.example/1")]
        with store.begin() as c:
            outbox.enqueue(c, [NewDelivery(f"followup:s1:news:{source}", make_alert(
                "s1", kind=AlertKind.FOLLOWUP, sources=more, new_source=more[-1]))], NOW)
        assert (await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)).sent == 1
    (first,) = top_level(fake)
    assert "Nvidia beats estimates" in first["text"]
    (reply,) = [m for m in fake.messages["C1"] if m.get("thread_ts")]
    assert reply["thread_ts"] == first["ts"] and "AP" in reply["text"]


async def test_a_failed_look_up_waits_instead_of_posting_a_second_time(fake, store):
    """Restarted with a row left ``sending`` (Slack has the post) while conversations.history
    answers 503: the dispatcher posted again. Now it looks again later; a look-up Slack refuses
    for good (missing_scope) still posts, so nothing is lost."""
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert("s1")),
                           NewDelivery("alert:s2:news", make_alert("s2"))], NOW)
    n = notifier(fake, server_error_retries=0)
    d1, _ = outbox.due(NOW)
    assert outbox.claim(d1)
    await n.send(d1, "C1")  # posted; then the process died before recording it
    fake.fail("conversations.history", status=503)
    first = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)
    assert (first.sent, first.retrying) == (0, 1) and len(fake.messages["C1"]) == 1  # s2 keeps its place behind
    again = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW + timedelta(minutes=1))
    assert (again.reconciled, again.sent) == (1, 1) and len(fake.messages["C1"]) == 2
    # a look-up the platform refuses for good cannot help: post (the row was never posted here)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s3:news", make_alert("s3"))], NOW)
    (d3,) = outbox.due(NOW + timedelta(minutes=2))
    assert outbox.claim(d3)
    fake.fail("conversations.history", error="missing_scope")
    last = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW + timedelta(minutes=2))
    assert last.sent == 1 and len(fake.messages["C1"]) == 3
