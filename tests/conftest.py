"""Shared fixtures: database URLs for both backends, and the Redis broker for worker tests.

``store_url`` is parametrised over SQLite (a file in tmp_path) and PostgreSQL
(127.0.0.1:5432, trust auth, database ``test``): each PostgreSQL test gets a fresh
schema, dropped afterwards, so tests never see each other's rows. ``redis_url`` gives
each test its own key prefix the same way. Where PostgreSQL or
Redis is not running, those cases are skipped on a developer's machine and fail in CI
(``CI`` set), where ``.ci/run`` starts both.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.fakes.webhook import Receiver

PG_BASE = os.environ.get("SIGNALS_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_HOSTPORT = ("127.0.0.1", 6379)
_RUN = uuid.uuid4().hex[:8]


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _need(service: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{service} is not running on {host}:{port} (.ci/run should have started it)")
    pytest.skip(f"{service} is not running on {host}:{port}")


def _pg_schema_url(schema: str) -> str:
    """Tests don't need each commit flushed to disk (a PostgreSQL crash is not what they test)."""
    sep = "&" if "?" in PG_BASE else "?"
    return f"{PG_BASE}{sep}options={quote(f'-csearch_path={schema} -csynchronous_commit=off')}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new, empty schema (dropped after the test)."""
    _need("PostgreSQL", "127.0.0.1", 5432)
    from sqlalchemy import create_engine, text

    schema = f"t_{_RUN}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_BASE)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for a fresh, empty store: SQLite file or PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/s.db"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def redis_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Redis for one test, in a key namespace of its own (``SIGNALS_REDIS_PREFIX``), deleted afterwards.

    Concurrent test runs on one machine share the server but never each other's queues or leases.
    """
    _need("Redis", *REDIS_HOSTPORT)
    import redis

    url = os.environ.get("SIGNALS_TEST_REDIS", "redis://127.0.0.1:6379/9")
    prefix = f"t{_RUN}{uuid.uuid4().hex[:6]}:"
    monkeypatch.setenv("SIGNALS_REDIS_PREFIX", prefix)
    try:
        yield url
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 that records posts (see tests/fakes/webhook.py)."""
    r = Receiver()
    yield r
    r.close()
