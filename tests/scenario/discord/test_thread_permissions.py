"""The bot may post in a channel but not use threads there (403 Missing Permissions, 50013)."""

from __future__ import annotations

import pytest

from bot.adapters.base import Destination, Notifier
from bot.adapters.discord import DiscordNotifier
from bot.models import AlertKind, SourceRef
from bot.outbox import Outbox, deliver_due
from tests.fakes.discord_api import FakeDiscord
from tests.scenario.discord.helpers import NEWS, NOW, enqueue, make_alert


def coverage(outbox: Outbox, name: str, mode: str, after: tuple[str, ...] = ()) -> None:
    sources = [SourceRef(s, f"https://{s.lower()}.example") for s in ("Wire", *after, name)]
    enqueue(outbox, make_alert("s1", kind=AlertKind.FOLLOWUP, followup_mode=mode, new_source=sources[-1],
                               sources=sources))


async def deliver(outbox: Outbox, n: Notifier, target: str):
    return await deliver_due(outbox, {"news": Destination(n, target)}, lambda: NOW)


def field_name(msg: dict) -> str:
    return msg["embeds"][0]["fields"][0]["name"]


@pytest.mark.parametrize("thread_first", [False, True], ids=["no-thread-yet", "thread-exists"])
async def test_without_thread_permissions_followups_update_the_alert(fake: FakeDiscord, outbox: Outbox,
                                                                     caplog: pytest.LogCaptureFixture,
                                                                     thread_first: bool) -> None:
    """The bot may post in the channel but not use threads (403 Missing Permissions, 50013). Before:
    every follow-up failed for good, so the story's new sources never showed. Now the alert's
    sources field is updated instead (as in ``edit`` mode), with a warning naming the permissions."""
    n = DiscordNotifier(token=fake.token)
    enqueue(outbox, make_alert("s1"))
    await deliver(outbox, n, NEWS)
    alert_id = fake.posted(NEWS)[0]["id"]
    if thread_first:
        coverage(outbox, "Reuters", "thread")
        await deliver(outbox, n, NEWS)
    fake.no_threads.add(NEWS)
    coverage(outbox, "AP", "thread", after=("Reuters",))
    report = await deliver(outbox, n, NEWS)
    await n.aclose()
    assert (report.sent, report.failed) == (1, 0)
    (alert,) = fake.posted(NEWS)
    assert alert["id"] == alert_id and field_name(alert) == "3 sources" and alert["edited_timestamp"]
    assert "Send Messages in Threads" in caplog.text
