"""Feed dates → aware UTC datetimes.

RSS uses RFC 822 (``Tue, 24 Nov 2026 10:00:00 GMT``), Atom and JSON Feed RFC 3339.
The stdlib handles both quickly; anything else goes to feedparser's tolerant date
parser (dozens of real-world variants), which is slow but rarely needed.

RFC 822 names only the US zones (EST, CDT...); real feeds also write ``CET``, ``JST``,
``AEDT``... which the stdlib reads as UTC, hours off (a Tokyo article published at 09:00
looked nine hours newer than it is). :data:`ZONES` maps the abbreviations that mean one
offset only. Ambiguous ones are left as the stdlib reads them, documented in
``docs/sources.md``: ``IST`` (India +05:30, Ireland +01:00, Israel +02:00) and ``GST``
(Gulf, South Georgia) as UTC; ``CST`` as US Central and ``AST`` as Atlantic, never China or Arabia.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from feedparser.datetimes import _parse_date as _feedparser_date

__all__ = ["EARLIEST", "ZONES", "parse_date", "retry_after"]

# Abbreviation → offset in minutes, for the unambiguous ones the stdlib does not know.
ZONES: dict[str, int] = {
    "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120, "EEST": 180,
    "MSK": 180, "TRT": 180, "PKT": 300, "ICT": 420, "WIB": 420, "HKT": 480, "SGT": 480, "AWST": 480, "PHT": 480,
    "JST": 540, "KST": 540, "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
    "HST": -600, "AKST": -540, "AKDT": -480, "NST": -210, "NDT": -150, "BRT": -180, "ART": -180,
}
# "... 10:00:00 +05:30": .NET's ``zzz`` and hand-made feeds write the RFC 822 offset with a colon,
# which the stdlib cannot read: it dropped the offset and took the time as UTC (5 h 30 min off).
_COLON_OFFSET = re.compile(r"(?<=\s)([+-]\d{2}):(\d{2})$")
# "... 12:00:00 GMT+2", "UTC+02:00", "UTC+0530" (Windows and PHP tools, hand-made feeds): the
# stdlib and feedparser read the zone name and drop the offset, taking the time as UTC (2 h off;
# "2026-11-24 12:00:00 UTC+2" went to midnight). GMT+N here means N hours ahead of UTC (as
# people and these tools write it), not the inverted POSIX "Etc/GMT+N".
_NAMED_OFFSET = re.compile(r"(?<=[\d\s])\s*(?:GMT|UTC|UT)\s*([+-])(\d{1,2})(?::?(\d{2}))?(?:\s*\([^)]*\))?\s*$",
                           re.I)
# Placeholders, not dates: Go's zero time (Hugo's undated pages, "Mon, 01 Jan 0001 00:00:00 +0000",
# which the stdlib reads as 2001: a year under 100 is taken for a two-digit one) and the Unix epoch a
# null timestamp prints as. No feed entry is older than the formats (RSS 0.9 is from 1999).
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
_YEAR_BEFORE_1000 = re.compile(r"(?<![\d+.:-])0\d{3}(?!\d)")
_ZONE = re.compile(r"(?<=[\d\s])(" + "|".join(sorted(ZONES, key=len, reverse=True)) + r")(?:\s*\([^)]*\))?\s*$",
                   re.I)


def _numeric_zone(value: str) -> str:
    """``... 10:00:00 CET`` → ``... 10:00:00 +0100`` (only for the names in :data:`ZONES`)."""
    m = _ZONE.search(value)
    if m is None:
        return value
    minutes = ZONES[m.group(1).upper()]
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{value[:m.start()].rstrip()} {sign}{hours:02d}{mins:02d}"


def _named_offset(value: str) -> str:
    """``... 12:00:00 GMT+2`` → ``... 12:00:00 +0200`` (and ``UTC+02:00``, ``UTC-5``, ``GMT+5:30``)."""
    m = _NAMED_OFFSET.search(value)
    if m is None:
        return value
    return f"{value[:m.start()].rstrip()} {m.group(1)}{int(m.group(2)):02d}{m.group(3) or '00'}"


def parse_date(value: str | None) -> datetime | None:
    """Parse a feed date; naive values are taken as UTC; ``None`` if unreadable or a placeholder
    (before :data:`EARLIEST`: the entry is undated, as if it had no date)."""
    dt = _parse(value)
    return None if dt is None or dt < EARLIEST else dt


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    if not value or _YEAR_BEFORE_1000.search(value):
        return None
    dt: datetime | None = None
    if value.isdigit() and len(value) in (10, 13):  # Unix time in s or ms (feedparser reads it as 2017-11-20)
        return datetime.fromtimestamp(int(value) / (1000 if len(value) == 13 else 1), UTC)
    value = _named_offset(value)
    if (value[-1:].isalpha() and value[-1:] not in "zZ") or value.endswith(")"):
        value = _numeric_zone(value)
    if value[:1].isdigit():
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            dt = None
    if dt is None:
        try:
            dt = parsedate_to_datetime(_COLON_OFFSET.sub(r"\1\2", value))
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
