"""The orchestrator: fetch → clean → store → stories → classifiers → routing → outbox → adapters.

Each stage is a module with typed objects in and out; this file only calls them in
order and commits their results: fetch and store here, stories → scores → routing →
outbox rows in :mod:`bot.processing`, then the time-driven jobs and delivery. Two rules keep
it crash-safe:

* a source's new articles and its new ETag commit in one transaction (an ETag never
  outlives the articles it vouches for);
* an article is marked processed in the same transaction that stores its story, the
  routing decisions and the outbox rows (:mod:`bot.processing`). A crash before that commit
  leaves it unprocessed, and the next run does the work again with the same idempotency keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TextIO

from bot import metrics
from bot.adapters.base import Destination
from bot.commands.overrides import effective_rules, report_shadowed
from bot.errors import SignalsError
from bot.examples import example_urls, fetch_examples
from bot.faults import checkpoint
from bot.ingest import Fetcher, clean_entry, is_teaser
from bot.models import Article, FetchState
from bot.outbox import Outbox, deliver_due
from bot.processing import Processor
from bot.report import CycleReport
from bot.routing.jobs import run_routing_jobs
from bot.scoring import StoryScorer
from bot.settings import Settings, SourceSettings
from bot.sources.registry import effective_sources
from bot.sources.runtime import SourceRuntime
from bot.store import Store
from bot.stories import Clusterer

__all__ = ["CycleReport", "Pipeline"]

log = logging.getLogger(__name__)
_GAP = timedelta(minutes=10)  # housekeeping runs every 15 s: a longer gap means the process was away


class Pipeline:
    """One instance per process. Use as ``async with Pipeline(...) as p: await p.run_cycle()``."""

    def __init__(self, settings: Settings, store: Store, destinations: Mapping[str, Destination] | None = None, *,
                 dry_run: bool = False, process: bool = True, fmt: str = "text", out: TextIO | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 in_flight: timedelta = timedelta(0)) -> None:
        self.settings = settings
        self.store = store
        self.outbox = Outbox(store, in_flight)  # > 0 where other processes deliver too (bot.outbox.queue)
        self.destinations = dict(destinations or {})
        self.dry_run = dry_run
        self.process = process
        self.clock = clock
        self._fetcher: Fetcher | None = None
        self.processor = Processor(settings, store, self.outbox, dry_run=dry_run, fmt=fmt, out=out, clock=clock)
        self.sources = SourceRuntime(settings, store, clock)  # adaptive next poll, cache hints, WebSub
        self._lock = asyncio.Lock()  # processing and delivery never overlap within a process
        self._started = True  # the first housekeeping sends digests due while no process ran
        self._last_tick: datetime | None = None  # the last housekeeping (a long gap: see housekeeping)
        self._jobs: set[asyncio.Task[object]] = set()  # scheduler jobs in flight (signals run), for stop()
        self._deadline: float | None = None  # set by stop(): no batch or post starts after it
        self.processor.should_stop = self.stopping

    async def __aenter__(self) -> Pipeline:
        self._fetcher = await Fetcher(self.settings.fetch, config_sources=lambda: self.settings.sources).__aenter__()
        self.sources.observer.attach(self._fetcher.client)  # cache headers, <ttl>, WebSub hub of each poll
        self.processor.example_texts = await fetch_examples(self._fetcher, example_urls(self.settings), {})
        return self

    def stopping(self) -> bool:
        """True once :meth:`stop`'s grace has run out: no new batch is processed, no new post starts."""
        return self._deadline is not None and time.monotonic() >= self._deadline

    @contextlib.contextmanager
    def running_job(self) -> Iterator[None]:
        """Mark the calling task as a job :meth:`stop` waits for."""
        task = asyncio.current_task()
        if task is not None:
            self._jobs.add(task)
        try:
            yield
        finally:
            self._jobs.discard(task)  # type: ignore[arg-type]

    async def stop(self, grace: float) -> None:
        """End a long run within about ``grace`` seconds (plus one batch or one post in flight).

        Jobs in flight (a poll, a batch, a post) finish; after ``grace`` no new batch or post
        starts, and a job still running ``grace`` + 5 s later (a feed that never answers) is
        cancelled. Then what was fetched and what is due is processed and delivered while time
        remains. Why bounded: a service manager kills a process that does not stop (Docker after
        10 s, Heroku 30 s) and a stop that processed a whole backlog or waited out a rate limit
        got killed mid-way; what is left is in the store and goes out at the next start."""
        self._deadline = time.monotonic() + grace
        jobs = {t for t in self._jobs if t is not asyncio.current_task() and not t.done()}
        if jobs:
            _, pending = await asyncio.wait(jobs, timeout=grace + 5)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        if not self.stopping():
            try:
                await self.process_and_deliver()
            except Exception as exc:  # logged as the jobs log it; the stop goes on
                log.error("last pass before stopping failed: %s: %s", type(exc).__name__, exc,
                          exc_info=not isinstance(exc, SignalsError))

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
                report.delivered = await deliver_due(self.outbox, self.destinations, self.clock, stop=self.stopping)
        if failure is not None:
            raise failure
        return report

    def housekeeping(self) -> None:
        """Time-driven messages: quiet-hours catch-ups, digests whose schedule fired, source health.

        A tick after a long gap (the machine suspended, the process stalled, the database away)
        looks for missed digest slots as a process's first tick does: a digest slot is otherwise
        taken only within 30 minutes of its time, and one slept through was never sent."""
        now = self.clock()
        gap = self._last_tick is not None and now - self._last_tick > _GAP
        tick = run_routing_jobs(self.settings, self.store, self.outbox, now,
                                rules_by_channel=effective_rules(self.settings, self.store),
                                started=self._started or gap)
        failed = any(e.startswith("digests:") for e in tick.errors)
        self._started = (self._started or gap) and failed
        self._last_tick = now

    async def apply_settings(self, new: Settings, destinations: Mapping[str, Destination] | None = None) -> None:
        """Swap in a reloaded config between two processing runs; nothing in flight is lost
        (everything in flight is in the store)."""
        async with self._lock:
            if self._fetcher is not None:  # pages of example URLs the new config adds
                self.processor.example_texts = await fetch_examples(self._fetcher, example_urls(new),
                                                                    self.processor.example_texts)
            old, self.settings = self.settings, new
            report_shadowed(old, new, self.store)  # file edits a setting made from chat outranks
            self.sources.settings = self.processor.settings = new
            self.processor.reset(  # topic models and source weights, the window: rebuilt on next use
                scorer=(old.topics, old.watchlist, old.sources) != (new.topics, new.watchlist, new.sources),
                clusterer=old.stories.window != new.stories.window)
            if destinations is not None:
                old_notifiers = {id(d.notifier): d.notifier for d in self.destinations.values()}
                self.destinations = dict(destinations)
                kept = {id(d.notifier) for d in self.destinations.values()}
                for key, notifier in old_notifiers.items():  # their HTTP clients and sockets (no post in flight:
                    if key not in kept:                      # delivery holds the same lock)
                        try:
                            await notifier.aclose()
                        except Exception as exc:
                            log.warning("could not close a replaced destination: %s", exc)

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

    # -- processing (bot/processing.py) ------------------------------------------------
    def process_pending(self, report: CycleReport | None = None) -> CycleReport:
        return self.processor.process_pending(report)

    def load_models(self) -> tuple[Clusterer, StoryScorer]:
        return self.processor.load_models()

    def catch_up_stories(self) -> None:
        self.processor.catch_up_stories()
