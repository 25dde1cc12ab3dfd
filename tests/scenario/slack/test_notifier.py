"""SlackNotifier against the fake Slack Web API over real HTTP, through the real outbox."""

from __future__ import annotations

import time

import pytest

from bot.adapters.base import Destination
from bot.adapters.slack import SlackNotifier
from bot.errors import DeliveryError, PermanentDeliveryError, RateLimited
from bot.models import AlertKind, Delivery, DeliveryStatus, SourceRef
from bot.outbox import NewDelivery, Outbox, deliver_due

from .conftest import NOW, make_alert


def notifier(fake, **kw) -> SlackNotifier:
    kw.setdefault("min_interval", 0.0)
    return SlackNotifier(token="xoxb-test", base_url=fake.api_url, **kw)


def delivery(alert, key: str = "alert:s1:news", thread_id: str | None = None) -> Delivery:
    return Delivery(id=1, key=key, channel=alert.channel, story_id=alert.story_id, kind=alert.kind, alert=alert,
                    status=DeliveryStatus.SENDING, thread_id=thread_id)


async def test_alert_posted_with_blocks_metadata_and_no_unfurl(fake):
    sent = await notifier(fake).send(delivery(make_alert()), "C1")
    (call,) = fake.calls_to("chat.postMessage")
    p = call.params
    assert sent.message_id == fake.messages["C1"][0]["ts"]
    assert p["unfurl_links"] is False and p["unfurl_media"] is False
    assert p["metadata"] == {"event_type": "signals_delivery", "event_payload": {"key": "alert:s1:news"}}
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert "7/10 · Industry" in p["text"]
    ids = [e["action_id"] for b in p["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["signals_up", "signals_down", "signals_why", "signals_mute"]


async def test_429_waits_retry_after_then_succeeds(fake):
    fake.fail("chat.postMessage", status=429, retry_after=1)
    sent = await notifier(fake).send(delivery(make_alert()), "C1")
    calls = fake.calls_to("chat.postMessage")
    assert len(calls) == 2 and sent.message_id
    assert calls[1].at - calls[0].at >= 1.0
    assert len(fake.messages["C1"]) == 1


async def test_429_beyond_retry_budget_raises_rate_limited(fake):
    fake.fail("chat.postMessage", status=429, retry_after=1, times=2)
    with pytest.raises(RateLimited) as info:
        await notifier(fake).send(delivery(make_alert()), "C1")
    assert info.value.retry_after == 1
    assert "C1" not in fake.messages


async def test_long_retry_after_is_not_waited_in_place(fake):
    fake.fail("chat.postMessage", status=429, retry_after=120)
    start = time.monotonic()
    with pytest.raises(RateLimited) as info:
        await notifier(fake).send(delivery(make_alert()), "C1")
    assert info.value.retry_after == 120 and time.monotonic() - start < 2
    assert len(fake.calls_to("chat.postMessage")) == 1


async def test_500_is_retried_then_transient_error(fake):
    # a read is retried by the client; a post never is (Slack may have stored it: see test_post_retries)
    fake.fail("conversations.history", status=500)
    assert await notifier(fake).find_sent(delivery(make_alert()), "C1") is None
    assert len(fake.calls_to("conversations.history")) == 2
    fake.fail("conversations.history", status=500, times=None)
    with pytest.raises(DeliveryError) as info:
        await notifier(fake, server_error_retries=1).find_sent(delivery(make_alert(), key="k2"), "C1")
    assert not isinstance(info.value, PermanentDeliveryError)
    assert len(fake.calls_to("conversations.history")) == 4
    fake.fail("chat.postMessage", status=500)
    with pytest.raises(DeliveryError) as info:
        await notifier(fake).send(delivery(make_alert(), key="k3"), "C1")
    assert not isinstance(info.value, PermanentDeliveryError)
    assert len(fake.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "invalid_auth", "is_archived"])
async def test_permanent_errors(fake, error):
    fake.fail("chat.postMessage", error=error)
    with pytest.raises(PermanentDeliveryError, match=error):
        await notifier(fake).send(delivery(make_alert()), "C1")


async def test_channel_not_found_pauses_only_that_channel(fake, store):
    """Other channels go on; the missing one's alert waits (it used to fail for good)."""
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert(channel="news")),
                           NewDelivery("alert:s1:gone", make_alert(channel="gone")),
                           NewDelivery("alert:s2:news", make_alert("s2", channel="news"))], NOW)
    fake.fail("chat.postMessage", error="channel_not_found", channel="C404", times=None)
    n = notifier(fake)
    report = await deliver_due(outbox, {"news": Destination(n, "C1"), "gone": Destination(n, "C404")}, lambda: NOW)
    assert (report.sent, report.failed, report.retrying) == (2, 0, 1)
    assert outbox.counts() == {"sent": 2, "pending": 1}
    assert len(fake.messages["C1"]) == 2
    assert "paused: channel unavailable" in outbox.for_story("s1")[1].error
    assert "channel_not_found" in outbox.for_story("s1")[1].error


async def test_rate_limited_pauses_the_channel_in_the_outbox(fake, store):
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert())], NOW)
    fake.fail("chat.postMessage", status=429, retry_after=7, times=2)
    n = notifier(fake, rate_limit_retries=0)
    report = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)
    assert report.retrying == 1
    (d,) = outbox.for_story("s1")
    assert d.status is DeliveryStatus.PENDING and (d.next_try_at - NOW).total_seconds() == 7


async def test_followup_thread_reply_and_edit(fake):
    n = notifier(fake)
    top = await n.send(delivery(make_alert()), "C1")
    more = [*make_alert().sources, SourceRef("Reuters", "https://r.example/1")]
    fu = make_alert(kind=AlertKind.FOLLOWUP, sources=more, new_source=more[-1])
    reply = await n.send(delivery(fu, "followup:s1:news:Reuters", thread_id=top.message_id), "C1")
    assert reply.message_id != top.message_id
    assert fake.calls_to("chat.postMessage")[1].params["thread_ts"] == top.message_id
    assert "Reuters" in fake.calls_to("chat.postMessage")[1].params["blocks"][0]["text"]["text"]
    edit = make_alert(kind=AlertKind.FOLLOWUP, sources=more, new_source=more[-1], followup_mode="edit")
    done = await n.send(delivery(edit, "followup:s1:news:Reuters2", thread_id=top.message_id), "C1")
    assert done.message_id == top.message_id
    (upd,) = fake.calls_to("chat.update")
    assert upd.params["ts"] == top.message_id
    original = fake.messages["C1"][0]
    src = next(b for b in original["blocks"] if b.get("block_id") == "signals_sources")
    assert "3 sources" in src["elements"][0]["text"] and "Reuters" in src["elements"][0]["text"]
    assert any(b["type"] == "actions" for b in original["blocks"])  # buttons kept


async def test_find_sent_by_metadata_key(fake):
    n = notifier(fake)
    d = delivery(make_alert())
    assert await n.find_sent(d, "C1") is None
    sent = await n.send(d, "C1")
    found = await n.find_sent(d, "C1")
    assert found is not None and found.message_id == sent.message_id
    fu = make_alert(kind=AlertKind.FOLLOWUP, new_source=SourceRef("Reuters", "https://r.example/1"))
    fd = delivery(fu, "followup:s1:news:Reuters", thread_id=sent.message_id)
    assert await n.find_sent(fd, "C1") is None
    reply = await n.send(fd, "C1")
    assert (await n.find_sent(fd, "C1")).message_id == reply.message_id


async def test_pacing_about_one_message_per_second_per_channel(fake):
    n = notifier(fake, min_interval=1.0)
    start = time.monotonic()
    await n.send(delivery(make_alert(), "k1"), "C1")
    await n.send(delivery(make_alert(), "k2"), "C2")  # another channel: not delayed
    mid = time.monotonic()
    await n.send(delivery(make_alert(), "k3"), "C1")
    assert mid - start < 0.8
    assert time.monotonic() - start >= 1.0


async def test_find_sent_reads_a_long_thread_to_its_end(fake):
    """A story covered by 250 outlets: conversations.replies lists a thread oldest first, a page at
    a time. Before: only the first 200 were read, so a timed-out reply late in the thread was not
    found and was posted a second time on retry."""
    n = notifier(fake)
    top = await n.send(delivery(make_alert()), "C1")
    for i in range(250):  # earlier replies, as Slack keeps them
        fake.messages["C1"].append({"type": "message", "ts": f"{float(top.message_id) + i + 1:.6f}",
                                    "thread_ts": top.message_id, "text": f"reply {i}", "user": "UBOT"})
    fu = make_alert(kind=AlertKind.FOLLOWUP, new_source=SourceRef("Reuters", "https://r.example/1"))
    fd = delivery(fu, "followup:s1:news:Reuters", thread_id=top.message_id)
    reply = await n.send(fd, "C1")
    found = await n.find_sent(fd, "C1")
    assert found is not None and found.message_id == reply.message_id
