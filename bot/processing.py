"""Processing: stored articles → stories → scores → routing → outbox rows.

The second half of a cycle (:mod:`bot.pipeline` fetches and stores, then calls
:meth:`Processor.process_pending`, then delivers). An article is marked processed in the same
transaction that stores its story, the routing decisions and the outbox rows; a crash before
that commit leaves it unprocessed, and the next run does the work again with the same
idempotency keys. An article that cannot be processed while others can is set aside rather
than holding up every article after it (:meth:`Processor._process_one_by_one`).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TextIO

from bot import metrics
from bot.adapters.console import alert_json, format_text
from bot.commands.overrides import effective_rules, muted_topics
from bot.errors import StoreError
from bot.faults import checkpoint
from bot.models import AlertKind, Article, SourceRef
from bot.outbox import Outbox
from bot.report import CycleReport
from bot.routing import Action, StoryView, alert_for, plan_story
from bot.scoring import StoryInput, StoryScorer, representative
from bot.settings import Settings
from bot.store import Store, StoryRow
from bot.store import schema as t
from bot.stories import Clusterer, ClusterItem

__all__ = ["BATCH", "Processor"]

log = logging.getLogger(__name__)
BATCH = 500
_SYSTEMIC = 3  # articles failing in a row, alone: the pipeline's fault, not theirs (_process_one_by_one)


class Processor:
    """Holds the clusterer and the scorer (loaded on first use, rebuilt from the store when their
    state may be off); ``settings`` is swapped by :meth:`bot.pipeline.Pipeline.apply_settings`."""

    def __init__(self, settings: Settings, store: Store, outbox: Outbox, *, dry_run: bool = False,
                 fmt: str = "text", out: TextIO | None = None, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.store = store
        self.outbox = outbox
        self.dry_run = dry_run
        self.fmt = fmt
        self.out = out
        self.clock = clock
        self._clusterer: Clusterer | None = None
        self._scorer: StoryScorer | None = None
        self.example_texts: dict[str, str] = {}  # URL example -> its page's text (set by the pipeline)
        self.should_stop: Callable[[], bool] = lambda: False  # the process is stopping: no new batch

    def reset(self, *, scorer: bool = False, clusterer: bool = False) -> None:
        """Drop the scorer (topics, watchlist or sources changed) or the clusterer (the window did):
        rebuilt from the store on next use."""
        if scorer:
            self._scorer = None
        if clusterer:
            self._clusterer = None

    def load_models(self) -> tuple[Clusterer, StoryScorer]:
        """The clusterer (rebuilt from the store's window) and the scorer, loaded on first use."""
        if self._clusterer is None:
            self._clusterer = Clusterer(window=self.settings.stories.window)
            self.catch_up_stories()
        if self._scorer is None:
            self._scorer = StoryScorer(self.settings, self.store, self.example_texts)
        return self._clusterer, self._scorer

    def catch_up_stories(self) -> None:
        """Replay the window's processed articles into the clusterer, with their story ids.

        ``Clusterer.restore`` skips articles it already holds, so after a restart (or when
        other workers processed in between) only what it has not seen is replayed.
        """
        if self._clusterer is None:
            return  # built from the store on first use
        since = self.clock() - self.settings.stories.window
        self._clusterer.restore((_item(a), a.story_id or "") for a in self.store.processed_since(since))

    def process_pending(self, report: CycleReport | None = None) -> CycleReport:
        report = report or CycleReport()
        while not self.should_stop() and (batch := self.store.unprocessed_articles(BATCH)):
            try:
                self._process_batch(batch, report)
            except StoreError:
                self._clusterer = None  # its state may be ahead of the store: rebuild from the store
                raise  # the database's failure, not the articles': they are retried next pass
            except Exception:
                self._clusterer = None
                self._process_one_by_one(batch, report)
            if len(batch) < BATCH:
                break
        return report

    def _process_one_by_one(self, batch: list[Article], report: CycleReport) -> None:
        """After a batch failed: each article alone, so one that cannot be processed (a corrupt row,
        a text that trips a bug) is set aside instead of stopping every article after it, forever.

        An article is set aside (marked processed, in no story, logged at ERROR with its source and
        id) only when another article of the batch went through: if ``_SYSTEMIC`` fail in a row, or
        none goes through, the fault is the pipeline's (a broken model, a bug every article meets);
        nothing more is set aside and the error is raised, as before, to be retried next pass."""
        failed: list[tuple[Article, Exception]] = []
        went_through = False
        for art in batch:
            try:
                self._process_batch([art], report)
            except StoreError:
                self._clusterer = None
                raise
            except Exception as exc:
                self._clusterer = None
                failed.append((art, exc))
                if len(failed) >= _SYSTEMIC:
                    raise exc
                continue
            went_through = True
            if failed:
                self._set_aside(failed, report)
                failed = []
        if failed and went_through:
            self._set_aside(failed, report)
        elif failed:
            raise failed[-1][1]

    def _set_aside(self, failed: list[tuple[Article, Exception]], report: CycleReport) -> None:
        with self.store.begin() as conn:
            self.store.mark_processed(conn, [(art.id or 0, None) for art, _ in failed])
        for art, exc in failed:
            report.set_aside += 1
            log.error("article set aside: processing it failed while others went through: %s: %s (%r)",
                      type(exc).__name__, exc, art.title[:120], exc_info=exc,
                      extra={"source": art.source, "article_id": art.id})

    def _process_batch(self, batch: list[Article], report: CycleReport) -> None:
        clusterer, scorer = self.load_models()
        scorer.sync_feedback(self.store)  # votes from chat since the last batch count from this one on
        assigned: list[tuple[int, str]] = []
        touched: dict[str, list[Article]] = {}
        new_sources: dict[str, list[SourceRef]] = {}
        for art in batch:
            a = clusterer.add(_item(art))
            assigned.append((art.id or 0, a.story_id))
            art.story_id = a.story_id
            touched.setdefault(a.story_id, []).append(art)
            if a.is_new_story:
                report.new_stories += 1
                metrics.record_stories(1)
            elif a.is_new_source and a.duplicate_of is None:
                new_sources.setdefault(a.story_id, []).append(SourceRef(art.source, art.canonical_url or art.url))
        checkpoint("cluster")
        now = self.clock()
        rules_by_channel = effective_rules(self.settings, self.store)  # config + overrides set from chat
        muted = muted_topics(self.store)
        with self.store.begin() as conn:
            self.store.mark_processed(conn, assigned)
            inputs = [StoryInput(sid, self.store.story_articles(sid, conn)) for sid in touched]
            scores = metrics.timed_classifier(scorer.score, inputs)
            checkpoint("score")
            for inp, sc in zip(inputs, scores, strict=True):
                rep = representative(inp.articles)
                first_seen = min(a.fetched_at for a in inp.articles)
                view = StoryView(
                    id=inp.story_id, title=rep.title, text=rep.text, url=rep.canonical_url or rep.url, importance=sc.importance,
                    category=sc.category, event=sc.event, domain=sc.domain, topics=list(sc.topics),
                    relevance=dict(sc.relevance), sources=_sources(inp.articles), first_seen=first_seen,
                    published_at=rep.published_at)
                self.store.save_story(conn, StoryRow(
                    id=inp.story_id, first_seen=first_seen, updated_at=now, representative_id=rep.id or 0,
                    title=rep.title, n_sources=len(view.sources), importance=sc.importance, category=sc.category,
                    topics=list(sc.topics), scores=sc.to_dict()))
                notes = self.outbox.alert_notes(conn, inp.story_id)  # channels alerted, and how it went
                alerted = set(notes)
                added = _new_to_story(new_sources.get(inp.story_id, []), inp.articles, touched[inp.story_id])
                plan = plan_story(view, self.settings, summary=list(sc.summary), tags=list(sc.tags),
                                  alerted=alerted, new_source=added[-1] if added else None, now=now,
                                  rules_by_channel=rules_by_channel, muted=muted, conn=conn, new_sources=added,
                                  alert_notes=notes)
                self._record_decisions(conn, view, plan.decisions, now)
                report.alerts += len(plan.alerted_channels)
                metrics.record_alerts(len(plan.alerted_channels))
                report.followups += sum(d.action is Action.FOLLOWUP for d in plan.decisions)
                if self.dry_run:
                    if plan.alerted_channels:
                        self._emit(alert_for(view, plan.alerted_channels[0], AlertKind.ALERT, list(sc.summary),
                                             list(sc.tags)), plan.alerted_channels)
                else:
                    self.outbox.enqueue(conn, plan.deliveries, now)
            report.updated_stories += len(inputs)
        checkpoint("route")

    def _record_decisions(self, conn, view: StoryView, decisions, now: datetime) -> None:  # type: ignore[no-untyped-def]
        d = t.decisions
        if self.dry_run:
            return
        for dec in decisions:
            conn.execute(d.delete().where(d.c.story_id == view.id, d.c.channel == dec.channel))
            conn.execute(d.insert().values(story_id=view.id, channel=dec.channel, action=dec.action.value,
                                           reason=dec.reason.value, detail=dec.detail, importance=view.importance,
                                           at=now))

    def _emit(self, alert, channels: list[str]) -> None:  # type: ignore[no-untyped-def]
        out = self.out or sys.stdout
        if self.fmt == "jsonl":
            out.write(json.dumps(alert_json(alert, channels), ensure_ascii=False) + "\n")
        else:
            out.write(f"(dry run) {format_text(alert)}\n  → {', '.join(channels)}\n\n")
        out.flush()


def _item(a: Article) -> ClusterItem:
    return ClusterItem(id=str(a.id), title=a.title, text=a.text, source=a.source,
                       published_at=a.published_at or a.fetched_at, url=a.canonical_url)


def _new_to_story(added: list[SourceRef], story: Sequence[Article], batch: Sequence[Article]) -> list[SourceRef]:
    """The outlets the clusterer found new to the story that have no earlier article in it. The
    clusterer knows the story's articles in its window only: an outlet whose first article left the
    72 h window while the story went on is new to it again, and was announced again ("Also covered
    by" the outlet that broke the story, days later)."""
    batch_ids = {a.id for a in batch}
    earlier = {a.source for a in story if a.id not in batch_ids}
    return [ref for ref in added if ref.name not in earlier]


def _sources(articles: Sequence[Article]) -> list[SourceRef]:
    seen: dict[str, SourceRef] = {}
    for a in articles:
        seen.setdefault(a.source, SourceRef(a.source, a.canonical_url or a.url))
    return list(seen.values())
