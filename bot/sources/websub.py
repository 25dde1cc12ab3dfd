"""WebSub subscriber: feeds that advertise a hub push new entries within seconds.

When a poll sees ``<link rel="hub">`` (or an HTTP ``Link: rel=hub``) and the web process
has a public address (``SIGNALS_PUBLIC_URL``), :class:`Subscriber` asks the hub to POST
updates to ``{public}/websub/{id}`` with a per-subscription secret. The hub then checks
that we asked (a GET with ``hub.challenge``, answered by :func:`verify`), and from then on
pushes the feed document on each update; :func:`check_signature` accepts it only with a
valid ``X-Hub-Signature`` HMAC (sha1/sha256/sha384/sha512) of the body under that secret.
Leases are renewed before they expire (:meth:`Subscriber.renew_due`, a scheduler job, and
on any poll past the renewal time); while no subscription is live the source is simply polled,
so push only ever makes alerts faster, never rarer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import httpx
from sqlalchemy import delete, insert, select, update

from bot.settings import SourceSettings
from bot.sources.observe import FeedMeta
from bot.store import Store
from bot.store import schema as t

__all__ = ["DEFAULT_LEASE", "Subscriber", "Subscription", "VerifyResult", "check_signature",
           "get_subscription", "renew_at", "renewal_due", "verify"]

log = logging.getLogger(__name__)
DEFAULT_LEASE = timedelta(days=5)
RETRY_AFTER = timedelta(minutes=30)  # a hub that did not verify or refused: ask again after this
_ALGOS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


@dataclass(slots=True)
class Subscription:
    id: str
    source: str
    topic: str
    hub: str
    secret: str
    state: str  # requested | active | denied | unsubscribing
    lease_seconds: int | None
    requested_at: datetime
    verified_at: datetime | None = None
    expires_at: datetime | None = None
    last_push_at: datetime | None = None
    error: str | None = None

    def live(self, now: datetime) -> bool:
        return self.state == "active" and self.expires_at is not None and self.expires_at > now


def _row(r: object) -> Subscription:
    m = r._mapping  # type: ignore[attr-defined]
    return Subscription(**{k: m[k] for k in Subscription.__dataclass_fields__})


def get_subscription(store: Store, *, id: str | None = None, source: str | None = None) -> Subscription | None:
    w = t.websub_subscriptions
    q = select(w).where(w.c.id == id) if id is not None else select(w).where(w.c.source == source)
    with store.begin() as c:
        r = c.execute(q).first()
    return _row(r) if r is not None else None


def _window(sub: Subscription) -> timedelta:
    return min(timedelta(seconds=(sub.lease_seconds or 0) / 10), timedelta(hours=1))


def renew_at(sub: Subscription) -> datetime | None:
    """When to renew: a tenth of the lease (at most an hour) before it ends."""
    if sub.expires_at is None or not sub.lease_seconds:
        return None
    return sub.expires_at - _window(sub)


def renewal_due(sub: Subscription, now: datetime) -> bool:
    """A live subscription is renewed from :func:`renew_at` on, and asked again at most four
    times in that window while the hub does not re-verify (a callback it cannot reach, an
    error): the renewal job runs every minute and each poll checks too, so without this a
    hub was sent a subscribe request every minute for the last hour of every lease."""
    at = renew_at(sub)
    if at is None:
        return sub.state == "active"
    if now < at:
        return False
    return sub.requested_at < at or now - sub.requested_at >= min(RETRY_AFTER, _window(sub) / 4)


def check_signature(secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature: sha256=<hex>`` over the raw body, compared in constant time."""
    if not header or "=" not in header:
        return False
    algo, _, digest = header.strip().partition("=")
    fn = _ALGOS.get(algo.lower())
    if fn is None:
        return False
    expected = hmac.new(secret.encode(), body, fn).hexdigest()
    # as bytes: compare_digest raises TypeError on a str with non-ASCII characters (was an HTTP 500)
    return hmac.compare_digest(expected.encode(), digest.strip().lower().encode("utf-8", "replace"))


@dataclass(frozen=True, slots=True)
class VerifyResult:
    status: int
    body: str


def verify(store: Store, sub_id: str, params: dict[str, str], now: datetime) -> VerifyResult:
    """Answer the hub's verification GET (or its denial notice) for subscription ``sub_id``."""
    sub = get_subscription(store, id=sub_id)
    mode, topic = params.get("hub.mode", ""), params.get("hub.topic", "")
    if sub is None:
        return VerifyResult(404, "unknown subscription")
    if topic and topic != sub.topic:
        log.warning("websub verification for another topic refused", extra={"source": sub.source, "topic": topic})
        return VerifyResult(404, "topic mismatch")
    w = t.websub_subscriptions
    if mode == "denied":
        with store.begin() as c:
            c.execute(update(w).where(w.c.id == sub_id).values(state="denied",
                                                                error=params.get("hub.reason") or "denied by hub"))
        log.warning("websub subscription denied", extra={"source": sub.source, "hub": sub.hub})
        return VerifyResult(200, "")
    challenge = params.get("hub.challenge", "")
    if not challenge:
        return VerifyResult(400, "hub.challenge missing")
    if mode == "subscribe" and sub.state in ("requested", "active"):
        try:
            lease = int(params.get("hub.lease_seconds") or sub.lease_seconds or DEFAULT_LEASE.total_seconds())
        except ValueError:
            return VerifyResult(400, "bad hub.lease_seconds")
        # a lease of 0 or less was never live; 10**12 s overflowed the expiry date (HTTP 500 to the
        # hub, which retried): read within [1 s, 1 year]
        lease = min(max(lease, 1), 365 * 86400)
        with store.begin() as c:
            c.execute(update(w).where(w.c.id == sub_id).values(
                state="active", lease_seconds=lease, verified_at=now, expires_at=now + timedelta(seconds=lease),
                error=None))
        log.info("websub subscription verified", extra={"source": sub.source, "hub": sub.hub, "lease": lease})
        return VerifyResult(200, challenge)
    if mode == "unsubscribe" and sub.state == "unsubscribing":
        with store.begin() as c:
            c.execute(delete(w).where(w.c.id == sub_id))
        return VerifyResult(200, challenge)
    return VerifyResult(404, f"not expecting {mode or 'no mode'}")


class Subscriber:
    """Subscribes, renews and unsubscribes. ``client`` should carry the SSRF guard."""

    def __init__(self, store: Store, public_url: str | None, client: httpx.AsyncClient, *,
                 lease: timedelta = DEFAULT_LEASE, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.public_url = public_url.rstrip("/") if public_url else None
        self.client = client
        self.lease = lease
        self.clock = clock

    def callback(self, sub_id: str) -> str:
        assert self.public_url
        return f"{self.public_url}/websub/{sub_id}"

    def _due(self, sub: Subscription, hub: str, topic: str, now: datetime) -> bool:
        if sub.hub != hub or sub.topic != topic:
            return True
        if sub.state == "active":
            return renewal_due(sub, now)
        return now - sub.requested_at >= RETRY_AFTER  # requested (not verified yet), denied or failed

    async def ensure(self, source: SourceSettings, meta: FeedMeta | None) -> Subscription | None:
        """Subscribe (or renew) when the feed advertises a hub; the current subscription otherwise."""
        now = self.clock()
        sub = get_subscription(self.store, source=source.name)
        if not self.public_url or meta is None or not meta.hub:
            return sub
        hub = urljoin(meta.url, meta.hub)
        topic = urljoin(meta.url, meta.self_url) if meta.self_url else source.url
        if sub is not None and not self._due(sub, hub, topic, now):
            return sub
        return await self.subscribe(source.name, hub, topic, existing=sub)

    async def renew_due(self, polled: Collection[str] | None = None) -> int:
        """Renew every live subscription whose renewal time has come (a scheduler job calls this).

        ``polled``: the names of the sources polled now; a due subscription of any other source
        (removed or paused since) is ended instead — it was renewed for good, its pushes ignored.
        """
        now = self.clock()
        w = t.websub_subscriptions
        with self.store.begin() as c:
            subs = [_row(r) for r in c.execute(select(w).where(w.c.state == "active"))]
        due = [s for s in subs if renew_at(s) is not None and renewal_due(s, now)]
        for sub in due:
            if polled is not None and sub.source not in polled:
                log.info("websub subscription of a source no longer polled ended", extra={"source": sub.source})
                await self.unsubscribe(sub.source)
                continue
            await self.subscribe(sub.source, sub.hub, sub.topic, existing=sub)
        return len(due)

    async def subscribe(self, source: str, hub: str, topic: str, existing: Subscription | None = None) -> Subscription:
        now = self.clock()
        sub_id = existing.id if existing else secrets.token_urlsafe(18)
        secret = existing.secret if existing and existing.hub == hub else secrets.token_hex(32)
        w = t.websub_subscriptions
        lease = int(self.lease.total_seconds())
        state = "active" if existing is not None and existing.live(now) and existing.hub == hub else "requested"
        with self.store.begin() as c:
            if existing is None:
                c.execute(insert(w).values(id=sub_id, source=source, topic=topic, hub=hub, secret=secret, state=state,
                                           lease_seconds=lease, requested_at=now))
            else:  # a renewal keeps its state (pushes keep flowing) until the hub re-verifies
                c.execute(update(w).where(w.c.id == sub_id).values(topic=topic, hub=hub, secret=secret, state=state,
                                                                    requested_at=now, error=None))
        error = await self._post(hub, {"hub.mode": "subscribe", "hub.topic": topic, "hub.callback": self.callback(sub_id),
                                       "hub.secret": secret, "hub.lease_seconds": str(lease)})
        if error:
            with self.store.begin() as c:
                c.execute(update(w).where(w.c.id == sub_id).values(error=error))
            log.warning("websub subscribe failed: %s", error, extra={"source": source, "hub": hub})
        else:
            log.info("websub subscription requested", extra={"source": source, "hub": hub, "topic": topic})
        sub = get_subscription(self.store, id=sub_id)
        assert sub is not None
        return sub

    async def unsubscribe(self, source: str) -> bool:
        sub = get_subscription(self.store, source=source)
        if sub is None:
            return False
        w = t.websub_subscriptions
        with self.store.begin() as c:
            c.execute(update(w).where(w.c.id == sub.id).values(state="unsubscribing"))
        if self.public_url:
            await self._post(sub.hub, {"hub.mode": "unsubscribe", "hub.topic": sub.topic,
                                       "hub.callback": self.callback(sub.id)})
        return True

    async def _post(self, hub: str, form: dict[str, str]) -> str | None:
        try:
            resp = await self.client.post(hub, data=form)
        except Exception as exc:  # network errors and the SSRF guard's refusal alike: polling goes on
            return f"{type(exc).__name__}: {exc}"
        if resp.status_code not in (202, 204, 200):
            return f"hub answered HTTP {resp.status_code}: {resp.text[:200]}"
        return None


def record_push(store: Store, sub_id: str, now: datetime) -> None:
    w = t.websub_subscriptions
    with store.begin() as c:
        c.execute(update(w).where(w.c.id == sub_id).values(last_push_at=now))
