"""/readyz and /metrics over ASGI, against a real SQLite store, a loopback webhook and Redis."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot import metrics
from bot.models import Article
from bot.settings import Settings, settings_from_mapping
from bot.store import Store
from bot.web.app import WebContext, create_app
from tests.fakes.webhook import Receiver

PARTS = ["bot.web.health", "bot.web.metrics"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/s.db")
    yield s
    s.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(hook: str) -> Settings:
    return settings_from_mapping({"channels": [{"name": "ops", "webhook": hook}, {"name": "c", "console": True}]})


async def _get(ctx: WebContext, path: str) -> httpx.Response:
    app = create_app(ctx, parts=PARTS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get(path)


async def test_ready_when_database_broker_and_adapters_answer(store: Store, receiver: Receiver,
                                                              redis_url: str) -> None:
    ctx = WebContext(settings=_settings(receiver.url()), store=store, env={"SIGNALS_BROKER_URL": redis_url})
    r = await _get(ctx, "/readyz")
    body = r.json()
    assert r.status_code == 200, body
    assert body["status"] == "ready"
    names = {c["name"] for c in body["checks"]}
    assert {"database", "broker"} <= names and any(n.startswith("webhook:127.0.0.1") for n in names)
    assert not receiver.received  # reachability is checked without posting anything


async def test_not_ready_names_what_is_down(store: Store) -> None:
    dead = _free_port()
    ctx = WebContext(settings=_settings(f"http://127.0.0.1:{dead}/hook"), store=store,
                     env={"SIGNALS_BROKER_URL": f"redis://127.0.0.1:{_free_port()}/0"})
    r = await _get(ctx, "/readyz")
    assert r.status_code == 503
    failing = {c["name"] for c in r.json()["checks"] if not c["ok"]}
    assert failing == {"broker", f"webhook:127.0.0.1:{dead}"}


async def test_metrics_show_counters_and_store_gauges(store: Store) -> None:
    now = datetime.now(UTC)
    store.add_articles([Article(source="wire", guid="g1", url="https://e.x/1", canonical_url="https://e.x/1",
                                title="T", text="x", published_at=now, fetched_at=now, content_hash="h1")])
    metrics.record_fetch("wire", "error")
    metrics.record_delivery("sent", 2)
    with metrics.classifier_timer():
        pass
    ctx = WebContext(settings=_settings("http://127.0.0.1:9/hook"), store=store)
    r = await _get(ctx, "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'signals_fetch_failures_total{source="wire"}' in text
    assert 'signals_fetches_total{status="error"}' in text
    assert 'signals_deliveries_total{status="sent"}' in text
    assert "signals_classifier_seconds_count" in text
    assert "signals_articles_stored 1.0" in text and "signals_articles_unprocessed 1.0" in text
    assert "signals_delivery_lag_seconds 0.0" in text
