"""A channel that cannot take posts pauses instead of failing its whole queue.

Archived, deleted, or the bot removed from it (``is_archived``, ``channel_not_found``,
``not_in_channel``): every queued alert used to fail for good, one by one, so a channel archived
over a weekend and unarchived on Monday had lost the weekend's alerts. Now the channel waits like
one whose token is refused: its first row is tried every few minutes, the error is logged once
with what to do, other channels go on, and once posting works the alerts queued meanwhile leave
as ONE catch-up message.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.adapters.base import Destination
from bot.adapters.slack import SlackNotifier
from bot.errors import ChannelUnavailable
from bot.models import AlertKind, Delivery, DeliveryStatus, SourceRef
from bot.outbox import NewDelivery, Outbox, deliver_due

from .conftest import NOW, make_alert


def notifier(fake) -> SlackNotifier:
    return SlackNotifier(token="xoxb-test", base_url=fake.api_url, min_interval=0)


@pytest.mark.parametrize("error", ["is_archived", "channel_not_found", "not_in_channel",
                                   "restricted_action_read_only_channel"])
async def test_a_closed_channel_raises_channel_unavailable(fake, error):
    fake.fail("chat.postMessage", error=error)
    alert = make_alert()
    d = Delivery(id=1, key="alert:s1:news", channel="news", story_id="s1", kind=AlertKind.ALERT, alert=alert,
                 status=DeliveryStatus.PENDING, attempts=0)
    with pytest.raises(ChannelUnavailable, match=error):
        await notifier(fake).send(d, "C1")


async def test_an_archived_channel_pauses_loses_nothing_and_resumes_with_one_catch_up(fake, store, caplog):
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery(f"alert:s{i}:news", make_alert(f"s{i}", importance=5.0 + i))
                           for i in range(1, 6)], NOW)
        outbox.enqueue(c, [NewDelivery("alert:s9:ops", make_alert("s9", channel="ops"))], NOW)
    fake.fail("chat.postMessage", error="is_archived", channel="C1", times=None)
    n = notifier(fake)
    dests = {"news": Destination(n, "C1"), "ops": Destination(n, "C2")}

    with caplog.at_level(logging.INFO):
        first = await deliver_due(outbox, dests, lambda: NOW)
        later = [await deliver_due(outbox, dests, lambda m=m: NOW + timedelta(minutes=m)) for m in (15, 30, 45)]
    assert (first.sent, first.failed, first.retrying) == (1, 0, 1)  # ops went out; news waits
    assert all(r.failed == 0 for r in later)
    assert DeliveryStatus.FAILED.value not in outbox.counts()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors  # once, when the pause starts; not per row or per retry
    assert "is_archived" in errors[0] and "unarchive the channel" in errors[0]
    assert len(fake.calls_to("chat.postMessage")) <= 1 + 4  # ops once, then only news's first row
    assert not fake.messages.get("C1")
    assert "paused: channel unavailable" in (outbox.for_story("s1")[0].error or "")

    fake.clear_failures()  # someone unarchives the channel
    await deliver_due(outbox, dests, lambda: NOW + timedelta(hours=1))
    await deliver_due(outbox, dests, lambda: NOW + timedelta(hours=1, minutes=1))
    news = fake.messages["C1"]
    assert len(news) == 2, [m["text"] for m in news]  # the first alert, then one catch-up of the other 4
    assert "channel unavailable" in news[1]["text"] and "4 stories" in news[1]["text"]
    assert set(outbox.counts()) == {DeliveryStatus.SENT.value}


async def test_follow_ups_wait_with_their_alert_while_the_bot_is_not_in_the_channel(fake, store):
    """The bot was not invited yet: the alert waits (it used to fail, and the first follow-up was
    then posted as a stand-in alert). Invited, the alert goes out and the follow-up replies to it."""
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert("s1"))], NOW)
    fake.fail("chat.postMessage", error="not_in_channel", channel="C1", times=None)
    dests = {"news": Destination(notifier(fake), "C1")}
    assert (await deliver_due(outbox, dests, lambda: NOW)).retrying == 1
    more = [*make_alert().sources, SourceRef("AP", "https://ap.example/1")]
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("followup:s1:news:AP", make_alert(
            "s1", kind=AlertKind.FOLLOWUP, sources=more, new_source=more[-1]))], NOW)
    assert (await deliver_due(outbox, dests, lambda: NOW + timedelta(minutes=5))).failed == 0

    fake.clear_failures()  # the bot is invited
    for m in (10, 11):
        await deliver_due(outbox, dests, lambda m=m: NOW + timedelta(minutes=m))
    top = [m for m in fake.messages["C1"] if not m.get("thread_ts")]
    replies = [m for m in fake.messages["C1"] if m.get("thread_ts")]
    assert len(top) == 1 and "Nvidia beats estimates" in top[0]["text"]
    assert len(replies) == 1 and replies[0]["thread_ts"] == top[0]["ts"] and "AP" in replies[0]["text"]
    assert set(outbox.counts()) == {DeliveryStatus.SENT.value}
