"""Source health notices: once when failing long enough, once on recovery, to the right channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import DeliveryStatus, FetchState
from bot.outbox import alert_from_dict
from bot.routing.health import audience, run_health
from bot.settings import settings_from_mapping
from tests.unit.routing.routing_helpers import make_settings

T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)


def notices(w) -> list[tuple[str, str, str]]:
    return [(r.channel, r.key.split(":")[1], alert_from_dict(r.payload).text) for r in w.rows()]


def test_failing_source_is_reported_once_then_recovery_once(world) -> None:
    s = make_settings([{"name": "wire-only", "console": True, "sources": ["wire"]},
                       {"name": "blog-only", "console": True, "sources": ["blog"]},
                       {"name": "everything", "console": True}], source_alert_after="1h")
    w = world(s)
    w.store.save_fetch_state(FetchState("wire", "http://127.0.0.1:9/wire.xml", failures=3,
                                        last_error="wire: HTTP 503 Service Unavailable", last_ok_at=T0))
    assert run_health(s, w.store, w.outbox, T0 + timedelta(minutes=59)) == []  # not long enough yet
    keys = run_health(s, w.store, w.outbox, T0 + timedelta(minutes=61))
    assert sorted(k.split(":")[3] for k in keys) == ["everything", "wire-only"]
    assert run_health(s, w.store, w.outbox, T0 + timedelta(hours=5)) == []  # told once
    [(_, kind, text), _] = notices(w)
    assert kind == "down" and "wire is failing for 1h 01m (wire: HTTP 503 Service Unavailable)" in text

    back = T0 + timedelta(hours=6)
    w.store.save_fetch_state(FetchState("wire", "http://127.0.0.1:9/wire.xml", failures=0, last_ok_at=back))
    up = run_health(s, w.store, w.outbox, back + timedelta(minutes=1))
    assert len(up) == 2 and run_health(s, w.store, w.outbox, back + timedelta(minutes=2)) == []
    assert notices(w)[-1][2] == "Source wire is working again after 6h."

    # A new outage is a new episode: told again.
    w.store.save_fetch_state(FetchState("wire", "http://127.0.0.1:9/wire.xml", failures=1, last_error="x",
                                        last_ok_at=back))
    assert len(run_health(s, w.store, w.outbox, back + timedelta(hours=2))) == 2


def test_paused_source_is_reported_at_once_and_secrets_are_redacted(world) -> None:
    s = make_settings([{"name": "ops", "console": True, "sources": ["wire"]},
                       {"name": "news", "console": True}], notice_channels=["ops"])
    w = world(s)
    w.store.save_fetch_state(FetchState("blog", "http://127.0.0.1:9/blog.xml", failures=10, paused=True,
                                        pause_reason="HTTP 401 for http://x.test/feed?token=abc123"))
    [key] = run_health(s, w.store, w.outbox, T0)
    assert key.startswith("health:down:blog:ops:")  # notice_channels set: only ops (news has no sources list)
    text = notices(w)[0][2]
    assert "paused" in text and "abc123" not in text and "[redacted]" in text


def test_notices_wait_for_quiet_hours_and_can_be_disabled(world) -> None:
    s = make_settings([{"name": "news", "console": True, "quiet_hours": "00:00-08:00"}], source_alert_after="30m")
    w = world(s)
    w.store.save_fetch_state(FetchState("wire", "u", failures=2, last_error="e", last_ok_at=T0 - timedelta(hours=8)))
    run_health(s, w.store, w.outbox, T0 - timedelta(hours=5))  # 05:00 UTC
    [row] = w.rows()
    assert row.status == DeliveryStatus.HELD.value
    assert row.next_try_at == datetime(2026, 11, 24, 8, tzinfo=UTC)
    off = make_settings([{"name": "news", "console": True}], source_alert_after=None)
    assert run_health(off, w.store, w.outbox, T0) == []


def test_audience_rules() -> None:
    s = make_settings([{"name": "a", "console": True, "sources": ["wire"]},
                       {"name": "b", "console": True, "exclude_sources": ["wire"]},
                       {"name": "c", "console": True}])
    assert audience(s, "wire") == ["a", "c"]
    assert audience(s, "blog") == ["b", "c"]


def test_recovery_notices_for_names_with_colons(world) -> None:
    """Source and channel names may hold ":" ("HN: front page", "ops:feeds"), as the notice keys
    that join them do: the recovery went to a channel named after a piece of the key, and a source
    named "HN" read the outage keys of "HN: front page" as its own."""
    s = settings_from_mapping({
        "sources": [{"name": "HN", "url": "http://127.0.0.1:9/hn.xml"},
                    {"name": "HN: front page", "url": "http://127.0.0.1:9/front.xml"}],
        "channels": [{"name": "ops:feeds", "console": True}], "source_alert_after": "1h"})
    w = world(s)
    w.store.save_fetch_state(FetchState("HN: front page", "http://127.0.0.1:9/front.xml", failures=3,
                                        last_error="HTTP 503", last_ok_at=T0))
    w.store.save_fetch_state(FetchState("HN", "http://127.0.0.1:9/hn.xml", failures=0, last_ok_at=T0))
    [down] = run_health(s, w.store, w.outbox, T0 + timedelta(hours=2))
    assert down.startswith("health:down:HN: front page:ops:feeds:")
    assert run_health(s, w.store, w.outbox, T0 + timedelta(hours=3)) == []  # "HN" is up: none of its notices
    back = T0 + timedelta(hours=4)
    w.store.save_fetch_state(FetchState("HN: front page", "http://127.0.0.1:9/front.xml", failures=0, last_ok_at=back))
    [up] = run_health(s, w.store, w.outbox, back + timedelta(minutes=1))
    assert up.startswith("health:up:HN: front page:ops:feeds:")
    assert [(r.channel, alert_from_dict(r.payload).text) for r in w.rows()][-1] == (
        "ops:feeds", "Source HN: front page is working again after 4h.")


def _article(w, source: str, guid: str, at: datetime) -> None:
    from bot.models import Article

    w.store.add_articles([Article(source=source, guid=guid, url=f"https://x.test/{guid}",
                                  canonical_url=f"https://x.test/{guid}", title=f"Item {guid}", text="body",
                                  published_at=at, fetched_at=at, content_hash=guid)])


def test_a_quiet_source_is_reported_once_then_once_when_it_publishes_again(world) -> None:
    """A feed that still answers 200 but has published nothing for weeks (moved, abandoned, a CMS
    stuck) got no notice: it showed only in ``/signals feeds`` and the web Sources page, so the
    channels relying on it did not learn their stories from it had stopped."""
    s = make_settings([{"name": "wire-only", "console": True, "sources": ["wire"]},
                       {"name": "blog-only", "console": True, "sources": ["blog"]}], source_quiet_after="14d")
    w = world(s)
    _article(w, "wire", "w1", T0)
    _article(w, "blog", "b1", T0 + timedelta(days=25))
    for day in (1, 10, 14, 15, 20, 30):  # polled fine all along
        now = T0 + timedelta(days=day)
        w.store.save_fetch_state(FetchState("wire", "http://127.0.0.1:9/wire.xml", last_ok_at=now))
        w.store.save_fetch_state(FetchState("blog", "http://127.0.0.1:9/blog.xml", last_ok_at=now))
        keys = run_health(s, w.store, w.outbox, now + timedelta(minutes=1))
        assert keys == ([f"health:quiet:wire:wire-only:{T0.isoformat()}"] if day == 14 else []), (day, keys)
    [(channel, kind, text)] = notices(w)
    assert (channel, kind) == ("wire-only", "quiet")
    assert text == ("Source wire has published nothing new for 14 days (newest article 2026-11-24) though its "
                    "feed still answers. Stories from it are missing until it publishes again.")

    back = T0 + timedelta(days=31)
    _article(w, "wire", "w2", back)
    keys = run_health(s, w.store, w.outbox, back + timedelta(minutes=1))
    assert keys == [f"health:active:wire:wire-only:{T0.isoformat()}"]
    assert run_health(s, w.store, w.outbox, back + timedelta(hours=1)) == []
    assert notices(w)[-1][2] == "Source wire is publishing again after 31 days without a new article."


def test_quiet_notices_can_be_disabled_and_skip_failing_or_empty_sources(world) -> None:
    s = make_settings([{"name": "news", "console": True}], source_quiet_after=None, source_alert_after=None)
    w = world(s)
    _article(w, "wire", "w1", T0)
    w.store.save_fetch_state(FetchState("wire", "http://127.0.0.1:9/wire.xml", last_ok_at=T0 + timedelta(days=20)))
    assert run_health(s, w.store, w.outbox, T0 + timedelta(days=20)) == []
    s = make_settings([{"name": "news", "console": True}], source_alert_after="100d")
    w = world(s)
    _article(w, "wire", "w1", T0)
    w.store.save_fetch_state(FetchState("wire", "http://127.0.0.1:9/wire.xml", failures=2, last_error="x",
                                        last_ok_at=T0 + timedelta(days=15)))
    w.store.save_fetch_state(FetchState("blog", "http://127.0.0.1:9/blog.xml", last_ok_at=T0 + timedelta(days=20)))
    assert run_health(s, w.store, w.outbox, T0 + timedelta(days=20)) == []  # failing: its own notice; blog: no article
