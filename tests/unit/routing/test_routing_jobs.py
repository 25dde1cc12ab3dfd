"""One scheduler tick: catch-up first, then digests and health notices; repeated ticks add nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import AlertKind, FetchState
from bot.routing.jobs import run_routing_jobs
from tests.unit.routing.routing_helpers import make_settings, view


def test_tick_bundles_catch_up_enqueues_digest_and_health_once(world) -> None:
    s = make_settings([{"name": "news", "console": True, "quiet_hours": "22:00-07:00", "min_importance": 6,
                        "digest": {"schedule": "0 7 * * *"}}], source_alert_after="1h")
    w = world(s)
    night = datetime(2026, 11, 24, 23, tzinfo=UTC)
    for i in range(3):
        w.route(view(f"a{i}", 7), night + timedelta(minutes=i))
    w.route(view("low", 4), night)
    w.store.save_fetch_state(FetchState("wire", "u", failures=4, last_error="HTTP 500", last_ok_at=night))
    morning = datetime(2026, 11, 25, 7, tzinfo=UTC)
    tick = run_routing_jobs(s, w.store, w.outbox, morning)
    assert (len(tick.catch_ups), len(tick.digests), len(tick.notices), tick.errors) == (1, 1, 1, [])
    assert [d.kind for d in w.outbox.due(morning)] == [AlertKind.DIGEST, AlertKind.DIGEST, AlertKind.NOTICE]
    again = run_routing_jobs(s, w.store, w.outbox, morning + timedelta(seconds=15))
    assert (again.catch_ups, again.digests, again.notices) == ([], [], [])
