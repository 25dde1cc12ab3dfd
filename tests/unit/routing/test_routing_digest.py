"""Digest contents and ordering, digest_only channels, the scheduled job's idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import AlertKind
from bot.outbox import alert_from_dict
from bot.routing import Action, Reason
from bot.routing.digest import build_digest, run_digests
from tests.unit.routing.routing_helpers import make_settings, view


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def digests(w) -> list:
    return [r for r in w.rows() if r.kind == AlertKind.DIGEST.value]


def test_digest_lists_unalerted_stories_by_importance_then_recency(world) -> None:
    s = make_settings([{"name": "news", "console": True, "topics": ["ai"], "min_importance": 6,
                        "digest": {"schedule": "0 9 * * *", "min_importance": 3, "max_items": 3}}])
    w = world(s)
    t0 = utc(2026, 11, 23, 10)
    w.route(view("alerted", 8), t0)  # alerted: never in the digest
    w.route(view("low", 2), t0)  # below the digest's min_importance
    w.route(view("old4", 4), t0 + timedelta(hours=1))
    w.route(view("new4", 4), t0 + timedelta(hours=2))  # same importance, more recent: first
    w.route(view("five", 5), t0 + timedelta(hours=3))
    w.route(view("three", 3), t0 + timedelta(hours=4))  # fourth: cut by max_items
    w.route(view("chips", 5, topics=["chips"]), t0)  # not this channel's topic: not a candidate
    runs = run_digests(s, w.store, w.outbox, utc(2026, 11, 24, 9, 0, 30))
    assert [(r.channel, r.items) for r in runs] == [("news", 3)]
    [row] = digests(w)
    assert row.key == "digest:news:2026-11-24T09:00:00+00:00"
    alert = alert_from_dict(row.payload)
    assert [i.story_id for i in alert.items] == ["five", "new4", "old4"]
    assert alert.title == "Digest: 3 stories since Mon 09:00 (top 3 of 4)"
    assert alert.items[0].url == "https://x.test/five" and alert.items[0].summary == ["Summary of five."]
    assert alert.text and "Story five" not in alert.text  # an intro line: adapters list the items


def test_run_digests_is_idempotent_and_respects_grace_and_schedule(world) -> None:
    s = make_settings([{"name": "news", "console": True, "min_importance": 6, "timezone": "Europe/Berlin",
                        "digest": {"schedule": "0 9 * * MON-FRI"}}])
    w = world(s)
    w.route(view("a", 4), utc(2026, 11, 23, 12))
    assert run_digests(s, w.store, w.outbox, utc(2026, 11, 24, 7, 59)) == []  # 08:59 Berlin: not yet
    assert len(run_digests(s, w.store, w.outbox, utc(2026, 11, 24, 8, 0))) == 1  # 09:00 Berlin
    assert run_digests(s, w.store, w.outbox, utc(2026, 11, 24, 8, 1)) == []  # same slot: nothing more
    # The next digest lists only what came after the previous one.
    w.route(view("b", 4), utc(2026, 11, 24, 12))
    w.route(view("a", 4), utc(2026, 11, 24, 13))  # re-decided (new coverage): already listed, not again
    assert run_digests(s, w.store, w.outbox, utc(2026, 11, 25, 9)) == []  # 10:00 Berlin: outside grace
    [run] = run_digests(s, w.store, w.outbox, utc(2026, 11, 25, 8, 10))
    assert [i.story_id for i in alert_from_dict(digests(w)[-1].payload).items] == ["b"]
    assert run.slot == utc(2026, 11, 25, 8)
    # Saturday: no slot.
    w.route(view("c", 4), utc(2026, 11, 27, 12))
    assert run_digests(s, w.store, w.outbox, utc(2026, 11, 28, 8, 0)) == []


def test_empty_digest_is_not_sent(world) -> None:
    s = make_settings([{"name": "news", "console": True, "digest": {"schedule": "0 9 * * *"}}])
    w = world(s)
    assert run_digests(s, w.store, w.outbox, utc(2026, 11, 24, 9)) == []
    assert digests(w) == []


def test_digest_only_channel_gets_no_alerts_only_digests(world) -> None:
    s = make_settings([{"name": "brief", "console": True, "mode": "digest_only", "min_importance": 5},
                       {"name": "live", "console": True, "min_importance": 5}])
    w = world(s)
    plan = w.route(view("a", 7), utc(2026, 11, 24, 8))
    by = {d.channel: d for d in plan.decisions}
    assert (by["brief"].action, by["brief"].reason) == (Action.DIGEST, Reason.DIGEST_ONLY)
    assert by["live"].action is Action.ALERT
    assert [r.channel for r in w.rows()] == ["live"]
    # digest_only without a digest section uses the default schedule (09:00 on weekdays).
    runs = run_digests(s, w.store, w.outbox, utc(2026, 11, 24, 9))
    assert [(r.channel, r.items) for r in runs] == [("brief", 1)]


def test_over_cap_stories_land_in_the_next_digest(world) -> None:
    s = make_settings([{"name": "news", "console": True, "max_per_hour": 1, "min_importance": 5,
                        "digest": {"schedule": "0 17 * * *"}}])
    w = world(s)
    w.route(view("first", 6), utc(2026, 11, 24, 14, 1))
    [row] = w.rows()
    w.outbox.mark_sent(row.id, "m1", utc(2026, 11, 24, 14, 1))  # posted: it keeps its place
    w.route(view("second", 9.5), utc(2026, 11, 24, 14, 2))  # urgent: still alerted
    w.route(view("third", 7), utc(2026, 11, 24, 14, 3))
    with w.store.begin() as conn:
        alert = build_digest(conn, s, "news", s.rules(s.channels[0]), utc(2026, 11, 24, 17))
    assert alert is not None and [i.story_id for i in alert.items] == ["third"]


def test_a_story_is_listed_in_one_digest_only_however_long_it_keeps_being_updated(world) -> None:
    """Only the previous digest's stories were excluded: a story re-decided after each of two digests
    came back in the third."""
    s = make_settings([{"name": "news", "console": True, "min_importance": 6, "digest": {"schedule": "0 9 * * *"}}])
    w = world(s)
    w.route(view("long", 4), utc(2026, 11, 23, 12))
    listed = []
    for day in (24, 25, 26):
        w.route(view(f"new{day}", 4), utc(2026, 11, day, 8))
        assert len(run_digests(s, w.store, w.outbox, utc(2026, 11, day, 9))) == 1
        listed.append(sorted(i.story_id for i in alert_from_dict(digests(w)[-1].payload).items))
        w.route(view("long", 4), utc(2026, 11, day, 12))  # more coverage: decided again, after this digest
    assert listed == [["long", "new24"], ["new25"], ["new26"]]


def test_over_cap_stories_are_in_the_digest_the_notice_names_whatever_its_min_importance(world) -> None:
    """The digest's ``min_importance`` (meant for stories below the alert threshold) also dropped
    stories spilled over a cap: the notice said "2 more stories in the 17:00 digest", the digest
    listed neither and they were never posted anywhere."""
    s = make_settings([{"name": "news", "console": True, "max_per_hour": 1, "min_importance": 5,
                        "digest": {"schedule": "0 17 * * *", "min_importance": 8}}])
    w = world(s)
    t0 = utc(2026, 11, 24, 14, 1)
    for i, sid in enumerate(["first", "second", "third"]):
        w.route(view(sid, 6), t0 + timedelta(minutes=i))
    w.route(view("below", 4), t0)  # below the alert threshold and the digest's: not listed
    [notice] = [r for r in w.rows() if r.kind == AlertKind.NOTICE.value]
    assert alert_from_dict(notice.payload).text.startswith("2 more stories in the 17:00 digest")
    [run] = run_digests(s, w.store, w.outbox, utc(2026, 11, 24, 17))
    assert sorted(i.story_id for i in alert_from_dict(digests(w)[-1].payload).items) == ["second", "third"]
    assert run.items == 2


def test_a_story_routed_while_a_digest_is_built_is_in_the_next_one(pg_url: str) -> None:
    """Workers route and build digests at the same time (PostgreSQL). A batch decided at 08:59:58
    and committed after the 09:00 digest was built: that digest could not see it, and the next one
    started at 09:00:00, after the decision's time, so the story was in no digest at all."""
    from bot.store import Store
    from tests.unit.routing.routing_helpers import World

    s = make_settings([{"name": "news", "console": True, "min_importance": 6, "digest": {"schedule": "0 9 * * *"}}])
    store = Store.open(pg_url)
    try:
        w = World(store, s)
        w.route(view("early", 4), utc(2026, 11, 24, 8))
        late, decided = view("late", 4), utc(2026, 11, 24, 8, 59, 58)
        w.save(late, decided)
        with store.begin() as conn:  # the worker's routing transaction, still open at 09:00
            w.decide(conn, late, decided)
            [run] = run_digests(s, store, w.outbox, utc(2026, 11, 24, 9))
        assert run.items == 1 and [i.story_id for i in alert_from_dict(digests(w)[-1].payload).items] == ["early"]
        [run] = run_digests(s, store, w.outbox, utc(2026, 11, 25, 9))
        assert [i.story_id for i in alert_from_dict(digests(w)[-1].payload).items] == ["late"]
        assert run_digests(s, store, w.outbox, utc(2026, 11, 26, 9)) == []  # and only there
    finally:
        store.close()


def test_a_digest_at_a_wall_time_that_happens_twice_is_sent_once(world) -> None:
    """At 02:30 Berlin on the fall-back night (2026-10-25) the clocks show 02:30 twice, and the
    digest went out twice, an hour apart. The first occurrence counts, as for quiet hours."""
    from zoneinfo import ZoneInfo

    from bot.routing.schedule import next_fire

    berlin = ZoneInfo("Europe/Berlin")
    s = make_settings([{"name": "news", "console": True, "min_importance": 6, "timezone": "Europe/Berlin",
                        "digest": {"schedule": "30 2 * * *"}}])
    w = world(s)
    w.route(view("a", 4), utc(2026, 10, 24, 23))
    w.route(view("b", 4), utc(2026, 10, 25, 1))  # 02:00 CET, between the two 02:30s
    sent = [run.slot for minute in range(0, 180, 5)
            for run in run_digests(s, w.store, w.outbox, utc(2026, 10, 25, 0) + timedelta(minutes=minute))]
    assert sent == [utc(2026, 10, 25, 0, 30)]  # 02:30 CEST
    assert next_fire("30 2 * * *", berlin, utc(2026, 10, 25, 0, 31)) == utc(2026, 10, 26, 1, 30)
    assert len(run_digests(s, w.store, w.outbox, utc(2026, 10, 26, 1, 30))) == 1
    assert [i.story_id for i in alert_from_dict(digests(w)[-1].payload).items] == ["b"]


def test_slots_of_a_schedule_finer_than_an_hour_across_the_fall_back_night() -> None:
    """Stepping from a local time in the repeated hour, APScheduler went back to its first pass and
    cycled: ``fire_times`` listed 10,000 slots of one hour, out of order."""
    from zoneinfo import ZoneInfo

    from bot.routing.schedule import fire_times, latest_fire

    berlin = ZoneInfo("Europe/Berlin")
    slots = fire_times("*/20 * * * *", berlin, utc(2026, 10, 24, 23, 50), utc(2026, 10, 25, 2, 30))
    assert slots == [utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 0, 20), utc(2026, 10, 25, 0, 40),  # 02:xx CEST
                     utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 20)]  # 03:00 CET on: 02:xx CET came before
    assert latest_fire("*/20 * * * *", berlin, utc(2026, 10, 25, 1, 50), timedelta(minutes=30)) is None
