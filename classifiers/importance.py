"""Importance 0-10: a documented sum of readable contributions, not a black box.

    importance = 1.0 (base)
               + coverage   2.0·log2(outlets)           (2 outlets +2.0, 4 +4.0, capped at +4.5)
               + speed      up to +1.0 when several outlets covered it within the hour
               + sources    +0.6 per unit of the best source weight above 1 (-1.0 .. +1.5)
               + event      EVENT_WEIGHT[event] (acquisition +1.2, security incident +1.2, ...)
               + stake      amounts at stake: +0.4 ($1m) .. +2.0 ($50bn and more), log-scaled
                            ("$2.5-billion", "1.2 mln dlrs", "1.5 trillion yen": other currencies
                            at rough dollar rates, ``classifiers.text._RATE``)
               + watchlist  +1.5 when a watchlist name is in the title, +0.7 in the text
               + relevance  +1.0 × the best topic relevance (when topics are configured)
               - novelty    -2.5 × (1 - novelty): a rerun of a recent story matters less
               - age        -1.0 after 2 days, -2.0 after a week
    clipped to 0..10.

A single-outlet story with no notable event sits around 1-3; several outlets, a large deal
and a watched company are what it takes to reach 8+. The distribution on the shared data is
printed by ``signals eval importance``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from classifiers.text import largest_amount
from classifiers.types import Contribution, StoryContext

__all__ = ["EVENT_WEIGHT", "importance"]

EVENT_WEIGHT = {
    "acquisition": 1.2, "security_incident": 1.2, "funding": 0.8, "regulation": 0.8, "layoffs": 0.9,
    "earnings": 0.6, "legal": 0.6, "executive_change": 0.7, "product_launch": 0.5, "partnership": 0.4,
    "research": 0.4, "strategy": 0.3, "other": 0.0,
}


def _stake(amount: float) -> float:
    if amount < 1e6:
        return 0.0
    return min(2.0, 0.4 + 0.35 * math.log10(amount / 1e6))  # $1m .4, $1bn 1.45, $50bn 2.0


def importance(title: str, text: str, event: str, ctx: StoryContext, watchlist: Sequence[str],
               relevance: float | None, published_at: datetime | None, now: datetime | None = None,
               ) -> tuple[float, list[Contribution]]:
    c: list[Contribution] = [Contribution("base", 1.0)]
    n = max(1, ctx.n_sources)
    if n > 1:
        c.append(Contribution(f"coverage: {n} outlets", min(4.5, 2.0 * math.log2(n))))
        if ctx.first_seen and ctx.last_seen:
            hours = max((ctx.last_seen - ctx.first_seen).total_seconds() / 3600.0, 0.25)
            if hours <= 6:
                c.append(Contribution(f"speed: {n} outlets in {hours:.1f} h", min(1.0, (n - 1) / (hours * 3.0))))
    if ctx.source_weights:
        w = max(ctx.source_weights)
        if w != 1.0:
            c.append(Contribution(f"source weight {w:g}", max(-1.0, min(1.5, 0.6 * (w - 1.0)))))
    if EVENT_WEIGHT.get(event):
        c.append(Contribution(f"event: {event}", EVENT_WEIGHT[event]))
    amount, label = largest_amount(title + "\n" + text[:2500])
    if (s := _stake(amount)) > 0:
        c.append(Contribution(f"at stake: {label}", s))
    if watchlist:
        tl, xl = title.lower(), text[:4000].lower()
        in_title = [w for w in watchlist if w and _has(tl, w.lower())]
        if in_title:
            c.append(Contribution(f"watchlist: {in_title[0]} in title", 1.5))
        else:
            in_text = [w for w in watchlist if w and _has(xl, w.lower())]
            if in_text:
                c.append(Contribution(f"watchlist: {in_text[0]}", 0.7))
    if relevance is not None and relevance > 0:
        c.append(Contribution("relevance", 1.0 * relevance))
    if ctx.novelty < 1.0:
        c.append(Contribution("seen before (novelty)", -2.5 * (1.0 - max(0.0, ctx.novelty))))
    if published_at is not None:
        now = now or datetime.now(UTC)
        when = published_at if published_at.tzinfo else published_at.replace(tzinfo=UTC)
        age_h = (now - when).total_seconds() / 3600.0
        if age_h > 168:
            c.append(Contribution("older than a week", -2.0))
        elif age_h > 48:
            c.append(Contribution("older than 2 days", -1.0))
    total = max(0.0, min(10.0, sum(x.weight for x in c)))
    return total, sorted(c, key=lambda x: -abs(x.weight))


def _has(haystack: str, needle: str) -> bool:
    i = haystack.find(needle)
    while i >= 0:
        before = haystack[i - 1] if i else " "
        j = i + len(needle)
        after = haystack[j] if j < len(haystack) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        i = haystack.find(needle, i + 1)
    return False
