"""Quiet hours (across midnight and DST), urgency, caps spilling into digests, the one-time notice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.models import AlertKind, DeliveryStatus, SourceRef
from bot.outbox import alert_from_dict
from bot.routing import Action, Reason
from bot.routing.policy import cap_windows, quiet_until
from bot.routing.schedule import next_fire, wall_time
from bot.store import schema as t
from tests.unit.routing.routing_helpers import make_settings, view

BERLIN = ZoneInfo("Europe/Berlin")


def quiet_settings(spec: str = "22:00-07:00", tz: str = "Europe/Berlin", **extra: object):
    return make_settings([{"name": "news", "console": True, "quiet_hours": spec, "timezone": tz,
                           "min_importance": 5, **extra}])


def until(spec: str, now: datetime, tz: str = "Europe/Berlin") -> datetime | None:
    s = quiet_settings(spec, tz)
    return quiet_until(s.rules(s.channels[0]), s, now)


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


@pytest.mark.parametrize(("now", "end"), [
    (utc(2026, 11, 24, 20, 59), None),  # 21:59 CET
    (utc(2026, 11, 24, 21, 0), utc(2026, 11, 25, 6, 0)),  # 22:00 CET: starts
    (utc(2026, 11, 24, 23, 30), utc(2026, 11, 25, 6, 0)),  # after midnight UTC too
    (utc(2026, 11, 25, 2, 0), utc(2026, 11, 25, 6, 0)),  # 03:00 local, the next day
    (utc(2026, 11, 25, 5, 59), utc(2026, 11, 25, 6, 0)),
    (utc(2026, 11, 25, 6, 0), None),  # 07:00 CET: over
])
def test_quiet_hours_across_midnight(now: datetime, end: datetime | None) -> None:
    assert until("22:00-07:00", now) == end


def test_quiet_hours_spring_forward_night_is_an_hour_shorter() -> None:
    # 2026-03-29 02:00 CET → 03:00 CEST. 22:00 CET = 21:00Z; 07:00 CEST = 05:00Z: 8 hours, not 9.
    assert until("22:00-07:00", utc(2026, 3, 28, 21, 0)) == utc(2026, 3, 29, 5, 0)
    assert until("22:00-07:00", utc(2026, 3, 29, 4, 59)) == utc(2026, 3, 29, 5, 0)
    assert until("22:00-07:00", utc(2026, 3, 29, 5, 0)) is None  # 07:00 CEST
    # A naive "UTC+1 all night" would still hold at 05:30Z (06:30 CET) — that is 07:30 CEST.
    assert until("22:00-07:00", utc(2026, 3, 29, 5, 30)) is None


def test_quiet_hours_fall_back_night_is_an_hour_longer() -> None:
    # 2026-10-25 03:00 CEST → 02:00 CET. 22:00 CEST = 20:00Z; 07:00 CET = 06:00Z.
    assert until("22:00-07:00", utc(2026, 10, 24, 19, 59)) is None
    assert until("22:00-07:00", utc(2026, 10, 24, 20, 0)) == utc(2026, 10, 25, 6, 0)
    assert until("22:00-07:00", utc(2026, 10, 25, 5, 30)) == utc(2026, 10, 25, 6, 0)


def test_wall_time_in_the_dst_gap_is_the_jump() -> None:
    # 02:30 does not exist on 2026-03-29 in Berlin: it means the moment the clocks jump (01:00Z).
    assert wall_time(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1, 0)
    assert until("01:00-02:30", utc(2026, 3, 29, 0, 30)) == utc(2026, 3, 29, 1, 0)
    # Ambiguous 02:30 on the fall-back night: its first occurrence (00:30Z, still CEST).
    assert wall_time(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)


def test_quiet_hours_same_day_range_and_global_timezone() -> None:
    s = make_settings([{"name": "news", "console": True, "quiet_hours": "12:00-13:30"}], timezone="America/New_York")
    rules = s.rules(s.channels[0])
    assert quiet_until(rules, s, utc(2026, 7, 1, 16, 0)) == utc(2026, 7, 1, 17, 30)  # 12:00 EDT
    assert quiet_until(rules, s, utc(2026, 7, 1, 15, 59)) is None
    assert until("08:00-08:00", utc(2026, 7, 1, 8, 0)) is None  # empty range: no quiet hours


def test_held_alert_is_released_when_quiet_hours_end(world) -> None:
    w = world(quiet_settings())
    night = utc(2026, 11, 24, 23, 0)
    plan = w.route(view("s1", 7), night)
    [dec] = plan.decisions
    assert (dec.action, dec.reason) == (Action.HOLD, Reason.QUIET_HOURS)
    assert "07:00" in dec.detail
    [row] = w.rows()
    assert row.status == DeliveryStatus.HELD.value and row.kind == "alert"
    assert w.outbox.due(utc(2026, 11, 25, 5, 59)) == []
    [due] = w.outbox.due(utc(2026, 11, 25, 6, 0))
    assert due.story_id == "s1"
    # More coverage during the night: a follow-up, held as well, released after the alert.
    plan = w.route(view("s1", 7), night + timedelta(hours=1), new_source=SourceRef("blog", "https://b.test/1"))
    assert plan.decisions[0].action is Action.FOLLOWUP and plan.decisions[0].reason is Reason.QUIET_HOURS
    assert [d.kind for d in w.outbox.due(utc(2026, 11, 25, 6, 0))] == [AlertKind.ALERT, AlertKind.FOLLOWUP]


def test_urgent_story_bypasses_quiet_hours_and_caps(world) -> None:
    w = world(quiet_settings(urgent_importance=8.5, max_per_hour=0))
    plan = w.route(view("big", 8.6), utc(2026, 11, 24, 23, 0))
    assert plan.decisions[0].action is Action.ALERT
    assert w.rows()[0].status == DeliveryStatus.PENDING.value


def test_default_urgent_importance_is_nine(world) -> None:
    w = world(quiet_settings())
    assert w.route(view("a", 8.9), utc(2026, 11, 24, 23, 0)).decisions[0].action is Action.HOLD
    assert w.route(view("b", 9.0), utc(2026, 11, 24, 23, 0)).decisions[0].action is Action.ALERT


def test_cap_spills_into_digest_and_notice_is_sent_once_per_window(world) -> None:
    s = make_settings([{"name": "news", "console": True, "timezone": "Europe/Berlin", "max_per_hour": 2,
                        "digest": {"schedule": "0 17 * * *"}}])
    w = world(s)
    t0 = utc(2026, 11, 24, 14, 5)  # 15:05 Berlin
    actions = [w.route(view(f"s{i}", 6), t0 + timedelta(minutes=i)).decisions[0] for i in range(5)]
    assert [a.action for a in actions] == [Action.ALERT] * 2 + [Action.DIGEST] * 3
    assert actions[2].reason is Reason.OVER_CAP and "17:00 digest" in actions[2].detail
    notices = [r for r in w.rows() if r.kind == AlertKind.NOTICE.value]
    assert len(notices) == 1
    assert notices[0].key == "cap:news:hour:2026-11-24T14:00:00+00:00"
    assert alert_from_dict(notices[0].payload).text.startswith("3 more stories in the 17:00 digest")
    # More coverage of a story that already spilled: still 3 (the notice lists its stories).
    w.route(view("s3", 6), t0 + timedelta(minutes=20), new_source=SourceRef("blog", "https://b.test/s3"))
    [notice] = [r for r in w.rows() if r.kind == AlertKind.NOTICE.value]
    assert [i.story_id for i in alert_from_dict(notice.payload).items] == ["s2", "s3", "s4"]
    assert alert_from_dict(notice.payload).text.startswith("3 more stories")
    # Once the notice is sent, later spills in the same hour do not add another message.
    w.outbox.mark_sent(notices[0].id, "m1", t0)
    w.route(view("s9", 6), t0 + timedelta(minutes=30))
    assert len([r for r in w.rows() if r.kind == AlertKind.NOTICE.value]) == 1
    # The next hour has a fresh budget.
    assert w.route(view("n1", 6), t0 + timedelta(hours=1)).decisions[0].action is Action.ALERT


def test_daily_cap_uses_the_local_calendar_day(world) -> None:
    s = make_settings([{"name": "news", "console": True, "timezone": "America/New_York", "max_per_day": 1}])
    w = world(s)
    assert w.route(view("a", 6), utc(2026, 11, 24, 15)).decisions[0].action is Action.ALERT
    assert w.route(view("b", 6), utc(2026, 11, 25, 4)).decisions[0].action is Action.DIGEST  # 23:00 NY, same day
    assert w.route(view("c", 6), utc(2026, 11, 25, 5)).decisions[0].action is Action.ALERT  # 00:00 NY, next day
    rules = s.rules(s.channels[0])
    [day] = cap_windows(rules, ZoneInfo("America/New_York"), utc(2026, 11, 25, 4))
    assert (day.start, day.end) == (utc(2026, 11, 24, 5), utc(2026, 11, 25, 5))


def test_cron_day_numbers_follow_cron_not_apscheduler() -> None:
    # "0 9 * * 0" is Sunday in cron (APScheduler 3 alone would read Monday).
    at = next_fire("0 9 * * 0", ZoneInfo("UTC"), utc(2026, 11, 24, 10))
    assert at == utc(2026, 11, 29, 9) and at.strftime("%a") == "Sun"
    assert next_fire("0 9 * * MON-FRI", BERLIN, utc(2026, 11, 27, 9)) == utc(2026, 11, 30, 8)


def test_quiet_hours_catch_up_bundles_held_alerts_into_one_message(world) -> None:
    from bot.routing.catchup import bundle_catch_up

    w = world(quiet_settings())
    night = utc(2026, 11, 24, 23, 0)
    for i, imp in enumerate([6, 8, 7]):
        w.route(view(f"n{i}", imp), night + timedelta(minutes=i))
    w.route(view("n0", 6), night + timedelta(minutes=9), new_source=SourceRef("blog", "https://b.test/n0"))
    assert bundle_catch_up(w.store, w.outbox, utc(2026, 11, 25, 5, 59)) == []  # still quiet
    [key] = bundle_catch_up(w.store, w.outbox, utc(2026, 11, 25, 6, 0))
    assert key == "catchup:news:2026-11-25T06:00:00+00:00"
    [due] = w.outbox.due(utc(2026, 11, 25, 6, 0))  # one message instead of three alerts and a follow-up
    assert due.kind is AlertKind.DIGEST and [i.story_id for i in due.alert.items] == ["n1", "n2", "n0"]
    assert due.alert.title == "While quiet hours were on: 3 stories"
    assert bundle_catch_up(w.store, w.outbox, utc(2026, 11, 25, 6, 1)) == []
    # The stories still count as alerted: later coverage is a follow-up, not a second alert.
    plan = w.route(view("n1", 8), utc(2026, 11, 25, 9), new_source=SourceRef("blog", "https://b.test/n1"))
    assert plan.decisions[0].action is Action.FOLLOWUP


def test_few_held_alerts_are_released_one_by_one(world) -> None:
    from bot.routing.catchup import bundle_catch_up

    w = world(quiet_settings())
    w.route(view("a", 6), utc(2026, 11, 24, 23, 0))
    w.route(view("b", 6), utc(2026, 11, 24, 23, 5))
    assert bundle_catch_up(w.store, w.outbox, utc(2026, 11, 25, 6, 0)) == []
    assert [d.story_id for d in w.outbox.due(utc(2026, 11, 25, 6, 0))] == ["a", "b"]


def test_over_cap_a_queued_lower_ranked_alert_gives_its_place(world) -> None:
    """A batch after downtime: the cap keeps the most important stories, not the first to arrive."""
    s = make_settings([{"name": "news", "console": True, "max_per_hour": 2, "digest": {"schedule": "0 17 * * *"}}])
    w = world(s)
    t0 = utc(2026, 11, 24, 14, 5)
    for sid, imp in [("a", 6), ("b", 7), ("c", 8), ("d", 5.5)]:
        w.route(view(sid, imp), t0)
    alerts = [r.story_id for r in w.rows() if r.kind == AlertKind.ALERT.value]
    assert sorted(alerts) == ["b", "c"]
    with w.store.begin() as conn:
        decided = {r.story_id: (r.action, r.reason) for r in conn.execute(t.decisions.select())}
    assert decided["a"] == ("digest", "over_cap") and decided["d"] == ("digest", "over_cap")
    [notice] = [r for r in w.rows() if r.kind == AlertKind.NOTICE.value]
    assert alert_from_dict(notice.payload).text.startswith("2 more stories in the 17:00 digest")
    # Once posted, an alert is never taken back.
    for r in w.rows():
        w.outbox.mark_sent(r.id, "m", t0)
    assert w.route(view("e", 9.5 - 1), t0 + timedelta(minutes=1)).decisions[0].action is Action.DIGEST


def test_digest_slots_and_day_caps_follow_dst() -> None:
    # 09:00 Berlin is 08:00Z before the spring change and 07:00Z after it.
    assert next_fire("0 9 * * *", BERLIN, utc(2026, 3, 28, 9)) == utc(2026, 3, 29, 7)
    assert next_fire("0 9 * * *", BERLIN, utc(2026, 3, 27, 9)) == utc(2026, 3, 28, 8)
    # The spring-forward day has 23 hours, the fall-back day 25.
    s = quiet_settings(max_per_day=5)
    rules = s.rules(s.channels[0])
    [day] = cap_windows(rules, BERLIN, utc(2026, 3, 29, 12))
    assert day.end - day.start == timedelta(hours=23)
    [day] = cap_windows(rules, BERLIN, utc(2026, 10, 25, 12))
    assert day.end - day.start == timedelta(hours=25)


def test_caps_in_one_batch_keep_the_top_stories(world) -> None:
    """The pipeline plans a whole batch in one transaction: counts must see the batch's own alerts."""
    s = make_settings([{"name": "news", "console": True, "max_per_hour": 3, "max_per_day": 4,
                        "digest": {"schedule": "0 17 * * *"}}])
    w = world(s)
    t0 = utc(2026, 11, 24, 14, 5)
    batch = [view(f"b{i}", imp) for i, imp in enumerate([6, 8, 5.5, 7, 6.5, 8.5, 5])]
    w.route_batch(batch, t0)
    alerts = sorted(r.story_id for r in w.rows() if r.kind == AlertKind.ALERT.value)
    assert alerts == ["b1", "b3", "b5"]  # 8, 7 and 8.5: the top three, whatever the arrival order
    [notice] = [r for r in w.rows() if r.kind == AlertKind.NOTICE.value]
    assert sorted(i.story_id for i in alert_from_dict(notice.payload).items) == ["b0", "b2", "b4", "b6"]
    # Next hour, same day: one more fits the daily cap of 4, then the day is full.
    plans = w.route_batch([view("c0", 6), view("c1", 6)], t0 + timedelta(hours=1))
    assert [p.decisions[0].action for p in plans] == [Action.ALERT, Action.DIGEST]
    assert plans[1].decisions[0].detail.startswith("max_per_day 4 reached (4 alerts this day)")


def test_a_bundled_catch_up_does_not_use_up_the_daily_cap(world) -> None:
    from bot.routing.catchup import bundle_catch_up

    w = world(quiet_settings(max_per_day=2))
    after_midnight = utc(2026, 11, 25, 1, 0)  # 02:00 Berlin: the same local day as the morning
    for i in range(3):
        w.route(view(f"n{i}", 7), after_midnight + timedelta(minutes=i))
    assert len(bundle_catch_up(w.store, w.outbox, utc(2026, 11, 25, 6, 0))) == 1
    morning = [w.route(view(f"m{i}", 7), utc(2026, 11, 25, 8, i)).decisions[0].action for i in range(3)]
    assert morning == [Action.ALERT, Action.ALERT, Action.DIGEST]


def test_a_busy_night_catch_up_keeps_the_top_stories_and_spills_the_rest(world) -> None:
    from bot.routing.catchup import bundle_catch_up
    from bot.routing.digest import build_digest

    s = quiet_settings(digest={"schedule": "0 9 * * *"})
    w = world(s)
    night = utc(2026, 11, 24, 23, 0)
    for i, imp in enumerate([6, 8, 7, 6.5, 7.5]):
        w.route(view(f"n{i}", imp), night + timedelta(minutes=i))
    w.route(view("n0", 6), night + timedelta(minutes=9), new_source=SourceRef("blog", "https://b.test/n0"))
    assert len(bundle_catch_up(w.store, w.outbox, utc(2026, 11, 25, 6, 0), max_items=3)) == 1
    [due] = w.outbox.due(utc(2026, 11, 25, 6, 0))  # the follow-up of a spilled story is gone too
    assert [i.story_id for i in due.alert.items] == ["n1", "n4", "n2"]
    assert due.alert.title == "While quiet hours were on: 3 stories (+2 in the next digest)"
    with w.store.begin() as conn:
        digest = build_digest(conn, s, "news", s.rules(s.channels[0]), utc(2026, 11, 25, 8, 0))
    assert digest is not None and [i.story_id for i in digest.items] == ["n3", "n0"]


def test_next_digest_slot_in_the_last_second_before_it() -> None:
    """APScheduler rounds its start up to a whole second: asked at 16:59:59.5 (plus the second the
    'strictly after' added), the next 17:00 digest was tomorrow's, and an over-cap notice sent then
    named the wrong day's digest."""
    assert next_fire("0 17 * * *", BERLIN, utc(2026, 11, 24, 15, 59, 59) + timedelta(milliseconds=500)) \
        == utc(2026, 11, 24, 16)
    assert next_fire("0 17 * * *", BERLIN, utc(2026, 11, 24, 16)) == utc(2026, 11, 25, 16)  # strictly after
    assert next_fire("0 17 * * *", BERLIN, utc(2026, 11, 24, 16) + timedelta(milliseconds=1)) == utc(2026, 11, 25, 16)
