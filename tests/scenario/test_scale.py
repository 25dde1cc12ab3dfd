"""Scale-out on loopback: 2,000 feeds, two real Celery workers, PostgreSQL and Redis.

Round 1: every feed fetched once, every article stored and processed once, each
event's outlets clustered into one story although two workers share the work, and
every alert posted once to a fake chat API. Round 2: every feed is fetched again, a
quarter of them with new coverage, and one worker is SIGKILLed mid-cycle (while
messages are being posted); the other worker takes over the expired leases and the run
still ends with nothing lost and nothing doubled.

The test plays the scheduler's part (``enqueue_*``, the same calls ``signals scheduler``
makes on its timers) so it can tell when a round is complete. Fetch tasks the killed
worker had taken but not finished come back through the broker (late acks, visibility
timeout of 10 s here), or, for a message the broker lost with the worker, at the
source's next interval; processing and delivery are re-enqueued by the ticks.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from bot.settings import load_settings
from bot.store import Store
from tests.fakes.cluster import ChatAPI, Workers, corpus, serve, write_config
from tests.feedserver import FeedServer

N_FEEDS = int(os.environ.get("SIGNALS_SCALE_FEEDS", "2000"))
CHANNELS = 2
OUTLETS = 8  # feeds per event: 2,000 feeds tell 250 stories a round
ROUND_TIMEOUT = float(os.environ.get("SIGNALS_SCALE_TIMEOUT", "240"))


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    s = Store.open(pg_url)
    yield s
    s.close()


@pytest.fixture
def r(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def chat() -> Iterator[ChatAPI]:
    api = ChatAPI()
    yield api
    api.close()


def _wait(what: str, done: Callable[[], bool], tick: Callable[[], None], timeout: float, workers: Workers) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}\n{workers.logs()}")
        workers.check_alive()
        tick()
        time.sleep(0.5)


def test_two_workers_2000_feeds_then_one_killed(tmp_path: Path, pg_url: str, redis_url: str, store: Store,
                                                r: redis.Redis, chat: ChatAPI) -> None:
    from bot.tasks.app import FETCH_QUEUE, configure
    from bot.tasks.jobs import enqueue_deliver, enqueue_fetch, enqueue_process
    from bot.tasks.leases import key

    configure(redis_url)
    hooks = [chat.url(f"/ch{i}") for i in range(CHANNELS)]
    round1 = corpus(N_FEEDS, 1, outlets_per_event=OUTLETS, round_=0)
    round2 = corpus(N_FEEDS // 4, 1, outlets_per_event=OUTLETS, round_=1)  # a quarter of the feeds have news
    new2 = sum(len(items) for items in round2.values())
    names = list(round1)

    def q(sql: str) -> int:
        with store.begin() as c:
            return int(c.execute(text(sql)).scalar_one())

    def fetched_since(t0: float) -> int:
        with store.begin() as c:
            return int(c.execute(text("SELECT count(*) FROM sources WHERE last_fetch_at >= to_timestamp(:t)"),
                                 {"t": t0}).scalar_one())

    def settled(n_articles: int, t0: float) -> Callable[[], bool]:
        def check() -> bool:
            if os.environ.get("SIGNALS_SCALE_DEBUG"):
                print(round(time.time() - t0, 1), fetched_since(t0), q("SELECT count(*) FROM articles"),
                      q("SELECT count(*) FROM articles WHERE NOT processed"),
                      q("SELECT count(*) FROM deliveries WHERE status <> 'sent'"), len(chat.messages), flush=True)
            return (fetched_since(t0) == N_FEEDS and q("SELECT count(*) FROM articles") == n_articles
                    and q("SELECT count(*) FROM articles WHERE NOT processed") == 0
                    and q("SELECT count(*) FROM deliveries WHERE status <> 'sent'") == 0
                    and len(chat.messages) == q("SELECT count(*) FROM deliveries"))
        return check

    last_due = [time.monotonic()]
    round_start = [time.time()]

    def scheduler_tick() -> None:  # what `signals scheduler` does every few seconds
        enqueue_process(r)
        enqueue_deliver(r)
        # A source's next interval: once the fetch queue is drained, sources this round has not fetched
        # (a task that died with the killed worker before the broker recorded it) are due again.
        if r.llen(key(FETCH_QUEUE)) == 0 and time.monotonic() - last_due[0] > 10:
            last_due[0] = time.monotonic()
            with store.begin() as c:
                done = set(c.execute(text("SELECT name FROM sources WHERE last_fetch_at >= to_timestamp(:t)"),
                                     {"t": round_start[0]}).scalars())
            for name in names:
                if name not in done:
                    r.delete(key(f"queued:fetch:{name}"))
                    enqueue_fetch(r, name, 600)

    with FeedServer() as srv:
        serve(srv, round1, 0)
        cfg = write_config(tmp_path / "signals.yaml", srv, names, hooks)
        assert len(load_settings(cfg).sources) == N_FEEDS
        workers = Workers(cfg, pg_url, redis_url, tmp_path)
        workers.start(2)
        try:
            # -- round 1: everything once --------------------------------------------------
            t0 = round_start[0] = time.time()
            for name in names:
                enqueue_fetch(r, name, 600)
            _wait("round 1", settled(N_FEEDS, t0), scheduler_tick, ROUND_TIMEOUT, workers)
            stories1 = q("SELECT count(DISTINCT story_id) FROM articles")
            assert stories1 == N_FEEDS // OUTLETS, "each event's outlets make one story, across workers"
            alerts1 = Counter((m["story_id"], m["channel_path"]) for m in chat.messages.values()
                              if m["kind"] == "alert")
            assert len(alerts1) == stories1 * CHANNELS and set(alerts1.values()) == {1} and chat.repeats == 0

            # -- round 2: new coverage; kill a worker while it posts -------------------------
            serve(srv, {name: round1[name] + round2[name] for name in round2}, 1)  # the rest answer 304
            before = len(chat.messages)
            t1 = round_start[0] = time.time()
            for name in names:
                enqueue_fetch(r, name, 600)
            end = time.monotonic() + ROUND_TIMEOUT
            while len(chat.messages) < before + 20:
                assert time.monotonic() < end, workers.logs()
                enqueue_process(r)
                enqueue_deliver(r)
                time.sleep(0.05)
            workers.kill(0)
            killed_at = len(chat.messages) - before
            _wait("round 2 after the kill", settled(N_FEEDS + new2, t1), scheduler_tick, ROUND_TIMEOUT, workers)
        finally:
            workers.stop()

    # -- nothing lost, nothing doubled ------------------------------------------------------
    with store.begin() as c:
        per_event = c.execute(text("SELECT guid, story_id FROM articles")).all()
        alerts = c.execute(text("SELECT story_id, channel, count(*) FROM deliveries WHERE kind = 'alert' "
                                "GROUP BY story_id, channel HAVING count(*) > 1")).all()
    events: dict[str, set[str]] = {}
    for guid, story in per_event:
        events.setdefault(guid.split("-feed")[0], set()).add(story)
    assert len(events) == (N_FEEDS + new2) // OUTLETS and all(len(s) == 1 for s in events.values())
    assert len({next(iter(s)) for s in events.values()}) == len(events)  # and no two events share one
    assert alerts == []
    shown = Counter((m["story_id"], m["channel_path"]) for m in chat.messages.values() if m["kind"] == "alert")
    assert len(shown) == len(events) * CHANNELS and set(shown.values()) == {1}
    # a post the killed worker made but could not record is repeated with the same key; the chat shows it once
    assert chat.repeats <= CHANNELS, (chat.repeats, killed_at)
