"""The outbox against a real webhook receiver on loopback: once, in order, failures isolated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.base import Destination
from bot.adapters.webhook import WebhookNotifier
from bot.models import Alert, AlertKind, DeliveryStatus
from bot.outbox import NewDelivery, Outbox, deliver_due
from bot.store import Store
from tests.fakes.webhook import Receiver

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def alert(story: str, channel: str, kind: AlertKind = AlertKind.ALERT) -> Alert:
    return Alert(kind=kind, channel=channel, story_id=story, title=f"Story {story}", url=f"https://ex.com/{story}",
                 importance=7, category="Industry")


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    yield Outbox(store)
    store.close()


def enqueue(outbox: Outbox, *items: Alert) -> int:
    with outbox.store.begin() as c:
        return outbox.enqueue(c, [NewDelivery(f"{a.kind}:{a.story_id}:{a.channel}", a) for a in items], NOW)


async def test_enqueue_is_idempotent_and_posts_once(outbox: Outbox, receiver: Receiver) -> None:
    assert enqueue(outbox, alert("s1", "c")) == 1
    assert enqueue(outbox, alert("s1", "c")) == 0
    dest = {"c": Destination(WebhookNotifier(), receiver.url())}
    report = await deliver_due(outbox, dest, lambda: NOW)
    again = await deliver_due(outbox, dest, lambda: NOW)
    assert (report.sent, again.sent) == (1, 0)
    assert [r["story_id"] for r in receiver.received] == ["s1"]
    assert outbox.thread_id("s1", "c") is not None


async def test_rate_limit_waits_retry_after_and_keeps_order(outbox: Outbox, receiver: Receiver) -> None:
    enqueue(outbox, alert("s1", "c"), alert("s2", "c"))
    receiver.script.append((429, {"Retry-After": "30"}))
    dest = {"c": Destination(WebhookNotifier(), receiver.url())}
    report = await deliver_due(outbox, dest, lambda: NOW)
    assert report.retrying == 1 and receiver.received == []  # s2 waits behind s1
    assert await deliver_due(outbox, dest, lambda: NOW + timedelta(seconds=10)) == type(report)()
    await deliver_due(outbox, dest, lambda: NOW + timedelta(seconds=31))
    assert [r["story_id"] for r in receiver.received] == ["s1", "s2"]


async def test_outage_queues_then_delivers_in_order(outbox: Outbox, receiver: Receiver) -> None:
    enqueue(outbox, alert("s1", "c"), alert("s2", "c"), alert("s3", "c"))
    receiver.down = True
    dest = {"c": Destination(WebhookNotifier(), receiver.url())}
    t = NOW
    for _ in range(5):  # ten minutes of outage, retried with backoff
        await deliver_due(outbox, dest, lambda t=t: t)
        t += timedelta(minutes=2)
    receiver.down = False
    for _ in range(3):
        await deliver_due(outbox, dest, lambda t=t: t)
        t += timedelta(minutes=10)
    assert [r["story_id"] for r in receiver.received] == ["s1", "s2", "s3"]
    assert outbox.counts() == {"sent": 3}


async def test_permanent_error_fails_one_delivery_not_the_others(outbox: Outbox, receiver: Receiver) -> None:
    enqueue(outbox, alert("s1", "bad"), alert("s2", "bad"), alert("s1", "good"))
    receiver.gone.add("/gone")
    dest = {"bad": Destination(WebhookNotifier(), receiver.url("/gone")),
            "good": Destination(WebhookNotifier(), receiver.url())}
    report = await deliver_due(outbox, dest, lambda: NOW)
    assert report.failed >= 1 and report.sent >= 1
    rows = {(d.story_id, d.channel): d for d in outbox.for_story("s1")}
    assert rows[("s1", "bad")].status is DeliveryStatus.FAILED and "404" in (rows[("s1", "bad")].error or "")
    assert rows[("s1", "good")].status is DeliveryStatus.SENT


async def test_followup_waits_for_its_alert(outbox: Outbox, receiver: Receiver) -> None:
    enqueue(outbox, alert("s1", "c"))
    with outbox.store.begin() as c:
        outbox.enqueue(c, [NewDelivery("followup:s1:c:B", alert("s1", "c", AlertKind.FOLLOWUP))], NOW)
    receiver.script.append((500, {}))
    dest = {"c": Destination(WebhookNotifier(), receiver.url())}
    await deliver_due(outbox, dest, lambda: NOW)
    assert receiver.received == []  # the alert failed, so its follow-up did not jump ahead
    await deliver_due(outbox, dest, lambda: NOW + timedelta(minutes=1))
    assert [r["kind"] for r in receiver.received] == ["alert", "followup"]
    assert receiver.received[1]["thread_id"] is not None


async def test_unconfigured_channel_fails_clearly(outbox: Outbox) -> None:
    enqueue(outbox, alert("s1", "removed"))
    report = await deliver_due(outbox, {}, lambda: NOW)
    assert report.failed == 1
    assert "no destination" in (outbox.for_story("s1")[0].error or "")


async def test_unusable_webhook_url_fails_that_delivery_clearly(outbox: Outbox, receiver: Receiver) -> None:
    """``http://[::1/x`` raised httpx.InvalidURL (no HTTPError) straight out of deliver_due."""
    enqueue(outbox, alert("s1", "bad"), alert("s1", "good"))
    dest = {"bad": Destination(WebhookNotifier(), "http://[::1/hook"), "good": Destination(WebhookNotifier(), receiver.url())}
    report = await deliver_due(outbox, dest, lambda: NOW)
    assert (report.sent, report.failed) == (1, 1)
    rows = {d.channel: d for d in outbox.for_story("s1")}
    assert rows["bad"].status is DeliveryStatus.FAILED and "invalid webhook URL" in (rows["bad"].error or "")


async def test_a_webhook_refusing_our_credentials_pauses_the_channel(outbox: Outbox, receiver: Receiver) -> None:
    """401: the receiver's secret changed. Every queued delivery would fail the same way, so the
    channel waits (nothing failed) and resumes with one catch-up for what queued up meanwhile."""
    enqueue(outbox, *[alert(f"s{i}", "c") for i in range(1, 6)])
    receiver.script.extend([(401, {})] * 3)
    dest = {"c": Destination(WebhookNotifier(), receiver.url())}
    for minutes in (0, 5, 10):
        report = await deliver_due(outbox, dest, lambda m=minutes: NOW + timedelta(minutes=m))
        assert (report.failed, report.retrying) == (0, 1)
    assert receiver.received == [] and DeliveryStatus.FAILED.value not in outbox.counts()
    for minutes in (20, 21):  # the receiver accepts us again
        await deliver_due(outbox, dest, lambda m=minutes: NOW + timedelta(minutes=m))
    assert [r["kind"] for r in receiver.received] == ["alert", "digest"]
    assert receiver.received[1]["title"] == "While posting here was paused (credentials refused): 4 stories"
