"""Adaptive polling: poll each source about as often as it publishes, and no more than it allows.

A source that publishes twice a week is not polled every five minutes, and one that
publishes every ten minutes is not left for an hour. Pure functions, no I/O:

* :func:`observed_gap` estimates the typical time between publications from the
  source's recent history (items over the look-back window, counting the quiet time
  since the last one, so a source that went silent slows down on its own);
* :func:`cache_hints` reads ``Cache-Control: max-age`` (``s-maxage`` too), ``Expires``
  (against the server's ``Date``) and the RSS ``<ttl>`` (minutes);
* :func:`next_interval` polls twice per expected publication, never sooner than the
  server's freshness lifetime, clamped to ``[min_every, max_every]`` — ``min_every``
  defaults to the source's ``every`` (adaptive polling never polls *more* often than
  configured unless asked) and ``max_every`` to ``fetch.max_every``. A freshness
  lifetime longer than ``max_every`` is capped there: a misconfigured ``max-age`` of a
  year must not silence a source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from bot.settings import FetchSettings, SourceSettings

__all__ = ["Bounds", "CacheHints", "bounds_for", "cache_hints", "next_interval", "next_poll_at", "observed_gap"]

LOOKBACK = timedelta(days=14)
MAX_ITEMS = 50
_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)", re.I)


@dataclass(frozen=True, slots=True)
class CacheHints:
    """What the server (headers) and the feed (``<ttl>``) say about freshness, in seconds."""

    max_age: float | None = None
    expires_in: float | None = None
    ttl: float | None = None
    no_cache: bool = False

    @property
    def fresh_for(self) -> float | None:
        """The longest of the stated lifetimes (each is a promise nothing changes before it)."""
        values = [v for v in (self.max_age, self.expires_in, self.ttl) if v is not None and v > 0]
        return max(values) if values else None


@dataclass(frozen=True, slots=True)
class Bounds:
    every: timedelta  # the nominal interval: used without history
    min_every: timedelta
    max_every: timedelta


def bounds_for(source: SourceSettings, fetch: FetchSettings) -> Bounds:
    lo = source.min_every or source.every
    hi = source.max_every or max(fetch.max_every, source.every)
    return Bounds(every=source.every, min_every=min(lo, hi), max_every=max(lo, hi))


def cache_hints(headers: Mapping[str, str], ttl_minutes: float | None = None,
                now: datetime | None = None) -> CacheHints:
    """Parse freshness headers (case-insensitive keys) and the feed's ``<ttl>``."""
    h = {k.lower(): v for k, v in headers.items()}
    cc = h.get("cache-control", "")
    no_cache = bool(re.search(r"(?:^|,)\s*(no-cache|no-store)\b", cc, re.I))
    max_age: float | None = None
    ages = {m.group(1).lower(): float(m.group(2)) for m in _MAX_AGE.finditer(cc)}
    if ages:
        max_age = ages.get("s-maxage", ages.get("max-age"))
        if "age" in h and h["age"].strip().isdigit() and max_age is not None:
            max_age = max(0.0, max_age - float(h["age"]))
    expires_in: float | None = None
    if "expires" in h and max_age is None:  # max-age wins over Expires (RFC 9111 §5.3)
        try:
            exp = parsedate_to_datetime(h["expires"])
            base = parsedate_to_datetime(h["date"]) if "date" in h else (now or datetime.now(UTC))
            if exp.tzinfo is None:
                exp = exp.replace(tzinfo=UTC)
            if base.tzinfo is None:
                base = base.replace(tzinfo=UTC)
            expires_in = max(0.0, (exp - base).total_seconds())
        except (TypeError, ValueError, IndexError):
            expires_in = 0.0  # an invalid Expires means "already expired"
    ttl = float(ttl_minutes) * 60 if ttl_minutes is not None and ttl_minutes > 0 else None
    if no_cache:
        max_age, expires_in = None, None
    return CacheHints(max_age=max_age, expires_in=expires_in, ttl=ttl, no_cache=no_cache)


def observed_gap(published: Sequence[datetime], now: datetime, lookback: timedelta = LOOKBACK) -> timedelta | None:
    """Typical time between publications, or ``None`` without enough history.

    Items in the look-back window (at most the newest :data:`MAX_ITEMS`): the span from
    the oldest of them to *now* divided by their number. With a single item in the
    window, the gap is at least the time since it appeared.

    Items sharing one instant count once: an undated feed's first poll stores 50 items
    with one fetch time (and some generators date every item with the build time), which
    read as 50 publications in a moment — such a feed that then never changed was polled
    at its ``every`` for the whole two-week window instead of slowing to ``max_every``.
    """
    recent = sorted({p for p in published if now - lookback <= p <= now + timedelta(minutes=5)}, reverse=True)
    recent = recent[:MAX_ITEMS]
    if not recent:
        older = [p for p in published if p < now - lookback]
        return lookback if older else None  # known, but quiet for the whole window
    span = max(now - recent[-1], timedelta(minutes=1))
    if len(recent) == 1:
        return max(span, timedelta(hours=1))
    return span / len(recent)


def next_interval(published: Sequence[datetime], hints: CacheHints, bounds: Bounds, now: datetime,
                  *, pushed: bool = False) -> timedelta:
    """How long to wait before the next poll.

    ``pushed``: a live WebSub subscription delivers new entries; polling is only the
    safety net, at ``max_every``.
    """
    if pushed:
        return bounds.max_every
    gap = observed_gap(published, now)
    interval = bounds.every if gap is None else gap / 2
    interval = min(max(interval, bounds.min_every), bounds.max_every)
    fresh = hints.fresh_for
    if fresh is not None:
        interval = max(interval, min(timedelta(seconds=fresh), bounds.max_every))
    return interval


def next_poll_at(published: Sequence[datetime], hints: CacheHints, bounds: Bounds, now: datetime,
                 *, pushed: bool = False, not_before: datetime | None = None) -> datetime:
    """``now + next_interval(...)``, but never before ``not_before`` (e.g. a ``Retry-After``)."""
    at = now + next_interval(published, hints, bounds, now, pushed=pushed)
    return max(at, not_before) if not_before is not None else at
