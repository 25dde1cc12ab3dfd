"""WebSub pieces without a hub: signatures, the verification answer, renewal times, subscription requests."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.settings import SourceSettings
from bot.sources.observe import FeedMeta
from bot.sources.websub import Subscriber, check_signature, get_subscription, renew_at, verify
from bot.store import Store

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SRC = SourceSettings(name="s", url="https://s.example/feed.xml")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/w.db")
    yield s
    s.close()


def sign(secret: str, body: bytes, algo: str = "sha256") -> str:
    return f"{algo}=" + hmac.new(secret.encode(), body, getattr(hashlib, algo)).hexdigest()


def test_check_signature() -> None:
    body = b"<rss/>"
    assert check_signature("k", body, sign("k", body))
    assert check_signature("k", body, sign("k", body, "sha1"))
    assert check_signature("k", body, sign("k", body, "sha512").upper().replace("SHA512=", "sha512="))
    assert not check_signature("k", body, sign("other", body))
    assert not check_signature("k", body + b" ", sign("k", body))
    assert not check_signature("k", body, None)
    assert not check_signature("k", body, "md5=" + hashlib.md5(body).hexdigest())
    assert not check_signature("k", body, "garbage")


class Hub(httpx.AsyncBaseTransport):
    """Records subscription requests; answers 202 (or ``status``)."""

    def __init__(self, status: int = 202) -> None:
        self.forms: list[dict[str, str]] = []
        self.status = status

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from urllib.parse import parse_qsl

        self.forms.append(dict(parse_qsl((await request.aread()).decode())))
        return httpx.Response(self.status)


async def test_subscribe_verify_renew_unsubscribe(store: Store) -> None:
    hub = Hub()
    clock = [NOW]
    async with httpx.AsyncClient(transport=hub) as client:
        sub = Subscriber(store, "https://bot.example/", client, lease=timedelta(days=1), clock=lambda: clock[0])
        none = await sub.ensure(SRC, FeedMeta(url=SRC.url))
        assert none is None and not hub.forms  # no hub advertised
        meta = FeedMeta(url=SRC.url, hub="/hub", self_url="https://s.example/feed.xml?self")
        s = await sub.ensure(SRC, meta)
        assert s is not None and s.state == "requested" and s.hub == "https://s.example/hub"
        form = hub.forms[-1]
        assert form["hub.mode"] == "subscribe" and form["hub.topic"] == "https://s.example/feed.xml?self"
        assert form["hub.callback"] == f"https://bot.example/websub/{s.id}" and len(form["hub.secret"]) == 64
        assert form["hub.lease_seconds"] == "86400"
        assert await sub.ensure(SRC, meta) is not None and len(hub.forms) == 1  # pending: not asked again

        # the hub's verification GET
        assert verify(store, "nope", {"hub.mode": "subscribe", "hub.challenge": "c"}, NOW).status == 404
        assert verify(store, s.id, {"hub.mode": "subscribe", "hub.topic": "https://evil.example/",
                                    "hub.challenge": "c"}, NOW).status == 404
        assert verify(store, s.id, {"hub.mode": "unsubscribe", "hub.topic": s.topic, "hub.challenge": "c"},
                      NOW).status == 404  # we did not ask to unsubscribe
        res = verify(store, s.id, {"hub.mode": "subscribe", "hub.topic": s.topic, "hub.challenge": "xyz",
                                   "hub.lease_seconds": "3600"}, NOW)
        assert (res.status, res.body) == (200, "xyz")
        live = get_subscription(store, source="s")
        assert live is not None and live.live(NOW) and live.expires_at == NOW + timedelta(hours=1)
        assert renew_at(live) == NOW + timedelta(minutes=54)

        clock[0] = NOW + timedelta(minutes=30)
        assert await sub.renew_due() == 0
        clock[0] = NOW + timedelta(minutes=55)
        assert await sub.renew_due() == 1
        assert hub.forms[-1]["hub.secret"] == form["hub.secret"]  # same hub: same secret, same callback
        assert get_subscription(store, source="s").state == "active"  # type: ignore[union-attr]

        assert await sub.unsubscribe("s")
        assert hub.forms[-1]["hub.mode"] == "unsubscribe"
        res = verify(store, s.id, {"hub.mode": "unsubscribe", "hub.topic": s.topic, "hub.challenge": "bye"}, NOW)
        assert (res.status, res.body) == (200, "bye") and get_subscription(store, source="s") is None


async def test_denied_and_failing_hub(store: Store) -> None:
    meta = FeedMeta(url=SRC.url, hub="https://hub.example/")
    async with httpx.AsyncClient(transport=Hub(status=500)) as client:
        sub = Subscriber(store, "https://bot.example", client, clock=lambda: NOW)
        s = await sub.ensure(SRC, meta)
        assert s is not None and s.error and "500" in s.error
    assert verify(store, s.id, {"hub.mode": "denied", "hub.topic": s.topic, "hub.reason": "nope"}, NOW).status == 200
    denied = get_subscription(store, id=s.id)
    assert denied is not None and denied.state == "denied" and denied.error == "nope" and not denied.live(NOW)


async def test_no_public_url_no_subscription(store: Store) -> None:
    async with httpx.AsyncClient(transport=Hub()) as client:
        sub = Subscriber(store, None, client)
        assert await sub.ensure(SRC, FeedMeta(url=SRC.url, hub="https://hub.example/")) is None
