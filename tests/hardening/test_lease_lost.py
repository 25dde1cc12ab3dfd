"""A worker that lost the ``process`` lease mid-batch (Redis unreachable, or the process stalled past
the lease's TTL) while another worker took it over and processed the same articles.

Leases are the first line; the store is the last: the stale worker's transaction finds its
articles already processed and is refused, so no article is clustered twice, no story id is
overwritten and nothing is routed twice. The refused worker's clusterer is rebuilt from the store.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.adapters.registry import build_destinations
from bot.errors import StoreError
from bot.pipeline import CycleReport, Pipeline
from bot.store import Store
from bot.store import schema as t
from tests.fakes.webhook import Receiver
from tests.feedserver import FeedServer
from tests.hardening.hostile import N_ARTICLES, N_STORIES
from tests.hardening.world import feeds_and_hook, webhook_settings


@pytest.fixture
def world() -> Iterator[tuple[FeedServer, Receiver]]:
    with feeds_and_hook(etags=False) as w:
        yield w


_settings = webhook_settings


def _state(store: Store) -> tuple[dict[str, str | None], list[tuple[str, str]], list[str]]:
    with store.begin() as c:
        stories = dict(c.execute(select(t.articles.c.guid, t.articles.c.story_id)).all())
        decisions = sorted(c.execute(select(t.decisions.c.story_id, t.decisions.c.action)).all())
        keys = sorted(c.execute(select(t.deliveries.c.key)).scalars())
    return stories, decisions, keys  # type: ignore[return-value]


async def test_a_worker_that_lost_the_lease_cannot_process_the_batch_again(
        world: tuple[FeedServer, Receiver], store_url: str) -> None:
    feeds, hook = world
    settings = _settings(feeds, hook)
    store = Store.open(store_url)
    try:
        async with Pipeline(settings, store, build_destinations(settings)) as a, \
                Pipeline(settings, store, build_destinations(settings)) as b:
            for src in settings.sources:
                await a.fetch_source(src)
            b.load_models()
            stale = store.unprocessed_articles()  # B read its batch, then its lease expired ...
            assert len(stale) == N_ARTICLES
            a.process_pending()  # ... and A, holding the lease now, processed the same articles
            done = _state(store)
            assert len(set(done[0].values())) == N_STORIES and len(done[2]) == N_STORIES
            with pytest.raises(StoreError, match="already processed"):
                b.processor._process_batch(stale, CycleReport())  # B goes on with what it read
            assert _state(store) == done  # nothing re-clustered, re-decided or queued again
            assert b.process_pending().updated_stories == 0  # B, rebuilt from the store, has nothing left
            assert _state(store) == done
    finally:
        store.close()
