"""Generic JSON webhook: POSTs the alert record (the same JSON as ``--format jsonl``).

Each request carries ``Idempotency-Key: <delivery key>`` so a receiver can drop the
repeat that a crash between posting and recording may cause.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from bot.adapters.base import Notifier
from bot.adapters.console import alert_json, format_text
from bot.errors import AuthFailed, DeliveryError, PermanentDeliveryError, RateLimited
from bot.ingest.dates import retry_after
from bot.models import Delivery, SentMessage

__all__ = ["WebhookNotifier"]

DEFAULT_RETRY_AFTER = 30.0  # a 429 without a readable Retry-After


class WebhookNotifier(Notifier):
    name = "webhook"

    def __init__(self, timeout: float = 10.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def send(self, delivery: Delivery, target: str) -> SentMessage:
        body = {**alert_json(delivery.alert), "text": format_text(delivery.alert), "delivery": delivery.key,
                "thread_id": delivery.thread_id}
        try:
            r = await self._client.post(target, json=body, headers={"Idempotency-Key": delivery.key})
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:  # retrying cannot fix the URL
            raise PermanentDeliveryError("webhook", f"invalid webhook URL: {exc}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {httpx.URL(target).host}", f"{type(exc).__name__}: {exc}") from exc
        where = f"webhook {r.url.host}"
        if r.status_code == 429:
            wait = retry_after(r.headers.get("Retry-After"), datetime.now(UTC))
            raise RateLimited(where, DEFAULT_RETRY_AFTER if wait is None else wait)
        if r.status_code >= 500 or r.status_code == 408:
            raise DeliveryError(where, f"HTTP {r.status_code}")
        if r.status_code == 401:  # every delivery to it would fail alike: the dispatcher pauses the channel
            raise AuthFailed(where, "HTTP 401: the receiver refuses our credentials")
        if r.status_code >= 400:
            raise PermanentDeliveryError(where, f"HTTP {r.status_code}: {r.text[:200]}")
        return SentMessage(message_id=r.headers.get("X-Message-Id") or delivery.key)

    async def aclose(self) -> None:
        await self._client.aclose()
