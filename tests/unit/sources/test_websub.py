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


async def test_a_renewal_the_hub_never_verifies_is_not_sent_every_minute(store: Store) -> None:
    """A real hub on loopback whose verification GETs cannot reach us (the public URL went
    stale). The renewal job runs every minute: it re-sent the subscribe request each time,
    60 requests in the last hour of every lease. Now at most four, then the lease ends and
    the source is polled as usual."""
    import socket

    from tests.fakes.websub_hub import Hub as RealHub

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        unreachable = f"http://127.0.0.1:{s.getsockname()[1]}"
    hub = RealHub(lease_seconds=86400)
    clock = [NOW]
    try:
        async with httpx.AsyncClient() as client:
            sub = Subscriber(store, unreachable, client, lease=timedelta(days=10), clock=lambda: clock[0])
            first = await sub.ensure(SRC, FeedMeta(url=SRC.url, hub=hub.url))
            assert first is not None and len(hub.requests) == 1
            verify(store, first.id, {"hub.mode": "subscribe", "hub.topic": first.topic, "hub.challenge": "c",
                                     "hub.lease_seconds": "864000"}, NOW)  # verified back when it was reachable
            live = get_subscription(store, id=first.id)
            assert live is not None and renew_at(live) == NOW + timedelta(days=10, hours=-1)
            start = NOW + timedelta(days=10, hours=-1)
            for minute in range(60):  # the scheduler's job, every minute through the renewal window
                clock[0] = start + timedelta(minutes=minute)
                await sub.renew_due()
                if minute % 15 == 7:  # and a poll now and then
                    await sub.ensure(SRC, FeedMeta(url=SRC.url, hub=hub.url))
            assert len(hub.requests) - 1 == 4
            after = get_subscription(store, id=first.id)
            assert after is not None and not after.live(clock[0] + timedelta(minutes=1))  # the lease ends
    finally:
        hub.close()


async def test_a_removed_sources_subscription_is_ended_not_renewed(store: Store) -> None:
    """Removing (or pausing) a source left its subscription active: renewed every lease for
    good, the hub pushing content that was then ignored."""
    hub = Hub()
    clock = [NOW]
    async with httpx.AsyncClient(transport=hub) as client:
        sub = Subscriber(store, "https://bot.example", client, lease=timedelta(days=1), clock=lambda: clock[0])
        s = await sub.ensure(SRC, FeedMeta(url=SRC.url, hub="https://hub.example/"))
        assert s is not None
        verify(store, s.id, {"hub.mode": "subscribe", "hub.topic": s.topic, "hub.challenge": "c"}, NOW)
        clock[0] = NOW + timedelta(hours=23, minutes=30)
        assert await sub.renew_due(polled={"s"}) == 1 and hub.forms[-1]["hub.mode"] == "subscribe"
        verify(store, s.id, {"hub.mode": "subscribe", "hub.topic": s.topic, "hub.challenge": "c"}, clock[0])
        clock[0] += timedelta(hours=23, minutes=30)
        assert await sub.renew_due(polled={"other"}) == 1  # "s" was removed meanwhile
        assert hub.forms[-1]["hub.mode"] == "unsubscribe" and len(hub.forms) == 3
        ended = get_subscription(store, source="s")
        assert ended is not None and ended.state == "unsubscribing"
        assert await sub.renew_due(polled={"other"}) == 0 and len(hub.forms) == 3


def test_an_absurd_lease_is_read_within_bounds(store: Store) -> None:
    from sqlalchemy import insert

    from bot.store import schema as t

    with store.begin() as c:
        c.execute(insert(t.websub_subscriptions).values(id="x", source="s", topic="T", hub="H", secret="k",
                                                        state="requested", lease_seconds=3600, requested_at=NOW))
    for given, kept in (("-5", 1), ("0", 1), ("10", 10), (str(10**12), 365 * 86400)):
        assert verify(store, "x", {"hub.mode": "subscribe", "hub.topic": "T", "hub.challenge": "c",
                                   "hub.lease_seconds": given}, NOW).status == 200
        sub = get_subscription(store, id="x")
        assert sub is not None and sub.lease_seconds == kept and sub.live(NOW), given
