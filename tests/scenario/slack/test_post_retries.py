"""slack_sdk's own retries must never repeat a ``chat.postMessage`` (found by the stories hunt).

A 5xx or a dropped connection can come *after* Slack stored the post. The client's
retry handlers would then post it a second time behind the outbox's back; the outbox
instead retries later with a look-up first (``find_sent``), so it posts once. Reads
and edits (idempotent) keep the client's retries.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.base import Destination
from bot.adapters.slack import SlackNotifier
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.models import AlertKind, Delivery, DeliveryStatus
from bot.outbox import NewDelivery, Outbox, deliver_due

from .conftest import NOW, make_alert


def notifier(fake, **kw) -> SlackNotifier:
    kw.setdefault("min_interval", 0.0)
    return SlackNotifier(token="xoxb-test", base_url=fake.api_url, **kw)


@pytest.mark.parametrize("status", [500, 503, 0], ids=["500", "503", "connection-dropped"])
async def test_a_post_slack_stored_before_the_answer_failed_is_posted_once(fake, store, status):
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert("s1"))], NOW)
    fake.fail("chat.postMessage", status=status, applied=True)  # stored, then the answer is lost
    dest = {"news": Destination(notifier(fake), "C1")}
    first = await deliver_due(outbox, dest, lambda: NOW)
    assert (first.sent, first.retrying) == (0, 1)
    assert len(fake.calls_to("chat.postMessage")) == 1, "the client posted again by itself"
    again = await deliver_due(outbox, dest, lambda: NOW + timedelta(minutes=5))
    assert (again.reconciled, again.sent) == (1, 0)
    assert len(fake.messages["C1"]) == 1
    (row,) = outbox.for_story("s1")
    assert row.status is DeliveryStatus.SENT and row.provider_message_id == fake.messages["C1"][0]["ts"]


async def test_reads_are_still_retried_by_the_client(fake):
    fake.fail("conversations.history", status=500)
    d = Delivery(id=1, key="alert:s1:news", channel="news", story_id="s1", kind=AlertKind.ALERT,
                 alert=make_alert("s1"), status=DeliveryStatus.SENDING, attempts=1)
    assert await notifier(fake).find_sent(d, "C1") is None
    assert len(fake.calls_to("conversations.history")) == 2


async def test_a_5xx_on_a_post_is_a_transient_error_for_the_outbox(fake):
    fake.fail("chat.postMessage", status=500)
    d = Delivery(id=1, key="k1", channel="news", story_id="s1", kind=AlertKind.ALERT, alert=make_alert("s1"),
                 status=DeliveryStatus.SENDING, attempts=1)
    with pytest.raises(DeliveryError) as info:
        await notifier(fake).send(d, "C1")
    assert not isinstance(info.value, PermanentDeliveryError) and "HTTP 500" in str(info.value)
    assert len(fake.calls_to("chat.postMessage")) == 1 and not fake.messages.get("C1")
