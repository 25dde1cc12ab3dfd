"""A user deleted the story's alert in Discord; later coverage must still reach the channel.

Discord (as the fake answers): editing a deleted message, or starting a thread on it, is a
404 ``Unknown Message`` (10008); a thread started from it before it was deleted stays.
"""

from __future__ import annotations

import pytest

from bot.adapters.discord import DiscordNotifier, DiscordWebhookNotifier
from bot.models import DeliveryStatus
from bot.outbox import Outbox
from tests.fakes.discord_api import FakeDiscord
from tests.scenario.discord.helpers import NEWS, coverage, deliver, enqueue, field_name, make_alert


@pytest.mark.parametrize("mode", ["edit", "thread"])
async def test_a_deleted_alert_is_posted_again_with_the_new_coverage(fake: FakeDiscord, outbox: Outbox,
                                                                     mode: str) -> None:
    """Before: 10008 Unknown Message failed the follow-up for good, and every later one the
    same way: the story's new sources never reached the channel again."""
    n = DiscordNotifier(token=fake.token)
    enqueue(outbox, make_alert("s1", followup_mode=mode))
    await deliver(outbox, n, NEWS)
    fake.delete_message(fake.posted(NEWS)[0]["id"])
    coverage(outbox, "Reuters", mode)
    report = await deliver(outbox, n, NEWS)
    assert (report.sent, report.failed) == (1, 0)
    (alert,) = fake.posted(NEWS)
    assert alert["embeds"][0]["title"] == "Story s1" and field_name(alert) == "2 sources"
    assert alert["components"]  # a full alert, buttons and all
    coverage(outbox, "AP", mode, after=("Reuters",))
    assert (await deliver(outbox, n, NEWS)).sent == 1
    await n.aclose()
    (alert,) = fake.posted(NEWS)  # not posted a third time
    if mode == "edit":
        assert field_name(alert) == "3 sources" and alert["edited_timestamp"]
    else:
        (note,) = fake.posted(alert["id"])
        assert "AP" in note["embeds"][0]["description"]
    assert all(d.status is DeliveryStatus.SENT for d in outbox.for_story("s1"))


async def test_a_deleted_alert_with_a_thread_keeps_its_thread(fake: FakeDiscord, outbox: Outbox) -> None:
    n = DiscordNotifier(token=fake.token)
    enqueue(outbox, make_alert("s1"))
    await deliver(outbox, n, NEWS)
    alert_id = fake.posted(NEWS)[0]["id"]
    coverage(outbox, "Reuters", "thread")
    await deliver(outbox, n, NEWS)
    fake.delete_message(alert_id)
    coverage(outbox, "AP", "thread", after=("Reuters",))
    assert (await deliver(outbox, n, NEWS)).sent == 1
    await n.aclose()
    assert len(fake.posted(alert_id)) == 2 and not fake.posted(NEWS)


async def test_a_webhook_alert_deleted_is_posted_again(fake: FakeDiscord, outbox: Outbox) -> None:
    url = fake.add_webhook(NEWS)
    n = DiscordWebhookNotifier(bot_token="")
    enqueue(outbox, make_alert("s1"))
    await deliver(outbox, n, url)
    fake.delete_message(fake.posted(NEWS)[0]["id"])
    coverage(outbox, "Reuters", "edit")
    report = await deliver(outbox, n, url)
    coverage(outbox, "AP", "edit", after=("Reuters",))
    again = await deliver(outbox, n, url)
    await n.aclose()
    assert (report.sent, report.failed, again.sent) == (1, 0, 1)
    (alert,) = fake.posted(NEWS)
    assert field_name(alert) == "3 sources"

