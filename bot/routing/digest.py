"""Digests: one message per channel and schedule slot listing the stories it did not get as alerts.

A story is a digest candidate for a channel when its latest decision there was
``digest`` (over a cap, or ``mode: digest_only``) or ``below_min_importance`` (it passed
every content rule but the alert threshold), its importance is at least the digest's
``min_importance`` (not asked of stories spilled over a cap: the channel was told they are
in this digest), it has no top-level alert in the channel and no earlier digest listed
it (any digest of the channel within the story window, not only the previous one). Candidates are ranked by importance, then recency, and cut at ``max_items``.

:func:`run_digests` is what the scheduler calls (every minute is fine): for each channel
whose cron slot fired within ``grace`` it enqueues one DIGEST delivery keyed
``digest:<channel>:<slot iso>``, so calling it again, or from two processes, never sends
a digest twice. Empty digests are not sent. A process's first call passes ``missed``: a
slot that passed while nothing ran (within ``missed``) is sent late, once, listing what it
would have listed at its time; later stories wait for the next slot.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, or_, select

from bot.models import Alert, AlertKind, DeliveryStatus, SourceRef
from bot.outbox.codec import alert_from_dict
from bot.outbox.queue import NewDelivery, Outbox
from bot.routing.policy import effective_digest
from bot.routing.rules import Action, Reason
from bot.routing.schedule import fire_times, format_local, latest_fire, zone_for
from bot.settings import ChannelRules, DigestSettings, Settings
from bot.store import Store
from bot.store import schema as t

__all__ = ["DigestRun", "build_digest", "digest_candidates", "last_digest", "listed_since", "run_digests"]

log = logging.getLogger(__name__)
DEFAULT_GRACE = timedelta(minutes=30)
MISSED_LOOKBACK = timedelta(days=8)  # on start: the latest slot this recent is sent if it never was
_LOOKBACK = timedelta(days=8)  # how far back the first digest of a channel looks, at most
# A routing transaction records its decisions at the time it started and commits later (a batch
# takes seconds; workers route while another builds digests): a digest built meanwhile cannot
# see them. So a digest looks this far back before the previous one, skipping what that one
# (or any digest within the story window) listed.
_SETTLE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class DigestRun:
    """One digest enqueued by :func:`run_digests`."""

    channel: str
    key: str
    slot: datetime
    items: int


@dataclass(frozen=True, slots=True)
class _Previous:
    created_at: datetime
    story_ids: frozenset[str]


def last_digest(conn: Connection, channel: str) -> _Previous | None:
    """The channel's latest scheduled digest: when it was built and which stories it listed."""
    d = t.deliveries
    row = conn.execute(select(d.c.created_at, d.c.payload).where(
        d.c.key >= f"digest:{channel}:", d.c.key < f"digest:{channel};", d.c.channel == channel,
        d.c.status != DeliveryStatus.FAILED.value)
        .order_by(d.c.created_at.desc(), d.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    items = alert_from_dict(row.payload).items
    return _Previous(row.created_at, frozenset(i.story_id for i in items))


def digest_candidates(conn: Connection, channel: str, since: datetime, until: datetime, min_importance: float,
                      exclude: frozenset[str] = frozenset()) -> list[Alert]:
    """Stories decided for ``channel`` in ``[since, until]`` that belong in its digest, best first."""
    dec, s, a, d = t.decisions, t.stories, t.articles, t.deliveries
    alerted = select(d.c.story_id).where(d.c.channel == channel, d.c.kind == AlertKind.ALERT.value,
                                         d.c.status != DeliveryStatus.FAILED.value)
    rows = conn.execute(
        select(s.c.id, s.c.title, s.c.importance, s.c.category, s.c.topics, s.c.scores, s.c.first_seen,
               a.c.url, a.c.source, a.c.published_at)
        .join(dec, and_(dec.c.story_id == s.c.id, dec.c.channel == channel))
        .join(a, a.c.id == s.c.representative_id, isouter=True)
        .where(dec.c.at >= since, dec.c.at <= until,
               or_(dec.c.reason == Reason.OVER_CAP.value,  # promised to this digest by the cap notice
                   and_(s.c.importance >= min_importance,
                        or_(dec.c.action == Action.DIGEST.value, dec.c.reason == Reason.BELOW_IMPORTANCE.value))),
               s.c.id.not_in(alerted))
        .order_by(s.c.importance.desc(), s.c.first_seen.desc(), s.c.id)).all()
    out: list[Alert] = []
    for r in rows:
        if r.id in exclude:
            continue
        scores = r.scores or {}
        out.append(Alert(
            kind=AlertKind.ALERT, channel=channel, story_id=r.id, title=r.title, url=r.url or "",
            importance=float(r.importance), category=r.category, topics=list(r.topics or []),
            summary=list(scores.get("summary") or [])[:1], tags=list(scores.get("tags") or []),
            sources=[SourceRef(r.source, r.url)] if r.source else [], published_at=r.published_at,
            relevance=dict(scores.get("relevance") or {})))
    return out


def listed_since(conn: Connection, channel: str, since: datetime) -> frozenset[str]:
    """Stories listed by the channel's digests built at or after ``since`` (failed ones aside)."""
    d = t.deliveries
    rows = conn.execute(select(d.c.payload).where(
        d.c.key >= f"digest:{channel}:", d.c.key < f"digest:{channel};", d.c.channel == channel,
        d.c.status != DeliveryStatus.FAILED.value, d.c.created_at >= since)).scalars()
    return frozenset(i.story_id for p in rows for i in alert_from_dict(p).items)


def _digest_since(conn: Connection, channel: str, digest: DigestSettings, rules: ChannelRules, settings: Settings,
                  slot: datetime) -> tuple[datetime, datetime, frozenset[str]]:
    """Since when the digest reports (its title), since when it looks, and the stories it skips."""
    prev = last_digest(conn, channel)
    if prev is not None:  # a story still updated days later must not come back: every digest it could be in
        reach = max(_LOOKBACK, settings.stories.window)
        listed = prev.story_ids | listed_since(conn, channel, prev.created_at - reach)
        return prev.created_at, prev.created_at - _SETTLE, listed
    tz = zone_for(rules, settings, digest)
    earlier = fire_times(digest.schedule, tz, slot - _LOOKBACK, slot - timedelta(seconds=1))
    start = earlier[-1] if earlier else slot - timedelta(days=1)
    return start, start, frozenset()


def build_digest(conn: Connection, settings: Settings, channel: str, rules: ChannelRules, now: datetime,
                 since: datetime | None = None, slot: datetime | None = None) -> Alert | None:
    """The digest message for ``channel`` as of ``now`` (None if it has no digest or nothing to list).

    ``since`` defaults to the channel's previous digest (less :data:`_SETTLE`), else the schedule's
    slot before ``slot``.
    """
    digest = effective_digest(rules)
    if digest is None:
        return None
    exclude: frozenset[str] = frozenset()
    start = since
    if since is None:
        since, start, exclude = _digest_since(conn, channel, digest, rules, settings, slot or now)
    items = digest_candidates(conn, channel, start, now, digest.min_importance, exclude)
    if not items:
        return None
    total = len(items)
    items = items[:digest.max_items]
    tz = zone_for(rules, settings, digest)
    n = len(items)
    title = f"Digest: {n} {'story' if n == 1 else 'stories'} since {format_local(since, tz, now)}"
    if total > n:
        title += f" (top {n} of {total})"
    # ``text`` is an intro line (adapters list ``items`` themselves).
    text = "Stories you did not get as alerts, most important first."
    return Alert(kind=AlertKind.DIGEST, channel=channel, story_id="", title=title, url="",
                 importance=max(i.importance for i in items), category="digest", text=text, items=items)


def run_digests(settings: Settings, store: Store, outbox: Outbox, now: datetime | None = None, *,
                grace: timedelta = DEFAULT_GRACE, missed: timedelta | None = None,
                rules_by_channel: Mapping[str, ChannelRules] | None = None) -> list[DigestRun]:
    """Enqueue one digest per channel whose schedule fired in the last ``grace`` (or, with
    ``missed``, whose latest slot in that span was never sent); idempotent."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    runs: list[DigestRun] = []
    for ch in settings.channels:
        rules = (rules_by_channel or {}).get(ch.name) or settings.rules(ch)
        digest = effective_digest(rules)
        if digest is None:
            continue
        tz = zone_for(rules, settings, digest)
        slot, until = latest_fire(digest.schedule, tz, now, grace), now
        if slot is None and missed is not None:  # due while nothing ran: as it would have been then
            slot = until = latest_fire(digest.schedule, tz, now, missed)
        if slot is None or until is None:
            continue
        key = f"digest:{ch.name}:{slot.isoformat()}"
        with store.begin() as conn:
            if outbox.has_key(conn, key):
                continue
            alert = build_digest(conn, settings, ch.name, rules, until, slot=slot)
            if alert is None:
                log.info("digest skipped: nothing to list", extra={"channel": ch.name, "slot": slot.isoformat()})
                continue
            # stamped with what it covers (until), so the next digest starts there, not at a late send
            outbox.enqueue(conn, [NewDelivery(key=key, alert=alert)], until)
        runs.append(DigestRun(ch.name, key, slot, len(alert.items)))
        log.info("digest queued", extra={"channel": ch.name, "slot": slot.isoformat(), "items": len(alert.items)})
    return runs
