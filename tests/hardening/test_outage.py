"""Slack and Discord both down for ten minutes: alerts wait in the outbox and arrive in order afterwards.

The platforms are the fakes on loopback answering 503 to every post; the clock handed to
the dispatcher advances in 30-second ticks (the outbox's own backoff decides when each
retry happens). Nothing is dropped, nothing is posted twice, each channel keeps its order.
The generic webhook case is ``tests/unit/outbox/test_dispatch.py::test_outage_queues_then_delivers_in_order``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.base import Destination
from bot.adapters.discord import DiscordNotifier
from bot.adapters.slack import SlackNotifier
from bot.models import Alert, AlertKind
from bot.outbox import NewDelivery, Outbox, deliver_due
from bot.store import Store
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlack

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DISCORD_CHANNEL = "1300000000000000001"
STORIES = ["s1", "s2", "s3"]


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    yield Outbox(store)
    store.close()


def _alert(story: str, channel: str) -> Alert:
    return Alert(kind=AlertKind.ALERT, channel=channel, story_id=story, title=f"Story {story}",
                 url=f"https://news.example/{story}", importance=7, category="Industry")


async def test_ten_minute_outage_of_both_platforms_queues_then_delivers_in_order(outbox: Outbox) -> None:
    slack, discord_api = FakeSlack().start(), FakeDiscord()
    discord_api.add_channel(DISCORD_CHANNEL)
    with outbox.store.begin() as c:
        outbox.enqueue(c, [NewDelivery(f"alert:{s}:{ch}", _alert(s, ch)) for s in STORIES for ch in ("sl", "dc")], NOW)
    slack.fail("chat.postMessage", status=503, times=None)
    discord_api.fail(r"/messages$", 503, times=10_000)
    sn = SlackNotifier(token="xoxb-test", base_url=slack.api_url, min_interval=0, server_error_retries=0)
    try:
        with discord_api.use():
            dn = DiscordNotifier(token=discord_api.token)
            dests = {"sl": Destination(sn, "C1"), "dc": Destination(dn, DISCORD_CHANNEL)}
            t = NOW
            while t < NOW + timedelta(minutes=10):  # the outage
                await deliver_due(outbox, dests, lambda t=t: t)
                t += timedelta(seconds=30)
            assert outbox.counts() == {"pending": 6}  # all queued, none lost, none failed for good
            attempts = (len(slack.calls_to("chat.postMessage")), len(discord_api.calls_to("POST", r"/messages$")))
            with slack._lock:  # the fakes come back up
                slack._failures.clear()
            discord_api.failures.clear()
            end = t + timedelta(minutes=15)
            while t < end and outbox.counts() != {"sent": 6}:
                await deliver_due(outbox, dests, lambda t=t: t)
                t += timedelta(seconds=30)
            await dn.aclose()
    finally:
        slack.stop()
        discord_api.close()
    assert outbox.counts() == {"sent": 6}
    assert [m["text"].split(": ", 1)[-1].split()[1] for m in slack.messages["C1"]] == STORIES, slack.messages["C1"]
    assert [m["embeds"][0]["title"].split()[1] for m in discord_api.posted(DISCORD_CHANNEL)] == STORIES
    assert 2 <= attempts[0] <= 12 and 2 <= attempts[1] <= 12  # backed off during the outage, not hammered
    recovered_after = t - (NOW + timedelta(minutes=10))
    assert recovered_after <= timedelta(minutes=10), recovered_after
