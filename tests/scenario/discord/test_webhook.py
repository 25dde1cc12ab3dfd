"""Alerts through a channel webhook URL (discord.Webhook on our aiohttp session) into the fake API."""

from __future__ import annotations

import time

from bot.adapters.base import Destination
from bot.adapters.discord import DiscordWebhookNotifier
from bot.adapters.discord.webhook import parse_webhook_url
from bot.models import AlertKind, DeliveryStatus, SourceRef
from bot.outbox import Outbox, deliver_due
from tests.fakes.discord_api import FakeDiscord
from tests.scenario.discord.helpers import NEWS, NOW, enqueue, make_alert


async def test_webhook_posts_embeds_and_edits_for_followups(fake: FakeDiscord, outbox: Outbox) -> None:
    url = fake.add_webhook(NEWS)
    n = DiscordWebhookNotifier()
    enqueue(outbox, make_alert("s1", title="@everyone look"))
    first = await deliver_due(outbox, {"news": Destination(n, url)}, lambda: NOW)
    enqueue(outbox, make_alert("s1", kind=AlertKind.FOLLOWUP, new_source=SourceRef("AP", "https://ap.example"),
                               sources=[SourceRef("Wire", "https://w.example"), SourceRef("AP", "https://ap.example")]))
    second = await deliver_due(outbox, {"news": Destination(n, url)}, lambda: NOW)
    await n.aclose()
    assert (first.sent, second.sent) == (1, 1)
    (post,) = fake.calls_to("POST", r"^/webhooks/")
    assert post.query["wait"] == ["1"] and post.body["allowed_mentions"] == {"parse": []}
    assert "components" not in post.body or not post.body["components"]  # plain webhooks: no buttons
    (msg,) = fake.posted(NEWS)  # the follow-up edited the alert (webhooks cannot start threads)
    assert msg["webhook_id"] and msg["edited_timestamp"]
    assert post.body["embeds"][0]["title"] == "@\u200beveryone look"
    assert msg["embeds"][0]["fields"][0]["name"] == "2 sources"
    assert outbox.thread_id("s1", "news") == msg["id"]


async def test_webhook_rate_limits_and_permanent_errors(fake: FakeDiscord, outbox: Outbox) -> None:
    url = fake.add_webhook(NEWS)
    bad = url.rsplit("/", 1)[0] + "/" + "z" * 68  # revoked token → 404 Unknown Webhook
    n = DiscordWebhookNotifier()
    enqueue(outbox, make_alert("s1"), make_alert("s2", channel="revoked"))
    fake.fail(r"^/webhooks/", 429, retry_after=0.3)
    report = await deliver_due(outbox, {"news": Destination(n, url), "revoked": Destination(n, bad)}, lambda: NOW)
    assert (report.sent, report.failed, report.retrying) == (1, 0, 1)  # the deleted webhook's channel waits
    assert "10015" in (outbox.for_story("s2")[0].error or "")
    assert outbox.for_story("s2")[0].status is DeliveryStatus.PENDING
    assert z_free(outbox.for_story("s2")[0].error or "")  # the secret token is not in the error

    enqueue(outbox, make_alert("s3"))
    fake.fail(r"^/webhooks/", 429, retry_after=300)
    started = time.monotonic()
    report = await deliver_due(outbox, {"news": Destination(n, url)}, lambda: NOW)
    await n.aclose()
    assert report.retrying == 1 and time.monotonic() - started < 5
    assert outbox.for_story("s3")[0].status is DeliveryStatus.PENDING


def z_free(text: str) -> bool:
    return "zzzz" not in text


def test_parse_webhook_url() -> None:
    base, wid, token = parse_webhook_url("https://discord.com/api/webhooks/123456789012345678/abc-DEF_1.2")
    assert (base, wid, token) == (None, 123456789012345678, "abc-DEF_1.2")
    base, _, _ = parse_webhook_url("http://127.0.0.1:8080/api/v10/webhooks/1/tok")
    assert base == "http://127.0.0.1:8080/api/v10"


async def test_webhook_restart_reconciles_with_a_bot_token(fake: FakeDiscord, outbox: Outbox) -> None:
    url = fake.add_webhook(NEWS)
    enqueue(outbox, make_alert("s1"))
    (d,) = outbox.due(NOW)
    assert outbox.claim(d)
    first = DiscordWebhookNotifier(bot_token=fake.token)
    sent = await first.send(d, url)  # posted, then the process died before recording it
    await first.aclose()
    assert sent.permalink and sent.permalink.endswith(f"/{NEWS}/{sent.message_id}")

    restarted = DiscordWebhookNotifier(bot_token=fake.token)
    report = await deliver_due(outbox, {"news": Destination(restarted, url)}, lambda: NOW)
    await restarted.aclose()
    assert (report.reconciled, report.sent) == (1, 0) and len(fake.posted(NEWS)) == 1
    assert outbox.thread_id("s1", "news") == sent.message_id


async def test_webhook_without_bot_token_cannot_reconcile(fake: FakeDiscord, outbox: Outbox) -> None:
    """The documented limit: a webhook alone cannot read the channel, so a crash window re-posts."""
    url = fake.add_webhook(NEWS)
    enqueue(outbox, make_alert("s1"))
    (d,) = outbox.due(NOW)
    assert outbox.claim(d)
    first = DiscordWebhookNotifier(bot_token="")
    await first.send(d, url)
    await first.aclose()
    restarted = DiscordWebhookNotifier(bot_token="")
    report = await deliver_due(outbox, {"news": Destination(restarted, url)}, lambda: NOW)
    await restarted.aclose()
    assert (report.reconciled, report.sent) == (0, 1) and len(fake.posted(NEWS)) == 2
