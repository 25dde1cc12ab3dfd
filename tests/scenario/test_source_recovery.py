"""A source that dies and comes back, over loopback: reported once, tried again, resumed by itself.

The feed server answers 404 for a while, then the feed again. Through the real pipeline
(httpx, SQLite, the outbox): the source is paused after ``pause_after_failures`` polls, the
channel gets one notice, the paused source is tried again at ``max_every`` and, once the
feed answers, resumes with one "working again" notice — for a source added from chat as
for one in the config file.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import formatdate

import pytest
from sqlalchemy import select

from bot.commands import CommandService, Invocation
from bot.outbox import alert_from_dict
from bot.pipeline import Pipeline
from bot.settings import settings_from_mapping
from bot.store import Store
from bot.store import schema as t
from tests.feedserver import FeedServer, Reply, feed_server

__all__ = ["feed_server"]


def rss(n: int) -> bytes:
    items = "".join(f"<item><title>Story {i}</title><link>https://back.example/{i}</link><guid>b{i}</guid>"
                    f"<pubDate>{formatdate(time.time() - 600 * i, usegmt=True)}</pubDate>"
                    f"<description>Text of story {i}.</description></item>" for i in range(n))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Comeback News</title>"
            f"<link>https://back.example/</link><description>d</description>{items}</channel></rss>").encode()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)  # SQLite and PostgreSQL
    yield s
    s.close()


def two_hours_later(store: Store, url: str) -> None:
    """The paused source's next try (``max_every`` ahead) has come."""
    st = store.fetch_state("Comeback News", url)
    assert st.next_poll_at is not None and st.next_poll_at > datetime.now(UTC)
    st.next_poll_at = datetime.now(UTC) - timedelta(seconds=1)
    store.save_fetch_state(st)


def notices(store: Store) -> list[str]:
    d = t.deliveries
    with store.begin() as c:
        rows = c.execute(select(d.c.key, d.c.payload).where(d.c.kind == "notice").order_by(d.c.id)).all()
    return [alert_from_dict(r.payload).text for r in rows]


async def test_a_dead_source_added_from_chat_is_reported_then_resumes_by_itself(
        store: Store, feed_server: FeedServer) -> None:
    """Before: a source added at runtime got no health notice at all (the job read the config's
    sources only), and a source paused after failures stayed paused for good — a feed down for
    an afternoon was silently dead until someone typed ``feeds resume``."""
    url = feed_server.add("/back.xml", Reply(body=rss(2)))
    settings = settings_from_mapping({
        "channels": [{"name": "news", "console": True, "admins": ["U_ADMIN"], "slack": "C1"}],
        "fetch": {"allow_hosts": ["127.0.0.1"], "retries": 0, "pause_after_failures": 3, "max_every": "2h"},
        "source_alert_after": "1h"})
    reply = CommandService(settings, store).run(Invocation(text=f"feeds add {url}", user="U_ADMIN",
                                                           platform_channel="C1"))
    assert not reply.error, reply.text
    feed_server.add("/back.xml", Reply(status=404, body=b"gone for now", content_type="text/plain"))
    async with Pipeline(settings, store, {}, dry_run=True) as p:
        p.process = False
        for _ in range(3):
            await p.run_cycle()
        st = store.fetch_state("Comeback News", url)
        assert st.paused and "3 consecutive failures, tried again every 2h" in (st.pause_reason or "")
        assert st.next_poll_at is not None and st.next_poll_at - datetime.now(UTC) > timedelta(minutes=119)
        hits = feed_server.hits["/back.xml"]
        await p.run_cycle()  # paused: not tried before next_poll_at
        assert feed_server.hits["/back.xml"] == hits
        p.housekeeping()
        p.housekeeping()  # told once
        down = notices(store)
        assert down == ["Source Comeback News is paused after 3 consecutive failures, tried again every 2h; last error: "
                        "Comeback News: HTTP 404 Not Found. Stories from it are missing until it recovers."], down

        two_hours_later(store, url)  # tried again: still 404, still paused, no second notice
        await p.run_cycle()
        assert feed_server.hits["/back.xml"] == hits + 1 and store.fetch_state("Comeback News", url).paused
        p.housekeeping()
        assert len(notices(store)) == 1

        feed_server.add("/back.xml", Reply(body=rss(3)))  # the feed is back
        two_hours_later(store, url)
        report = await p.run_cycle()
        st = store.fetch_state("Comeback News", url)
        assert not st.paused and st.failures == 0 and st.pause_reason is None
        assert report.new_articles == 3 and report.paused == 0
        p.housekeeping()
        told = notices(store)
        assert len(told) == 2 and "Comeback News is working again" in told[1], told


async def test_a_gone_feed_stays_paused(store: Store, feed_server: FeedServer) -> None:
    """410 Gone means removed for good: it is not tried again (a person can resume it)."""
    url = feed_server.add("/gone.xml", Reply(status=410, body=b"gone", content_type="text/plain"))
    settings = settings_from_mapping({"sources": [{"name": "Gone", "url": url}],
                                      "fetch": {"retries": 0}})
    async with Pipeline(settings, store, {}, process=False) as p:
        await p.run_cycle()
        await p.run_cycle()
    st = store.fetch_state("Gone", url)
    assert st.paused and st.gone and st.next_poll_at is None and feed_server.hits["/gone.xml"] == 1
