"""A user deleted the story's alert in Slack; later coverage must still reach the channel.

Slack (as the fake answers): a deleted message without replies is gone, so ``chat.update``
says ``message_not_found`` and a reply naming it as ``thread_ts`` is posted at the top of the
channel, without ``thread_ts`` in the answer; one with replies stays as a tombstone whose
thread still takes replies.
"""

from __future__ import annotations

from bot.adapters.base import Destination
from bot.adapters.slack import SlackNotifier
from bot.models import AlertKind, DeliveryStatus, SourceRef
from bot.outbox import NewDelivery, Outbox, deliver_due

from .conftest import NOW, make_alert


def notifier(fake) -> SlackNotifier:
    return SlackNotifier(token="xoxb-test", base_url=fake.api_url, min_interval=0.0)


def top_level(fake) -> list[dict]:
    return [m for m in fake.messages.get("C1", []) if not m.get("thread_ts")]


def coverage(outbox: Outbox, *names: str, mode: str = "thread", after: tuple[str, ...] = ()) -> None:
    """One follow-up per new outlet, each with the grown source list (``after``: outlets already in)."""
    sources = [*make_alert().sources, *(SourceRef(a, f"https://{a.lower()}.example/1") for a in after)]
    for name in names:
        sources = [*sources, SourceRef(name, f"https://{name.lower()}.example/1")]
        with outbox.store.begin() as c:
            outbox.enqueue(c, [NewDelivery(f"followup:s1:news:{name}", make_alert(
                "s1", kind=AlertKind.FOLLOWUP, sources=sources, new_source=sources[-1], followup_mode=mode))], NOW)


async def post_alert(outbox: Outbox, n: SlackNotifier, mode: str = "thread") -> str:
    with outbox.store.begin() as c:
        outbox.enqueue(c, [NewDelivery("alert:s1:news", make_alert("s1", followup_mode=mode))], NOW)
    assert (await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)).sent == 1
    return top_level_ts(outbox)


def top_level_ts(outbox: Outbox) -> str:
    ts = outbox.thread_id("s1", "news")
    assert ts
    return ts


def sources_text(msg: dict) -> str:
    return next(b for b in msg["blocks"] if b.get("block_id") == "signals_sources")["elements"][0]["text"]


async def test_edit_mode_reposts_the_story_when_its_alert_was_deleted(fake, store):
    """Before: chat.update answered message_not_found, the follow-up failed for good, and so did
    every later one: the story's new coverage never reached the channel again."""
    outbox, n = Outbox(store), notifier(fake)
    fake.delete("C1", await post_alert(outbox, n, "edit"))
    coverage(outbox, "Reuters", mode="edit")
    report = await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)
    assert (report.sent, report.failed) == (1, 0)
    (alert,) = top_level(fake)
    assert "Nvidia beats estimates" in alert["text"] and "3 sources" in sources_text(alert)
    assert any(b["type"] == "actions" for b in alert["blocks"])  # a full alert, buttons and all
    coverage(outbox, "AP", mode="edit", after=("Reuters",))
    assert (await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)).sent == 1
    (alert,) = top_level(fake)  # the repost was edited, not posted again
    assert "4 sources" in sources_text(alert) and alert.get("edited")
    assert all(d.status is DeliveryStatus.SENT for d in outbox.for_story("s1"))


async def test_thread_mode_reposts_the_story_when_its_alert_was_deleted(fake, store):
    """Before: Slack ignored the deleted thread_ts and the bare "Also covered by Reuters" note
    landed at the top of the channel, out of context; the next one did the same."""
    outbox, n = Outbox(store), notifier(fake)
    fake.delete("C1", await post_alert(outbox, n))
    coverage(outbox, "Reuters")
    assert (await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)).sent == 1
    (alert,) = top_level(fake)
    assert "Nvidia beats estimates" in alert["text"] and "3 sources" in sources_text(alert)
    assert any(b["type"] == "actions" for b in alert["blocks"])
    coverage(outbox, "AP", after=("Reuters",))
    assert (await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)).sent == 1
    assert len(top_level(fake)) == 1
    (reply,) = [m for m in fake.messages["C1"] if m.get("thread_ts")]
    assert reply["thread_ts"] == alert["ts"] and "AP" in reply["text"]


async def test_a_deleted_alert_with_replies_keeps_its_thread(fake, store):
    """A parent with replies stays as a tombstone and its thread takes replies: nothing reposted."""
    outbox, n = Outbox(store), notifier(fake)
    ts = await post_alert(outbox, n)
    coverage(outbox, "Reuters")
    assert (await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)).sent == 1
    fake.delete("C1", ts)
    coverage(outbox, "AP", after=("Reuters",))
    assert (await deliver_due(outbox, {"news": Destination(n, "C1")}, lambda: NOW)).sent == 1
    replies = [m for m in fake.messages["C1"] if m.get("thread_ts") == ts and m["ts"] != ts]
    assert [("AP" in m["text"]) for m in replies] == [False, True]
    assert not top_level(fake)
