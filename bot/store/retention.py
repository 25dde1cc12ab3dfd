"""Retention: ``signals db prune`` drops what no stage reads again, so the database stops growing.

The bot runs it once a day with the config's ``retention`` (:func:`prune_due`, default 90 days,
``null`` keeps everything); the command is for other ages, dry runs, or a set-up without the
long-running processes.

Everything was kept forever (even ``seen_events``: its cleanup, a function in
:mod:`bot.commands.events`, was never called; it lives here now). What goes, for stories
quiet since the cutoff (no article for ``older_than``):

* their ``decisions`` (``signals why`` and tuning look at recent stories);
* their outbox rows that are finished (sent or failed alerts, follow-ups and digests);
* their articles' body text. The article rows stay, with URL, guid and content hash:
  they are what makes an entry a feed still lists after months come back as "seen",
  not as a new story and a second alert. Titles stay searchable.

What stays, and why: rows of a story that is still growing (its alert row is how a new
article becomes a follow-up, not a second alert); unsent rows; notices (a health
notice's row is the state of that source's outage); text of stories someone gave
feedback on (the scorer learns from it at start); unprocessed articles; ``stories``,
``feedback``, ``audit`` (the log of who changed what) and ``sources``. ``seen_events`` older
than two days always go (platforms retry within minutes).

The cutoff is at least twice the clustering window and seven days, so nothing the
clusterer, caps, digests or catch-ups still read is touched. On SQLite the FTS index is
kept in step (it has no update trigger); freed pages are reused, ``VACUUM`` shrinks the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, delete, func, or_, select, text, update

from bot.errors import CommandError
from bot.models import AlertKind, DeliveryStatus
from bot.store import schema as t
from bot.store.store import Store

__all__ = ["EVENTS_AGE", "MIN_AGE", "PruneReport", "prune", "prune_due"]

MIN_AGE = timedelta(days=7)
EVENTS_AGE = timedelta(days=2)
BATCH = 500  # articles per UPDATE: short transactions, so a running worker is never held up long
_DONE = (DeliveryStatus.SENT.value, DeliveryStatus.FAILED.value)
_KINDS = (AlertKind.ALERT.value, AlertKind.FOLLOWUP.value, AlertKind.DIGEST.value)


@dataclass(slots=True)
class PruneReport:
    cutoff: datetime
    decisions: int = 0
    deliveries: int = 0
    texts: int = 0
    events: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "would drop" if self.dry_run else "dropped"
        return (f"{verb} (stories quiet since {self.cutoff:%Y-%m-%d %H:%M} UTC): {self.decisions} decisions, "
                f"{self.deliveries} finished outbox rows, body text of {self.texts} articles; "
                f"{self.events} chat event ids older than {EVENTS_AGE.days} days")


def prune(store: Store, older_than: timedelta, *, window: timedelta, now: datetime | None = None,
          dry_run: bool = False) -> PruneReport:
    """Drop what stories quiet for ``older_than`` no longer need (see the module docstring)."""
    least = max(MIN_AGE, 2 * window)
    if older_than < least:
        raise CommandError(f"--older-than {_days(older_than)} is too short: at least {_days(least)} "
                           "(seven days, and twice the clustering window stories.window)")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    report = PruneReport(cutoff=now - older_than, dry_run=dry_run)
    s, d, dec, a, ev = t.stories, t.deliveries, t.decisions, t.articles, t.seen_events
    quiet = select(s.c.id).where(s.c.updated_at < report.cutoff)
    old_decisions = (dec.c.at < report.cutoff, dec.c.story_id.in_(quiet))
    old_rows = (d.c.created_at < report.cutoff, d.c.status.in_(_DONE), d.c.kind.in_(_KINDS),
                or_(d.c.story_id.is_(None), d.c.story_id == "", d.c.story_id.in_(quiet)))
    old_events = (ev.c.at < now - EVENTS_AGE,)
    old_text = (a.c.fetched_at < report.cutoff, a.c.processed.is_(True), a.c.text != "",
                or_(a.c.story_id.is_(None), a.c.story_id.in_(quiet)),
                or_(a.c.story_id.is_(None), a.c.story_id.not_in(select(t.feedback.c.story_id))))
    with store.begin() as c:
        if dry_run:
            report.decisions = _count(c, dec, old_decisions)
            report.deliveries = _count(c, d, old_rows)
            report.events = _count(c, ev, old_events)
            report.texts = _count(c, a, old_text)
            return report
        report.decisions = c.execute(delete(dec).where(*old_decisions)).rowcount
        report.deliveries = c.execute(delete(d).where(*old_rows)).rowcount
        report.events = c.execute(delete(ev).where(*old_events)).rowcount
    while True:
        with store.begin() as c:
            ids = list(c.execute(select(a.c.id).where(*old_text).order_by(a.c.id).limit(BATCH)).scalars())
            if not ids:
                return report
            _blank(c, ids, sqlite=store.is_sqlite)
        report.texts += len(ids)


def _blank(c: Connection, ids: list[int], *, sqlite: bool) -> None:
    a = t.articles
    if sqlite:  # external-content FTS5: remove the old entry with its old values, add the new one
        c.execute(text("INSERT INTO articles_fts(articles_fts, rowid, title, text) "
                       "SELECT 'delete', id, title, text FROM articles WHERE id IN (SELECT value FROM json_each(:ids))"),
                  {"ids": _json(ids)})
    c.execute(update(a).where(a.c.id.in_(ids)).values(text=""))
    if sqlite:
        c.execute(text("INSERT INTO articles_fts(rowid, title, text) "
                       "SELECT id, title, text FROM articles WHERE id IN (SELECT value FROM json_each(:ids))"),
                  {"ids": _json(ids)})


def _json(ids: list[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"


def _count(c: Connection, table: Table, where: tuple[Any, ...]) -> int:
    return int(c.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _days(d: timedelta) -> str:
    return f"{d.total_seconds() / 86400:g}d"


def prune_due(store: Store, retention: timedelta | None, *, window: timedelta,
              now: datetime | None = None) -> PruneReport | None:
    """The daily job of ``signals run`` and of the leading ``signals scheduler`` (config
    ``retention``, default 90 days; None keeps everything): :func:`prune` with that age, or twice
    the clustering window when that is longer."""
    if retention is None:
        return None
    return prune(store, max(retention, MIN_AGE, 2 * window), window=window, now=now)
