"""Feed dates → aware UTC datetimes.

RSS uses RFC 822 (``Tue, 24 Nov 2026 10:00:00 GMT``), Atom and JSON Feed RFC 3339.
The stdlib handles both quickly; anything else goes to feedparser's tolerant date
parser (dozens of real-world variants), which is slow but rarely needed.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from feedparser.datetimes import _parse_date as _feedparser_date

__all__ = ["parse_date", "retry_after"]


def parse_date(value: str | None) -> datetime | None:
    """Parse a feed date; naive values are taken as UTC; ``None`` if unreadable."""
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    dt: datetime | None = None
    if value.isdigit() and len(value) in (10, 13):  # Unix time in s or ms (feedparser reads it as 2017-11-20)
        return datetime.fromtimestamp(int(value) / (1000 if len(value) == 13 else 1), UTC)
    if value[:1].isdigit():
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            dt = None
    if dt is None:
        try:
            dt = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            dt = None
    if dt is None:
        st = _feedparser_date(value)
        if st is None:
            return None
        try:
            return datetime.fromtimestamp(calendar.timegm(st), UTC)
        except (OverflowError, ValueError, OSError):
            return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds from ``now``: delta-seconds or an HTTP date; ``None`` if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "1e400" is inf, and "nan" is no delay either: unreadable
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
