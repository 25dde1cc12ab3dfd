"""One article the pipeline cannot process must not stop every article after it, nor the
delivery of alerts already queued.

The article is made unprocessable the way a long-running bot meets it: a corrupt row (here its
text stored as bytes, as a manual edit, an old bug or a damaged file can leave it). Before, the
batch holding it failed on every pass: no later article became a story again, and in one
process the alerts already in the outbox waited too, since delivery came after processing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.adapters.registry import build_destinations
from bot.models import Alert, AlertKind
from bot.outbox import NewDelivery
from bot.pipeline import Pipeline
from bot.store import Store
from bot.store import schema as t
from tests.fakes.webhook import Receiver
from tests.feedserver import FeedServer
from tests.hardening.hostile import N_ARTICLES
from tests.hardening.world import feeds_and_hook, webhook_settings


@pytest.fixture
def world() -> Iterator[tuple[FeedServer, Receiver]]:
    with feeds_and_hook() as w:
        yield w


def _corrupt(store: Store, which: str | None = None) -> str | None:
    """Store the text of the first or last (by id) unprocessed article, or of every one (None), as
    bytes; returns its title."""
    a = t.articles
    with store.begin() as c:
        ids = [r.id for r in c.execute(select(a.c.id).where(a.c.processed.is_(False)).order_by(a.c.id))]
        target = ids if which is None else [ids[0] if which == "first" else ids[-1]]
        c.execute(update(a).where(a.c.id.in_(target)).values(text=b"\xff\x00 not text"))
        return None if which is None else c.execute(select(a.c.title).where(a.c.id == target[0])).scalar_one()


def _articles(store: Store) -> dict[str, tuple[bool, str | None]]:
    a = t.articles
    with store.begin() as c:
        return {r.title: (r.processed, r.story_id) for r in c.execute(select(a.c.title, a.c.processed, a.c.story_id))}


@pytest.mark.parametrize("which", ["first", "last"])
async def test_an_article_that_cannot_be_processed_is_set_aside_and_the_rest_flow(
        world: tuple[FeedServer, Receiver], tmp_path: Path, caplog: pytest.LogCaptureFixture, which: str) -> None:
    """First in its batch, it is set aside once a later article went through; last, because the
    earlier ones did (a batch where nothing goes through is the next test)."""
    feeds, hook = world
    settings = webhook_settings(feeds, hook)
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        async with Pipeline(settings, store, build_destinations(settings), process=False) as p:
            assert (await p.run_cycle()).new_articles == N_ARTICLES
            bad = _corrupt(store, which)
            with caplog.at_level(logging.ERROR):
                report = await p.process_and_deliver()
        state = _articles(store)
        assert state.pop(bad) == (True, None)  # set aside: stored, never a story, not retried
        assert all(done and sid for done, sid in state.values())
        assert report.set_aside == 1 and "1 set aside" in str(report)
        alerts = [r["story_id"] for r in hook.received if r["kind"] == "alert"]
        assert sorted(alerts) == sorted({sid for _, sid in state.values()})  # every other story, once
        msg = next(r for r in caplog.records if "set aside" in r.getMessage())
        assert msg.source in ("wire", "daily") and bad in msg.getMessage()  # type: ignore[attr-defined]
    finally:
        store.close()


async def test_when_nothing_can_be_processed_nothing_is_set_aside_and_queued_alerts_still_go(
        world: tuple[FeedServer, Receiver], tmp_path: Path) -> None:
    """A failure of every article is the pipeline's, not theirs (a broken model, a bug): nothing is
    set aside, the error is raised each pass, and alerts already queued are delivered meanwhile."""
    feeds, hook = world
    settings = webhook_settings(feeds, hook)
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        async with Pipeline(settings, store, build_destinations(settings), process=False) as p:
            await p.run_cycle()
            _corrupt(store)
            queued = Alert(kind=AlertKind.ALERT, channel="hook", story_id="s-earlier", title="Queued before",
                           url="https://news.example/earlier", importance=7, category="Industry")
            with store.begin() as c:
                p.outbox.enqueue(c, [NewDelivery("alert:s-earlier:hook", queued)], p.clock())
            for _ in range(2):
                with pytest.raises(TypeError):
                    await p.process_and_deliver()
        assert all(state == (False, None) for state in _articles(store).values())  # all still to do
        assert [r["title"] for r in hook.received if r["kind"] == "alert"] == ["Queued before"]
    finally:
        store.close()
