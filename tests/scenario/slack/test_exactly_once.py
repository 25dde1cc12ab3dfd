"""Exactly once across a crash: the dispatcher process is killed after Slack stored the post but
before the outbox recorded it; the restarted dispatcher finds the post by its metadata key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from bot.adapters.base import Destination
from bot.adapters.slack import SlackNotifier
from bot.models import DeliveryStatus
from bot.outbox import NewDelivery, Outbox, deliver_due

from .conftest import NOW, make_alert

WORKER = textwrap.dedent("""
    import asyncio, sys
    from bot.adapters.base import Destination
    from bot.adapters.slack import SlackNotifier
    from bot.outbox import Outbox, deliver_due
    from bot.store import Store

    async def main() -> None:
        outbox = Outbox(Store.open(sys.argv[1]))
        n = SlackNotifier(token="xoxb-test", base_url=sys.argv[2], min_interval=0)
        await deliver_due(outbox, {"news": Destination(n, "C1")})

    asyncio.run(main())
""")


def status(outbox: Outbox, story: str) -> DeliveryStatus:
    return outbox.for_story(story)[0].status


async def test_killed_between_post_and_record_posts_once(fake, store, tmp_path):
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert("s1"))], NOW)
    fake.hold("chat.postMessage", 60)  # Slack has the message; the answer never reaches the worker
    url = str(store.engine.url)
    log = tmp_path / "worker.log"
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", WORKER, url, fake.api_url], cwd=os.getcwd(),
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        assert fake.wait_for(lambda: len(fake.messages.get("C1", [])) == 1, timeout=30), log.read_text()
        assert status(outbox, "s1") is DeliveryStatus.SENDING
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    fake.release()

    n = SlackNotifier(token="xoxb-test", base_url=fake.api_url, min_interval=0)
    report = await deliver_due(outbox, {"news": Destination(n, "C1")})
    assert (report.reconciled, report.sent) == (1, 0)
    (d,) = outbox.for_story("s1")
    assert d.status is DeliveryStatus.SENT and d.provider_message_id == fake.messages["C1"][0]["ts"]
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert len(fake.messages["C1"]) == 1
    again = await deliver_due(outbox, {"news": Destination(n, "C1")})
    assert (again.sent, again.reconciled) == (0, 0) and len(fake.messages["C1"]) == 1



async def test_killed_before_post_is_posted_after_restart(fake, store):
    outbox = Outbox(store)
    with store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s2:news", make_alert("s2"))], NOW)
    assert outbox.claim(outbox.due(NOW)[0])  # claimed, then the process died before posting
    n = SlackNotifier(token="xoxb-test", base_url=fake.api_url, min_interval=0)
    report = await deliver_due(outbox, {"news": Destination(n, "C1")})
    assert (report.reconciled, report.sent) == (0, 1)
    assert len(fake.messages["C1"]) == 1
