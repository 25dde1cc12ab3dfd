"""Jinja2 filters for the web view: times in UTC and "12 min ago", numbers, percentages."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import jinja2

from bot.store.schema import as_utc

__all__ = ["FILTERS", "ago", "dt", "safe_url"]


def _aware(value: datetime | str | None) -> datetime | None:
    """:func:`~bot.store.schema.as_utc`, and None for a string that is no time (a template shows nothing)."""
    try:
        return as_utc(value)
    except ValueError:
        return None


def dt(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    v = _aware(value)
    return v.astimezone(UTC).strftime(fmt) if v else "—"


def span(seconds: float) -> str:
    s = abs(int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400 * 2:
        h, m = s // 3600, s % 3600 // 60
        return f"{h} h {m} min" if m and h < 10 else f"{h} h"
    return f"{s // 86400} d"


@jinja2.pass_context
def ago(ctx: Any, value: datetime | str | None) -> str:
    """``12 min ago`` / ``in 4 min`` relative to the page's ``now``."""
    v = _aware(value)
    now = ctx.get("now")
    if v is None or not isinstance(now, datetime):
        return "—"
    delta = (now - v).total_seconds()
    return f"{span(delta)} ago" if delta >= 0 else f"in {span(delta)}"


def safe_url(value: str | None) -> str:
    """Only http(s) links from feeds reach an ``href`` (no ``javascript:`` or ``data:``)."""
    v = (value or "").strip()
    return v if v.lower().startswith(("https://", "http://")) else ""


def pct(value: float | None) -> str:
    return "—" if value is None else f"{math.floor(value * 100 + 0.5)}%"  # half up, as tuning.js


def num(value: float | None, digits: int = 1) -> str:
    """Half up, as the alerts' badge (:func:`bot.models.out_of_ten`) and :func:`pct`: a format
    spec rounds half to even on the binary value, so 6.25 showed 6.2 and 6.75 6.8."""
    if value is None:
        return "—"
    q = Decimal(1).scaleb(-digits)
    return f"{Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP)}"


FILTERS: dict[str, Callable[..., str]] = {"dt": dt, "ago": ago, "pct": pct, "num": num, "safe_url": safe_url}
