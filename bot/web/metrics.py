"""``/metrics`` for Prometheus: stage counters plus gauges read from the store and the broker.

Counters (fetches, failures by source, articles, stories, alerts, deliveries, queue lag,
classifier latency) come from :mod:`bot.metrics`; across processes they need
``PROMETHEUS_MULTIPROC_DIR``. The gauges here are read at scrape time from the
database and Redis, so they are right whichever process did the work: articles and
stories stored, the processing backlog, deliveries by status, the age of the oldest
delivery that is due (delivery lag), failing sources and the broker queues' lengths.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot import metrics
from bot.store import schema as t
from bot.web.app import WebContext

__all__ = ["StoreCollector", "routes"]

log = logging.getLogger(__name__)
QUEUES = ("signals.core", "signals.fetch")


class StoreCollector(Collector):
    """Gauges computed from the database (and the broker, when one is configured) at scrape time."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        a, s, d, src = t.articles, t.stories, t.deliveries, t.sources
        now = datetime.now(UTC)
        with self.ctx.store.begin() as c:
            n_articles = c.execute(select(func.count()).select_from(a)).scalar_one()
            backlog = c.execute(select(func.count()).select_from(a).where(a.c.processed.is_(False))).scalar_one()
            n_stories = c.execute(select(func.count()).select_from(s)).scalar_one()
            by_status = c.execute(select(d.c.status, func.count()).group_by(d.c.status)).all()
            oldest = c.execute(select(func.min(d.c.next_try_at)).where(
                d.c.status.in_(["pending", "sending"]), d.c.next_try_at <= now)).scalar()
            failing = c.execute(select(func.count()).select_from(src).where(src.c.failures > 0)).scalar_one()
        yield GaugeMetricFamily("signals_articles_stored", "Articles in the store", value=n_articles)
        yield GaugeMetricFamily("signals_articles_unprocessed", "Articles waiting to be processed", value=backlog)
        yield GaugeMetricFamily("signals_stories_stored", "Stories in the store", value=n_stories)
        g = GaugeMetricFamily("signals_outbox", "Outbox rows by status", labels=["status"])
        for status, n in by_status:
            g.add_metric([status], n)
        yield g
        lag = (now - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("signals_delivery_lag_seconds", "Age of the oldest due, unsent delivery", value=lag)
        yield GaugeMetricFamily("signals_sources_failing", "Sources whose last fetch failed", value=failing)
        broker = self.ctx.env.get("SIGNALS_BROKER_URL")
        if broker:
            yield from _queues(broker)


def _queues(url: str) -> Iterator[Metric]:
    import redis

    g = GaugeMetricFamily("signals_queue_length", "Tasks waiting in the broker", labels=["queue"])
    try:
        client = redis.Redis.from_url(url, socket_timeout=2)
        try:
            prefix = os.environ.get("SIGNALS_REDIS_PREFIX", "signals:")  # kombu's global_keyprefix
            for q in QUEUES:
                g.add_metric([q], client.llen(prefix + q))
        finally:
            client.close()
    except redis.RedisError as exc:
        log.warning("cannot read queue lengths: %s", exc)
        return
    yield g


def routes(ctx: WebContext) -> list[BaseRoute]:
    store_registry = CollectorRegistry(auto_describe=False)
    store_registry.register(StoreCollector(ctx))

    def render() -> bytes:
        body = generate_latest(metrics.registry())
        try:
            body += generate_latest(store_registry)
        except Exception as exc:  # the counters are still worth serving when the database is down
            log.warning("store gauges unavailable: %s", exc)
        return body

    async def metrics_endpoint(request: Request) -> Response:
        return Response(await asyncio.to_thread(render), media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics_endpoint)]
