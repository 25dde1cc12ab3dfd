"""A refused token pauses the destination instead of failing its whole queue (found by the stories hunt).

``invalid_auth`` / ``token_revoked`` used to fail every queued delivery for good: one bad
token lost the whole queue. Now the channel waits (its first row is tried again with
backoff, the others behind it), the error is logged once per channel when the pause
starts, and when the token works again the alerts queued meanwhile leave as ONE
catch-up message instead of a burst of stale alerts.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.adapters.base import Destination
from bot.adapters.slack import SlackNotifier
from bot.models import DeliveryStatus
from bot.outbox import NewDelivery, Outbox, deliver_due

from .conftest import NOW, make_alert


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked"])
async def test_a_refused_token_pauses_the_channels_and_loses_nothing(fake, store, caplog, error):
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery(f"alert:s{i}:news", make_alert(f"s{i}", importance=5.0 + i))
                           for i in range(1, 6)], NOW)
        outbox.enqueue(c, [NewDelivery("alert:s9:ops", make_alert("s9", channel="ops"))], NOW)
    for method in ("chat.postMessage", "conversations.history"):
        fake.fail(method, error=error, times=None)
    n = SlackNotifier(token="xoxb-revoked", base_url=fake.api_url, min_interval=0)
    dests = {"news": Destination(n, "C1"), "ops": Destination(n, "C2")}

    with caplog.at_level(logging.INFO):
        first = await deliver_due(outbox, dests, lambda: NOW)
        later = [await deliver_due(outbox, dests, lambda m=m: NOW + timedelta(minutes=m)) for m in (15, 30, 45)]
    assert first.failed == 0 and all(r.failed == 0 for r in later)
    assert DeliveryStatus.FAILED.value not in outbox.counts()
    paused = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(paused) == 2, [r.getMessage() for r in paused]  # once per channel, not per row or retry
    assert all(error in r.getMessage() and "token" in r.getMessage() for r in paused)
    assert len(fake.calls_to("chat.postMessage")) <= 2 * 4  # only each channel's first row is tried
    assert not fake.messages.get("C1")

    fake._failures.clear()  # the token works again
    back = await deliver_due(outbox, dests, lambda: NOW + timedelta(hours=1))
    assert back.failed == 0
    await deliver_due(outbox, dests, lambda: NOW + timedelta(hours=1, minutes=1))
    news = fake.messages["C1"]
    assert len(news) == 2, [m["text"] for m in news]  # the first alert, then one catch-up of the other 4
    assert "4 stories" in news[1]["text"]
    assert len(fake.messages["C2"]) == 1
    assert set(outbox.counts()) == {DeliveryStatus.SENT.value}
