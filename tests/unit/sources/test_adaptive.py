"""Adaptive intervals on simulated publishing histories, and the server's freshness hints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.settings import FetchSettings, SourceSettings
from bot.sources.adaptive import (
    CacheHints,
    bounds_for,
    cache_hints,
    next_interval,
    next_poll_at,
    observed_gap,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SRC = SourceSettings(name="s", url="https://s.example/feed", every="5m")
BOUNDS = bounds_for(SRC, FetchSettings())  # 5m .. 6h
NONE = CacheHints()


def history(every: timedelta, n: int, quiet: timedelta = timedelta(0)) -> list[datetime]:
    return [NOW - quiet - every * i for i in range(n)]


def test_twice_a_week_is_not_polled_every_five_minutes() -> None:
    pubs = history(timedelta(days=3.5), 8)
    assert next_interval(pubs, NONE, BOUNDS, NOW) == timedelta(hours=6)  # the upper bound


def test_busy_source_is_polled_at_its_configured_rate() -> None:
    pubs = history(timedelta(minutes=3), 50)
    assert next_interval(pubs, NONE, BOUNDS, NOW) == timedelta(minutes=5)  # never more often than `every`
    fast = bounds_for(SRC.model_copy(update={"min_every": timedelta(minutes=1)}), FetchSettings())
    assert timedelta(minutes=1) < next_interval(pubs, NONE, fast, NOW) < timedelta(minutes=2)  # min_every: faster


def test_hourly_source_polls_twice_an_hour_and_slows_when_it_goes_quiet() -> None:
    hourly = history(timedelta(hours=1), 24)
    assert abs(next_interval(hourly, NONE, BOUNDS, NOW) - timedelta(minutes=30)) < timedelta(minutes=2)
    quiet = history(timedelta(hours=1), 24, quiet=timedelta(days=3))
    assert next_interval(quiet, NONE, BOUNDS, NOW) > timedelta(hours=1)


def test_simulated_week_costs_far_fewer_polls_for_a_slow_source() -> None:
    """Replay a week: a source publishing Mon and Thu, polled at the adaptive interval."""
    pubs_all = [NOW - timedelta(days=d) for d in (0, 3.5, 7, 10.5, 14, 17.5)]
    t, polls = NOW, 0
    end = NOW + timedelta(days=7)
    while t < end:
        seen = [p for p in pubs_all if p <= t]
        t += next_interval(seen, NONE, BOUNDS, t)
        polls += 1
    assert polls <= 7 * 4 + 1  # at most every 6 hours, vs 2016 polls at a fixed 5 minutes


def test_a_batch_sharing_one_instant_is_one_publication() -> None:
    """An undated feed: its first poll stored 50 items with one fetch time. Read as 50
    publications, a feed that never changed again was polled every 5 minutes for two weeks."""
    batch = [NOW - timedelta(hours=3)] * 50
    assert next_interval(batch, NONE, BOUNDS, NOW) == timedelta(hours=1, minutes=30)  # 3 h since, halved
    assert next_interval(batch, NONE, BOUNDS, NOW + timedelta(days=1)) == timedelta(hours=6)
    grown = [*batch, NOW - timedelta(hours=2), NOW - timedelta(hours=1)]  # then one an hour
    assert next_interval(grown, NONE, BOUNDS, NOW) == timedelta(minutes=30)


def test_no_history_uses_every() -> None:
    assert observed_gap([], NOW) is None
    assert next_interval([], NONE, BOUNDS, NOW) == timedelta(minutes=5)


def test_cache_control_expires_and_ttl() -> None:
    busy = history(timedelta(minutes=1), 50)
    h = cache_hints({"Cache-Control": "public, max-age=1800"})
    assert h.max_age == 1800 and next_interval(busy, h, BOUNDS, NOW) == timedelta(minutes=30)
    h = cache_hints({"cache-control": "max-age=600, s-maxage=900", "Age": "300"})
    assert h.max_age == 600  # s-maxage is for shared caches; Age is subtracted
    h = cache_hints({"Expires": "Tue, 24 Nov 2026 13:00:00 GMT", "Date": "Tue, 24 Nov 2026 12:00:00 GMT"})
    assert h.expires_in == 3600 and next_interval(busy, h, BOUNDS, NOW) == timedelta(hours=1)
    h = cache_hints({}, ttl_minutes=120)
    assert next_interval(busy, h, BOUNDS, NOW) == timedelta(hours=2)
    h = cache_hints({"Cache-Control": "no-cache", "Expires": "0"}, ttl_minutes=None)
    assert h.fresh_for is None and next_interval(busy, h, BOUNDS, NOW) == timedelta(minutes=5)
    h = cache_hints({"Cache-Control": "max-age=31536000"})  # a year: capped at max_every
    assert next_interval(busy, h, BOUNDS, NOW) == timedelta(hours=6)
    h = cache_hints({"Expires": "garbage"})
    assert h.expires_in == 0.0


def test_push_and_retry_after() -> None:
    busy = history(timedelta(minutes=1), 50)
    assert next_interval(busy, NONE, BOUNDS, NOW, pushed=True) == timedelta(hours=6)
    later = NOW + timedelta(hours=2)
    assert next_poll_at(busy, NONE, BOUNDS, NOW, not_before=later) == later


def test_bounds_defaults_and_overrides() -> None:
    b = bounds_for(SourceSettings(name="x", url="https://x.example/", every="15m"), FetchSettings(max_every="2h"))
    assert (b.min_every, b.max_every) == (timedelta(minutes=15), timedelta(hours=2))
    b = bounds_for(SourceSettings(name="x", url="https://x.example/", every="1d"), FetchSettings())
    assert b.max_every == timedelta(days=1)  # never below the configured every
