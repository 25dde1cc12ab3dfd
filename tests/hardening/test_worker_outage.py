"""Workers down for a while, the scheduler enqueueing as usual: when they come back, the copies of a
task that piled up meanwhile are not all run. Real Redis (own key prefix), real PostgreSQL, a real
``signals worker`` process, loopback feeds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.store import Store
from tests.fakes.cluster import ChatAPI, Workers, corpus, serve, write_config
from tests.feedserver import FeedServer


@pytest.fixture
def chat() -> Iterator[ChatAPI]:
    api = ChatAPI()
    yield api
    api.close()


def test_fetches_queued_while_the_workers_were_down_fetch_each_source_once(
        tmp_path: Path, pg_url: str, redis_url: str, chat: ChatAPI) -> None:
    """Before: a source's queued marker lasts one interval, so while no worker ran the scheduler queued
    another copy every interval (an hour down, a 15-minute source: four), and the worker that came back
    ran every copy, one poll of the publisher after another."""
    from bot.tasks.app import FETCH_QUEUE, configure
    from bot.tasks.jobs import enqueue_fetch
    from bot.tasks.leases import key

    configure(redis_url)
    r = redis.Redis.from_url(redis_url)
    with FeedServer() as srv:
        feeds = corpus(2, 1, outlets_per_event=1)
        serve(srv, feeds, 0)
        cfg = write_config(tmp_path / "signals.yaml", srv, list(feeds), [chat.url("/ch0")])
        for _ in range(3):  # three intervals of the scheduler while no worker runs (marker held 1 s here)
            assert all(enqueue_fetch(r, name, hold=1) for name in feeds)
            time.sleep(1.2)
        assert r.llen(key(FETCH_QUEUE)) == 6
        store = Store.open(pg_url)
        workers = Workers(cfg, pg_url, redis_url, tmp_path, concurrency=2)
        workers.start(1)
        try:
            end = time.monotonic() + 90
            while r.llen(key(FETCH_QUEUE)) or len(store.fetch_states()) < 2 or r.keys(key("lease:source:*")):
                assert time.monotonic() < end, workers.logs()
                workers.check_alive()
                time.sleep(0.2)
            time.sleep(1.0)  # the last copies taken off the queue have run
        finally:
            workers.stop()
            store.close()
            r.close()
        assert {name: srv.hits[f"/{name}.xml"] for name in feeds} == {name: 1 for name in feeds}, workers.logs()
