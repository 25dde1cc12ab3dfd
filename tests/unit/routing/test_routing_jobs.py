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


def test_a_digest_due_while_the_bot_was_down_is_sent_once_when_it_starts(world) -> None:
    """A digest is enqueued within 30 minutes of its slot. The bot down from 08:50 to 09:40 (a
    deploy): that day's digest never came, and a weekly one waited a week. Now the first pass of a
    process that starts sends the latest slot's digest if it was never sent, listing what it would
    have listed then; later stories wait for the next slot."""
    from bot.pipeline import Pipeline

    s = make_settings([{"name": "news", "console": True, "min_importance": 6, "digest": {"schedule": "0 9 * * MON"}}])
    w = world(s)
    w.route(view("before", 4), datetime(2026, 11, 23, 8, tzinfo=UTC))  # Monday 08:00
    w.route(view("after", 4), datetime(2026, 11, 23, 9, 20, tzinfo=UTC))
    restarted = datetime(2026, 11, 23, 9, 40, tzinfo=UTC)
    assert run_routing_jobs(s, w.store, w.outbox, restarted).digests == []  # a running process: past its grace
    for minute in (0, 1):  # the process starts (housekeeping twice), then restarts again
        Pipeline(s, w.store, {}, clock=lambda m=minute: restarted + timedelta(minutes=m)).housekeeping()
    [digest] = [d for d in w.outbox.due(restarted + timedelta(minutes=2)) if d.kind is AlertKind.DIGEST]
    assert digest.key == "digest:news:2026-11-23T09:00:00+00:00"
    assert [i.story_id for i in digest.alert.items] == ["before"]
    assert run_routing_jobs(s, w.store, w.outbox, datetime(2026, 11, 30, 9, tzinfo=UTC)).digests \
        == ["digest:news:2026-11-30T09:00:00+00:00"]  # the next week's lists the later story
    [later] = [d for d in w.outbox.due(datetime(2026, 11, 30, 9, tzinfo=UTC)) if d.key.endswith("11-30T09:00:00+00:00")]
    assert [i.story_id for i in later.alert.items] == ["after"]
