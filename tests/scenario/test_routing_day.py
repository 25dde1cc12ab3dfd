"""A day in a channel's life, posted to a real webhook receiver on loopback.

Quiet hours 22:00-07:00 (Berlin), max 2 alerts an hour, a 09:00 digest: the night's
alerts wait and leave as one catch-up message, an urgent story goes out at once, a busy
hour spills into the digest with a single notice, and the digest lists what was spilled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.adapters.base import Destination
from bot.adapters.webhook import WebhookNotifier
from bot.outbox import deliver_due
from bot.routing import run_routing_jobs
from bot.store import Store
from tests.fakes.webhook import Receiver
from tests.unit.routing.routing_helpers import World, make_settings, view


async def test_night_catch_up_urgent_caps_and_digest(tmp_path: Path, receiver: Receiver) -> None:
    s = make_settings([{"name": "news", "webhook": receiver.url(), "timezone": "Europe/Berlin",
                        "quiet_hours": "22:00-07:00", "max_per_hour": 2, "min_importance": 6,
                        "digest": {"schedule": "0 9 * * *", "min_importance": 5}}])
    store = Store.open(f"sqlite:///{tmp_path}/day.db")
    w = World(store, s)
    dest = {"news": Destination(WebhookNotifier(), receiver.url())}

    async def tick(now: datetime) -> list[str]:
        run_routing_jobs(s, store, w.outbox, now)
        before = len(receiver.received)
        await deliver_due(w.outbox, dest, lambda: now)
        return [f"{m.get('kind')}:{m.get('title')}" for m in receiver.received[before:]]

    night = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)  # 23:30 Berlin
    for i, imp in enumerate([6.5, 7, 8]):
        w.route(view(f"night{i}", imp, title=f"Night story {i}"), night + timedelta(minutes=10 * i))
    w.route(view("quake", 9.5, title="Urgent story"), night + timedelta(minutes=40))
    assert await tick(night + timedelta(minutes=41)) == ["alert:Urgent story"]
    assert await tick(datetime(2026, 11, 25, 5, 59, tzinfo=UTC)) == []  # 06:59 Berlin: still quiet

    morning = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # 07:00 Berlin
    assert await tick(morning) == ["digest:While quiet hours were on: 3 stories"]

    busy = datetime(2026, 11, 25, 7, 5, tzinfo=UTC)  # 08:05 Berlin: a busy hour
    for i in range(4):
        w.route(view(f"busy{i}", 6.5, title=f"Busy story {i}"), busy + timedelta(minutes=i))
    w.route(view("minor", 5.5, title="Minor story"), busy)
    sent = await tick(busy + timedelta(minutes=5))
    assert sent[:2] == ["alert:Busy story 0", "alert:Busy story 1"]
    assert sent[2].startswith("notice:2 more stories in the 09:00 digest")
    assert len(sent) == 3

    digest = await tick(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))  # 09:00 Berlin
    assert digest == ["digest:Digest: 3 stories since Tue 09:00"]  # the first digest: since the previous slot
    text = receiver.received[-1]["text"]  # the webhook carries the rendered digest
    assert text.index("Busy story 3") < text.index("Busy story 2") < text.index("Minor story")
    assert "Night story" not in text and "Busy story 0" not in text
    assert await tick(datetime(2026, 11, 25, 8, 1, tzinfo=UTC)) == []  # nothing twice
    store.close()
