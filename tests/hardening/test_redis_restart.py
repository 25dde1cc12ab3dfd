"""Redis restarted (it keeps nothing on disk: leases, queued markers and the clusterer's generation
counter are gone) while workers keep running. Real Redis (a key prefix of its own, flushed to play
the restart), real PostgreSQL, real worker runtimes fetching from loopback feeds.

Nothing may be clustered, alerted or posted twice because a Redis key went away.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import select

from bot.pipeline import CycleReport
from bot.settings import Settings, settings_from_mapping
from bot.store import Store
from bot.store import schema as t
from bot.tasks import jobs
from bot.tasks.leases import key
from bot.tasks.runtime import Runtime
from tests.fakes.cluster import corpus, serve
from tests.fakes.webhook import Receiver
from tests.feedserver import FeedServer


@pytest.fixture
def world() -> Iterator[tuple[FeedServer, Receiver]]:
    hook = Receiver()
    with FeedServer() as feeds:
        serve(feeds, corpus(4, 1, outlets_per_event=2), 0)  # event 0: feed0000+feed0001; event 1: feed0002+feed0003
        yield feeds, hook
    hook.close()


def _settings(feeds: FeedServer, hook: Receiver) -> Settings:
    return settings_from_mapping({
        "sources": [{"name": f"feed{i:04d}", "url": feeds.url(f"/feed{i:04d}.xml"), "full_text": "never"}
                    for i in range(4)],
        "channels": [{"name": "hook", "webhook": hook.url(), "min_importance": 0}],
        "source_alert_after": None,
    })


def restart_redis(r: redis.Redis) -> None:
    """What a Redis restart does to this deployment: every key under its prefix is gone."""
    keys = list(r.scan_iter(key("*"), count=1000))
    if keys:
        r.delete(*keys)


def _fetch(rt: Runtime, name: str) -> None:
    src = rt.source(name)
    assert src is not None
    assert rt.run(rt.pipeline.fetch_source(src, CycleReport()))


@contextmanager
def _two_workers(settings: Settings, pg_url: str, redis_url: str) -> Iterator[tuple[Runtime, Runtime]]:
    """Two worker runtimes on one PostgreSQL database and one Redis, closed afterwards."""
    a = Runtime(settings, Store.open(pg_url), redis_url)
    b = Runtime(settings, Store.open(pg_url), redis_url)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def _statuses(store: Store) -> list[str]:
    with store.begin() as c:
        return list(c.execute(select(t.deliveries.c.status).order_by(t.deliveries.c.id)).scalars())


def test_a_worker_catches_up_after_redis_lost_the_generation_counter(
        world: tuple[FeedServer, Receiver], pg_url: str, redis_url: str) -> None:
    """Before: the counter restarted at 1 after the restart, so a worker whose clusterer had seen
    generation N before it skipped catching up once the others counted up to N again, and put later
    coverage of a story it had not seen into a story of its own (a second alert)."""
    feeds, hook = world
    settings = _settings(feeds, hook)
    r = redis.Redis.from_url(redis_url)
    try:
        with _two_workers(settings, pg_url, redis_url) as (a, b):
            _fetch(a, "feed0000")
            assert jobs._process_once(a) == 1  # event 0's first outlet: a story and its alert
            restart_redis(r)
            _fetch(b, "feed0002")
            assert jobs._process_once(b) == 1  # event 1: worker B makes its story
            _fetch(a, "feed0003")
            jobs._process_once(a)  # event 1's second outlet, on worker A
            with a.store.begin() as c:
                story = dict(c.execute(select(t.articles.c.source, t.articles.c.story_id)).all())
                alerts = c.execute(select(t.deliveries.c.key).where(t.deliveries.c.kind == "alert")).scalars().all()
            assert story["feed0002"] == story["feed0003"], "one event, one story, whichever worker processed it"
            assert len(alerts) == 2
    finally:
        r.close()


def test_a_post_in_flight_when_redis_restarts_is_not_posted_again(
        world: tuple[FeedServer, Receiver], pg_url: str, redis_url: str) -> None:
    """Before: the restart freed the ``deliver`` lease while worker A was posting; worker B took it,
    found A's row still ``sending``, could not find it on the platform (it had not arrived yet) and
    posted it a second time."""
    feeds, hook = world
    settings = _settings(feeds, hook)
    r = redis.Redis.from_url(redis_url)
    try:
        with _two_workers(settings, pg_url, redis_url) as (a, b):
            _fetch(a, "feed0000")
            assert jobs._process_once(a) == 1
            hook.delay = 2.0  # a slow platform: A's post is in flight for two seconds
            with ThreadPoolExecutor(1) as pool:
                first = pool.submit(jobs._deliver, a)
                end = time.monotonic() + 10
                while _statuses(a.store) != ["sending"]:  # A claimed the row and is posting it
                    assert time.monotonic() < end
                    time.sleep(0.05)
                restart_redis(r)
                assert jobs._deliver(b) == "done"  # B takes the lease Redis forgot
                assert first.result(timeout=30) == "done"
            assert jobs._deliver(b) == "done"
            assert _statuses(a.store) == ["sent"]
            assert len(hook.received) == 1, "one alert, posted once"
    finally:
        r.close()


def test_a_row_left_sending_by_a_killed_worker_is_posted_once_its_claim_ran_out(
        world: tuple[FeedServer, Receiver], pg_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side of holding a claimed row: a worker killed after its claim leaves the row
    ``sending``; another worker posts it (once) when the claim's time is up, not before."""
    monkeypatch.setenv("SIGNALS_IN_FLIGHT", "1.5")
    feeds, hook = world
    settings = _settings(feeds, hook)
    with _two_workers(settings, pg_url, redis_url) as (a, b):
        _fetch(a, "feed0000")
        assert jobs._process_once(a) == 1
        outbox = a.pipeline.outbox
        assert outbox.claim(outbox.due(a.pipeline.clock())[0], a.pipeline.clock())  # ... and A is SIGKILLed
        assert jobs._deliver(b) == "done"
        assert _statuses(b.store) == ["sending"] and hook.received == []  # maybe A is still posting it
        time.sleep(1.6)
        assert jobs._deliver(b) == "done"
        assert _statuses(b.store) == ["sent"] and len(hook.received) == 1
