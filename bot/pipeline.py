"""The orchestrator: fetch → clean → store → stories → classifiers → routing → outbox → adapters.

Each stage is a module with typed objects in and out; this file only calls them in
order and commits their results. Two rules keep it crash-safe:

* a source's new articles and its new ETag commit in one transaction (an ETag never
  outlives the articles it vouches for);
* an article is marked processed in the same transaction that stores its story, the
  routing decisions and the outbox rows. A crash before that commit leaves it
  unprocessed, and the next run does the work again with the same idempotency keys.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from bot import metrics
from bot.adapters.base import Destination
from bot.adapters.console import alert_json, format_text
from bot.commands.overrides import effective_rules, muted_topics
from bot.errors import SignalsError, StoreError
from bot.faults import checkpoint
from bot.ingest import Fetcher, clean_entry, is_teaser
from bot.models import AlertKind, Article, FetchState, SourceRef
from bot.outbox import DeliveryReport, Outbox, deliver_due
from bot.routing import Action, StoryView, alert_for, plan_story
from bot.routing.jobs import run_routing_jobs
from bot.scoring import StoryInput, StoryScorer, representative
from bot.settings import Settings, SourceSettings
from bot.sources.registry import effective_sources
from bot.sources.runtime import SourceRuntime
from bot.store import Store, StoryRow
from bot.store import schema as t
from bot.stories import Clusterer, ClusterItem

__all__ = ["CycleReport", "Pipeline"]

log = logging.getLogger(__name__)
BATCH = 500
_SYSTEMIC = 3  # articles failing in a row, alone: the pipeline's fault, not theirs (_process_one_by_one)


@dataclass(slots=True)
class CycleReport:
    sources: int = 0
    fetched: int = 0
    not_modified: int = 0
    errors: int = 0
    paused: int = 0
    new_articles: int = 0
    new_stories: int = 0
    updated_stories: int = 0
    alerts: int = 0
    followups: int = 0
    set_aside: int = 0  # articles that could not be processed while others could (logged at ERROR)
    delivered: DeliveryReport = field(default_factory=DeliveryReport)
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"{self.sources} sources ({self.fetched} fetched, {self.not_modified} unchanged, {self.errors} failed, "
                f"{self.paused} paused), {self.new_articles} new articles, {self.new_stories} new stories, "
                f"{self.alerts} alerts, {self.followups} follow-ups, {self.delivered.sent} sent, "
                f"{self.delivered.failed} failed{f', {self.set_aside} set aside' if self.set_aside else ''} "
                f"in {self.seconds:.1f}s")


class Pipeline:
    """One instance per process. Use as ``async with Pipeline(...) as p: await p.run_cycle()``."""

    def __init__(self, settings: Settings, store: Store, destinations: Mapping[str, Destination] | None = None, *,
                 dry_run: bool = False, process: bool = True, fmt: str = "text", out: TextIO | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.settings = settings
        self.store = store
        self.outbox = Outbox(store)
        self.destinations = dict(destinations or {})
        self.dry_run = dry_run
        self.process = process
        self.fmt = fmt
        self.out = out
        self.clock = clock
        self._fetcher: Fetcher | None = None
        self._scorer: StoryScorer | None = None
        self._clusterer: Clusterer | None = None
        self.sources = SourceRuntime(settings, store, clock)  # adaptive next poll, cache hints, WebSub
        self._lock = asyncio.Lock()  # processing and delivery never overlap within a process
        self._started = True  # the first housekeeping sends digests due while no process ran

    async def __aenter__(self) -> Pipeline:
        self._fetcher = await Fetcher(self.settings.fetch, config_sources=lambda: self.settings.sources).__aenter__()
        self.sources.observer.attach(self._fetcher.client)  # cache headers, <ttl>, WebSub hub of each poll
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._fetcher is not None:
            await self._fetcher.__aexit__(None, None, None)
            self._fetcher = None
        await self.sources.aclose()
        for dest in {id(d.notifier): d.notifier for d in self.destinations.values()}.values():
            await dest.aclose()

    # -- stages ----------------------------------------------------------------------
    async def run_cycle(self, sources: Sequence[SourceSettings] | None = None) -> CycleReport:
        """Fetch every (given) source once, process what arrived, deliver what is due."""
        started = time.perf_counter()
        report = CycleReport()
        if sources is None:
            sources = effective_sources(self.settings, self.store)  # config + sources added/paused at runtime
        todo = [s for s in sources if s.enabled]
        report.sources = len(todo)
        # One read of every source's state, and one write for those that brought no articles
        # (a 304 cycle over 1,000 feeds is otherwise 2,000 small transactions).
        states = {st.source: st for st in self.store.fetch_states()}
        unchanged: list[FetchState] = []
        await asyncio.gather(*(self._fetch_isolated(s, report, states.get(s.name), unchanged) for s in todo))
        if unchanged:
            self.store.save_fetch_states(unchanged)
        if self.process:
            await self.process_and_deliver(report)
        report.seconds = time.perf_counter() - started
        return report

    async def process_and_deliver(self, report: CycleReport | None = None) -> CycleReport:
        """Process what arrived, then run the time-driven jobs and deliver what is due. Each step
        runs even when one before it failed (the first failure is raised afterwards): alerts already
        queued must not wait for a processing bug to be fixed."""
        report = report or CycleReport()
        failure: BaseException | None = None
        async with self._lock:
            try:
                await asyncio.to_thread(self.process_pending, report)  # CPU work off the event loop
            except Exception as exc:
                failure = exc
            if not self.dry_run:
                try:
                    self.housekeeping()
                except Exception as exc:
                    log.error("housekeeping failed: %s: %s", type(exc).__name__, exc,
                              exc_info=not isinstance(exc, SignalsError))
                    failure = failure or exc
                report.delivered = await deliver_due(self.outbox, self.destinations, self.clock)
        if failure is not None:
            raise failure
        return report

    def housekeeping(self) -> None:
        """Time-driven messages: quiet-hours catch-ups, digests whose schedule fired, source health."""
        tick = run_routing_jobs(self.settings, self.store, self.outbox, self.clock(),
                                rules_by_channel=effective_rules(self.settings, self.store), started=self._started)
        self._started = self._started and any(e.startswith("digests:") for e in tick.errors)

    async def apply_settings(self, new: Settings, destinations: Mapping[str, Destination] | None = None) -> None:
        """Swap in a reloaded config between two processing runs; nothing in flight is lost
        (everything in flight is in the store)."""
        async with self._lock:
            old, self.settings = self.settings, new
            self.sources.settings = new
            if (old.topics, old.watchlist, old.sources) != (new.topics, new.watchlist, new.sources):
                self._scorer = None  # topic models and source weights are rebuilt on next use
            if old.stories.window != new.stories.window:
                self._clusterer = None
            if destinations is not None:
                self.destinations = dict(destinations)

    async def _fetch_isolated(self, source: SourceSettings, report: CycleReport, state: FetchState | None,
                              unchanged: list[FetchState]) -> None:
        """One source's failure (a locked database, a bug) is logged and costs no other source."""
        try:
            await self.fetch_source(source, report, state=state, unchanged=unchanged)
        except Exception as exc:
            report.errors += 1
            log.error("source failed: %s: %s", type(exc).__name__, exc, extra={"source": source.name},
                      exc_info=not isinstance(exc, SignalsError))

    async def fetch_source(self, source: SourceSettings, report: CycleReport | None = None, *,
                           state: FetchState | None = None, unchanged: list[FetchState] | None = None) -> int:
        """Fetch, clean and store one source. Returns the number of new articles.

        ``state``: the source's stored fetch state, when the caller read it already.
        ``unchanged``: where to leave the new state when no article came, for the caller to
        save in one transaction; otherwise it is saved here.
        """
        report = report or CycleReport()
        assert self._fetcher is not None, "use Pipeline as an async context manager"
        state = self.store.fetch_state(source.name, source.url) if state is None else state.for_url(source.url)
        if state.paused and not state.probe_due(self.clock()):  # after failures: tried at next_poll_at
            report.paused += 1
            return 0
        result = await self._fetcher.fetch(source, state)
        metrics.record_fetch(source.name, result.status)
        checkpoint("fetch")
        now = self.clock()
        articles: list[Article] = []
        if result.status == "ok" and result.feed is not None:
            report.fetched += 1
            for entry in result.feed.entries:
                if not entry.url:  # nothing to link to in an alert (and no canonical URL to dedupe by)
                    log.info("entry without a link skipped", extra={"source": source.name, "guid": entry.guid})
                    continue
                try:
                    articles.append(clean_entry(entry, source.name, now))
                except Exception:  # one bad entry must not cost the others
                    log.exception("could not clean an entry", extra={"source": source.name, "guid": entry.guid})
            articles = await self._full_text(source, result.feed.entries, articles)
        elif result.status == "not_modified":
            report.not_modified += 1
        elif result.status == "paused":
            report.paused += 1
            log.warning("source paused: %s", result.state.pause_reason, extra={"source": source.name})
        else:
            report.errors += 1
            log.warning("fetch failed: %s", result.error, extra={"source": source.name})
        await self.sources.after_fetch(source, result)  # sets next_poll_at; WebSub subscribe/renew
        if not articles and unchanged is not None:
            unchanged.append(result.state)
            return 0
        with self.store.begin() as conn:  # the articles and the ETag that vouches for them, together
            new = self.store.add_articles(articles, conn)
            self.store.save_fetch_state(result.state, conn)
        checkpoint("store")
        report.new_articles += len(new)
        metrics.record_articles(len(new))
        if new:
            log.info("stored new articles", extra={"source": source.name, "count": len(new)})
        return len(new)

    async def _full_text(self, source: SourceSettings, entries: list, articles: list[Article]) -> list[Article]:
        """Replace teasers by the article page's main text, for entries not stored yet."""
        if source.full_text == "never" or self._fetcher is None:
            return articles
        by_guid = {e.guid: e for e in entries}
        teasers = [a for a in articles if source.full_text == "always"
                   or (a.guid in by_guid and is_teaser(by_guid[a.guid]))]
        todo = self.store.unknown(teasers) if teasers else []  # pages only for articles not stored yet
        cap = self.settings.fetch.max_full_text  # each page is a request to a URL the feed chose
        if len(todo) > cap:
            log.info("full text fetched for the newest %d of %d teasers", cap, len(todo), extra={"source": source.name})
            todo = sorted(todo, key=lambda a: a.published_at or a.fetched_at, reverse=True)[:cap]
        texts = await asyncio.gather(*(self._fetcher.fetch_article_text(a.url) for a in todo))
        for a, text in zip(todo, texts, strict=True):
            if text and len(text) > len(a.text):
                a.text = text
        return articles

    # -- processing --------------------------------------------------------------------
    def load_models(self) -> tuple[Clusterer, StoryScorer]:
        """The clusterer (rebuilt from the store's window) and the scorer, loaded on first use."""
        if self._clusterer is None:
            self._clusterer = Clusterer(window=self.settings.stories.window)
            self.catch_up_stories()
        if self._scorer is None:
            self._scorer = StoryScorer(self.settings, self.store)
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
        while batch := self.store.unprocessed_articles(BATCH):
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
                added = new_sources.get(inp.story_id, [])
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


def _sources(articles: Sequence[Article]) -> list[SourceRef]:
    seen: dict[str, SourceRef] = {}
    for a in articles:
        seen.setdefault(a.source, SourceRef(a.source, a.canonical_url or a.url))
    return list(seen.values())
