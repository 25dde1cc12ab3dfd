"""``followups: edit`` on an alert older than the workspace lets anyone edit a message.

Slack answers ``chat.update`` with ``edit_window_closed`` when the workspace limits editing
(Settings > Message editing: "never" or "up to N minutes"), and ``cant_update_message`` when
the message may not be edited by the bot. The story's new coverage must still reach the
channel: as a reply in the alert's thread.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.base import Destination
from bot.adapters.slack import SlackNotifier
from bot.models import DeliveryStatus
from bot.outbox import Outbox, deliver_due

from .conftest import NOW
from .test_deleted_alert import coverage, post_alert, sources_text


@pytest.mark.parametrize("error", ["edit_window_closed", "cant_update_message"])
async def test_an_edit_slack_refuses_becomes_a_thread_reply(fake, store, error: str) -> None:
    outbox = Outbox(store)
    n = SlackNotifier(token="xoxb-test", base_url=fake.api_url, min_interval=0.0)
    ts = await post_alert(outbox, n, "edit")
    fake.fail("chat.update", error=error, times=None)  # every edit, from now on
    coverage(outbox, "Reuters", mode="edit")
    coverage(outbox, "Bloomberg", mode="edit", after=("Reuters",))
    report = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)
    assert (report.sent, report.failed) == (2, 0), report.errors
    replies = [m for m in fake.messages["C1"] if m.get("thread_ts") == ts]
    assert [m["text"].split(":")[0] for m in replies] == ["Also covered by Reuters", "Also covered by Bloomberg"]
    assert sources_text(replies[-1]).startswith("4 sources")  # the alert's two, then Reuters and Bloomberg
    with store.begin() as c:
        statuses = [r[0] for r in c.exec_driver_sql("SELECT status FROM deliveries WHERE kind = 'followup'")]
    assert statuses == [DeliveryStatus.SENT.value] * 2


async def test_a_reply_in_place_of_a_refused_edit_is_not_posted_twice_on_retry(fake, store) -> None:
    """The reply went through but its answer was lost: the retry finds it in the thread."""
    outbox = Outbox(store)
    n = SlackNotifier(token="xoxb-test", base_url=fake.api_url, min_interval=0.0)
    ts = await post_alert(outbox, n, "edit")
    fake.fail("chat.update", error="edit_window_closed", times=None)
    fake.fail("chat.postMessage", status=500, applied=True)
    coverage(outbox, "Reuters", mode="edit")
    dest = {"news": Destination(n, "C1")}
    assert (await deliver_due(outbox, dest, lambda: NOW)).retrying == 1
    later = NOW + timedelta(minutes=5)
    report = await deliver_due(outbox, dest, lambda: later)
    assert report.reconciled == 1 and report.sent == 0
    assert len([m for m in fake.messages["C1"] if m.get("thread_ts") == ts]) == 1
