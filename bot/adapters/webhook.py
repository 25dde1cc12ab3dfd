"""Generic JSON webhook: POSTs the alert record (the same JSON as ``--format jsonl``).

Each request carries ``Idempotency-Key: <delivery key>`` so a receiver can drop the
repeat that a crash between posting and recording may cause.
"""

from __future__ import annotations

import email.utils
import time

import httpx

from bot.adapters.base import Notifier
from bot.adapters.console import alert_json, format_text
from bot.errors import DeliveryError, PermanentDeliveryError, RateLimited
from bot.models import Delivery, SentMessage

__all__ = ["WebhookNotifier", "retry_after_seconds"]


def retry_after_seconds(value: str | None, default: float = 30.0) -> float:
    """``Retry-After`` as seconds: a number or an HTTP date."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else default


class WebhookNotifier(Notifier):
    name = "webhook"

    def __init__(self, timeout: float = 10.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def send(self, delivery: Delivery, target: str) -> SentMessage:
        body = {**alert_json(delivery.alert), "text": format_text(delivery.alert), "delivery": delivery.key,
                "thread_id": delivery.thread_id}
        try:
            r = await self._client.post(target, json=body, headers={"Idempotency-Key": delivery.key})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {httpx.URL(target).host}", f"{type(exc).__name__}: {exc}") from exc
        where = f"webhook {r.url.host}"
        if r.status_code == 429:
            raise RateLimited(where, retry_after_seconds(r.headers.get("Retry-After")))
        if r.status_code >= 500 or r.status_code == 408:
            raise DeliveryError(where, f"HTTP {r.status_code}")
        if r.status_code >= 400:
            raise PermanentDeliveryError(where, f"HTTP {r.status_code}: {r.text[:200]}")
        return SentMessage(message_id=r.headers.get("X-Message-Id") or delivery.key)

    async def aclose(self) -> None:
        await self._client.aclose()
