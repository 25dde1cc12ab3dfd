"""A refused bot token (401) pauses the Discord channel; a restart with a working token resumes it,
the alerts queued meanwhile as one catch-up message (found by the stories hunt)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.adapters.base import Destination
from bot.adapters.discord import DiscordNotifier
from bot.models import DeliveryStatus
from bot.outbox import Outbox, deliver_due
from tests.fakes.discord_api import FakeDiscord
from tests.scenario.discord.helpers import NEWS, NOW, enqueue, make_alert


async def test_a_refused_token_loses_nothing_and_resumes_with_one_catch_up(
        fake: FakeDiscord, outbox: Outbox, caplog: pytest.LogCaptureFixture) -> None:
    enqueue(outbox, *[make_alert(f"s{i}", importance=5.0 + i) for i in range(1, 6)])
    bad = DiscordNotifier(token="revoked-token")
    with caplog.at_level(logging.INFO):
        for minutes in (0, 5, 10):
            report = await deliver_due(outbox, {"news": Destination(bad, NEWS)}, lambda m=minutes: NOW + timedelta(minutes=m))
            assert report.failed == 0 and report.retrying == 1
    await bad.aclose()
    assert DeliveryStatus.FAILED.value not in outbox.counts() and not fake.posted(NEWS)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "401" in errors[0], errors

    fixed = DiscordNotifier(token=fake.token)  # restarted with a working token
    for minutes in (60, 61):
        await deliver_due(outbox, {"news": Destination(fixed, NEWS)}, lambda m=minutes: NOW + timedelta(minutes=m))
    await fixed.aclose()
    posted = fake.posted(NEWS)
    assert len(posted) == 2, [m["embeds"][0].get("title") for m in posted]
    assert "4 stories" in posted[1]["embeds"][0]["title"]
    assert set(outbox.counts()) == {DeliveryStatus.SENT.value}


async def test_a_bad_reader_token_does_not_pause_a_working_webhook(fake: FakeDiscord, outbox: Outbox) -> None:
    """The bot token of a webhook destination only reads, to reconcile: its refusal means "unknown"
    (post again, as without a token), never a paused channel."""
    from bot.adapters.discord import DiscordWebhookNotifier

    url = fake.add_webhook(NEWS)
    enqueue(outbox, make_alert("s1"))
    (d,) = outbox.due(NOW)
    assert outbox.claim(d)  # left 'sending' by a crash: the restart looks it up first
    n = DiscordWebhookNotifier(bot_token="revoked-token")
    report = await deliver_due(outbox, {"news": Destination(n, url)}, lambda: NOW)
    await n.aclose()
    assert (report.sent, report.retrying) == (1, 0) and len(fake.posted(NEWS)) == 1
