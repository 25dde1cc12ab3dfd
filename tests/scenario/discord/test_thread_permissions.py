"""The bot may post in a channel but not use threads there (403 Missing Permissions, 50013)."""

from __future__ import annotations

import pytest

from bot.adapters.discord import DiscordNotifier
from bot.outbox import Outbox
from tests.fakes.discord_api import FakeDiscord
from tests.scenario.discord.helpers import NEWS, coverage, deliver, enqueue, field_name, make_alert


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
