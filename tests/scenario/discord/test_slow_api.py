"""A slow Discord answer must not outlive the nonce de-duplication window (found by the stories hunt).

discord.py's session had aiohttp's 300 s default: a post that hung that long stalled the
whole delivery pass, and its retry came after Discord's nonce window (a few minutes),
so only the footer marker stood between it and a second post. Requests now time out
after ``timeout`` seconds (15 by default); the retry finds the stored post.
"""

from __future__ import annotations

import time
from datetime import timedelta

from bot.adapters.base import Destination
from bot.adapters.discord import DiscordNotifier, DiscordWebhookNotifier
from bot.outbox import Outbox, deliver_due
from tests.fakes.discord_api import FakeDiscord
from tests.scenario.discord.helpers import NEWS, NOW, enqueue, make_alert


def test_the_default_timeout_is_well_inside_the_nonce_window() -> None:
    assert DiscordNotifier(token="t").timeout <= 30
    assert DiscordWebhookNotifier(bot_token="").timeout <= 30


async def test_a_hung_post_times_out_and_its_retry_finds_it(fake: FakeDiscord, outbox: Outbox) -> None:
    enqueue(outbox, make_alert("s1"))
    n = DiscordNotifier(token=fake.token, timeout=1)
    await n.http()  # logged in while the API was quick
    fake.delay = 4  # the post is stored, its answer comes after our timeout
    start = time.monotonic()
    first = await deliver_due(outbox, {"news": Destination(n, NEWS)}, lambda: NOW)
    assert time.monotonic() - start < 3.5
    assert (first.sent, first.retrying) == (0, 1) and "Timeout" in first.errors[0]
    fake.delay = 0
    fake._nonces.clear()  # the retry comes after the nonce window: only the marker can tell
    again = await deliver_due(outbox, {"news": Destination(n, NEWS)}, lambda: NOW + timedelta(minutes=10))
    await n.aclose()
    assert (again.reconciled, again.sent) == (1, 0) and len(fake.posted(NEWS)) == 1


async def test_a_hung_webhook_post_times_out_and_its_retry_finds_it(fake: FakeDiscord, outbox: Outbox) -> None:
    url = fake.add_webhook(NEWS)
    enqueue(outbox, make_alert("s1"))
    n = DiscordWebhookNotifier(bot_token=fake.token, timeout=1)
    fake.delay = 4
    start = time.monotonic()
    first = await deliver_due(outbox, {"news": Destination(n, url)}, lambda: NOW)
    assert time.monotonic() - start < 3.5
    assert (first.sent, first.retrying) == (0, 1)
    fake.delay = 0
    again = await deliver_due(outbox, {"news": Destination(n, url)}, lambda: NOW + timedelta(minutes=10))
    await n.aclose()
    assert (again.reconciled, again.sent) == (1, 0) and len(fake.posted(NEWS)) == 1


async def test_a_bot_post_stored_before_a_502_is_one_message(fake: FakeDiscord, outbox: Outbox) -> None:
    """discord.py repeats a post after a 5xx itself; the nonce makes Discord return the stored one."""
    enqueue(outbox, make_alert("s1"))
    fake.fail(rf"/channels/{NEWS}/messages$", 502, applied=True)
    n = DiscordNotifier(token=fake.token)
    report = await deliver_due(outbox, {"news": Destination(n, NEWS)}, lambda: NOW)
    await n.aclose()
    assert report.sent == 1 and len(fake.posted(NEWS)) == 1


async def test_a_webhook_post_stored_before_a_5xx_is_not_repeated_blind(fake: FakeDiscord, outbox: Outbox) -> None:
    """Execute-webhook takes no nonce: discord.py's own 5xx retry posted it twice. Now the outbox
    retries, looking for it first (with a bot token), so it is one message."""
    url = fake.add_webhook(NEWS)
    enqueue(outbox, make_alert("s1"))
    fake.fail(r"^/webhooks/\d+/[^/]+$", 502, applied=True)
    n = DiscordWebhookNotifier(bot_token=fake.token)
    first = await deliver_due(outbox, {"news": Destination(n, url)}, lambda: NOW)
    assert (first.sent, first.retrying) == (0, 1) and len(fake.posted(NEWS)) == 1
    again = await deliver_due(outbox, {"news": Destination(n, url)}, lambda: NOW + timedelta(minutes=5))
    await n.aclose()
    assert (again.reconciled, again.sent) == (1, 0) and len(fake.posted(NEWS)) == 1
