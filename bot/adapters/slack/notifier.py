"""Post alerts to Slack through slack_sdk's ``AsyncWebClient``, exactly once.

* Every post carries ``metadata`` ``signals_delivery`` with the outbox key; after a crash
  between posting and recording, :meth:`SlackNotifier.find_sent` looks for that key in
  the channel's recent history (or the thread) so the dispatcher never posts twice.
* 429s: the client's rate-limit retry handler waits a short ``Retry-After`` (≤ 10 s) and
  retries once; past that budget, or for a longer wait, we raise :class:`RateLimited` and
  the outbox pauses only that channel until then.
  We also pace ourselves to about one message per second per channel.
* Errors that retrying cannot fix (``msg_too_long``, ``missing_scope``, ...) raise
  :class:`PermanentDeliveryError` for that delivery only; a refused token (``invalid_auth``,
  ``token_revoked``, ...) raises :class:`AuthFailed`, and a channel that cannot take posts
  (``is_archived``, ``channel_not_found``, ``not_in_channel``, posting restricted)
  :class:`ChannelUnavailable`: both pause the channel instead. 5xx and network failures raise
  :class:`DeliveryError` and are retried with backoff.
* A user may delete an alert. Editing it then answers ``message_not_found``, raised as
  :class:`OriginalGone` (the dispatcher posts the follow-up as the story's alert instead); a
  reply naming it as ``thread_ts`` is posted by Slack at the top of the channel, without
  ``thread_ts`` in the answer (a parent with replies stays as a tombstone and keeps its
  thread): that bare note is then edited into the full alert and reported as ``stands_in``.
* The client retries reads and edits itself on 5xx and dropped connections, but never a
  post (``chat.postMessage``): such a failure can come after Slack stored the message, and a
  blind repeat would post it twice. The outbox retries it later, looking for it first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import Notifier
from bot.adapters.slack.blocks import SOURCES_BLOCK, clamp_blocks, render, render_alert, sources_block
from bot.errors import (
    AuthFailed,
    ChannelUnavailable,
    DeliveryError,
    OriginalGone,
    PermanentDeliveryError,
    RateLimited,
)
from bot.models import AlertKind, Delivery, SentMessage

__all__ = ["AUTH_ERRORS", "CHANNEL_ERRORS", "EVENT_TYPE", "NOT_REPEATED", "PERMANENT_ERRORS", "ShortRateLimitRetryHandler", "SlackNotifier",
           "make_client"]

log = logging.getLogger(__name__)

EVENT_TYPE = "signals_delivery"
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "invalid_auth", "account_inactive", "is_archived", "token_revoked",
    "token_expired", "not_authed", "missing_scope", "no_permission", "restricted_action", "ekm_access_denied",
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
    "message_not_found", "cant_update_message", "edit_window_closed", "invalid_metadata_format",
    "invalid_metadata_schema", "metadata_too_large", "team_access_not_granted", "org_login_required",
})

AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})
# the channel cannot take the bot's posts until someone acts (not "restricted_action_non_threadable_channel":
# only thread replies are refused there, and follow-ups must not stop the channel's alerts)
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived", "restricted_action",
                            "restricted_action_read_only_channel", "restricted_action_thread_only_channel"})
GONE_ERRORS = {"chat.update": frozenset({"message_not_found"})}  # the message we edit was deleted
# the message is there but may not be edited any more: the workspace's "message editing" limit, or
# the message is not the bot's to edit; an edit follow-up is then posted in the alert's thread
EDIT_REFUSED = frozenset({"edit_window_closed", "cant_update_message"})


class EditRefused(PermanentDeliveryError):
    """``chat.update`` refused: the message exists but may not be edited (``EDIT_REFUSED``)."""


class ShortRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Wait out a 429 in place only when ``Retry-After`` is short; a long one is raised at once as
    :class:`RateLimited`, so the outbox pauses just that channel instead of blocking the dispatcher."""

    def __init__(self, max_retry_count: int = 1, max_wait: float = 10.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        for k, v in response.headers.items():
            if k.lower() == "retry-after":
                try:
                    return float(v[0] if isinstance(v, list | tuple) else v) <= self.max_wait
                except (TypeError, ValueError):
                    return False
        return True


NOT_REPEATED = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage"})


def _is_post(request: HttpRequest) -> bool:
    return request.url.rstrip("/").rsplit("/", 1)[-1] in NOT_REPEATED


class _NotForPosts:
    """Mixed into a slack_sdk retry handler: it never retries a post (see ``NOT_REPEATED``)."""

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None, error: Exception | None = None) -> bool:
        return not _is_post(request) and await super()._can_retry_async(  # type: ignore[misc]
            state=state, request=request, response=response, error=error)


class NoRepostConnectionErrorRetryHandler(_NotForPosts, AsyncConnectionErrorRetryHandler):
    """Retry dropped connections, except for posts: the post may have been stored before the drop."""


class NoRepostServerErrorRetryHandler(_NotForPosts, AsyncServerErrorRetryHandler):
    """Retry 500/503, except for posts: Slack may have stored the message before failing the answer."""


def make_client(token: str, base_url: str | None = None, *, rate_limit_retries: int = 1,
                server_error_retries: int = 2, timeout: int = 15, max_wait: float = 10.0) -> AsyncWebClient:
    """An ``AsyncWebClient`` with retry handlers for 429 (short ``Retry-After``: the request was refused,
    so repeating it is safe), and for 5xx and dropped connections on everything but posts."""
    kwargs: dict[str, Any] = {}
    if base_url:
        kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    return AsyncWebClient(token=token, timeout=timeout, retry_handlers=[
        NoRepostConnectionErrorRetryHandler(max_retry_count=2),
        ShortRateLimitRetryHandler(max_retry_count=rate_limit_retries, max_wait=max_wait),
        NoRepostServerErrorRetryHandler(max_retry_count=server_error_retries),
    ], **kwargs)


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", {}) or {}
    for k, v in headers.items():
        if k.lower() == "retry-after":
            value = v[0] if isinstance(v, list | tuple) else v
            try:
                return max(1.0, float(value))
            except (TypeError, ValueError):
                break
    return 30.0


class SlackNotifier(Notifier):
    """``SlackNotifier(token=..., base_url=...)``; ``target`` is a channel id such as ``C0123``."""

    name = "slack"

    def __init__(self, token: str, base_url: str | None = None, *, client: AsyncWebClient | None = None,
                 min_interval: float = 1.0, history_limit: int = 200, rate_limit_retries: int = 1,
                 server_error_retries: int = 2) -> None:
        self.client = client or make_client(token, base_url, rate_limit_retries=rate_limit_retries,
                                            server_error_retries=server_error_retries)
        self.min_interval = min_interval
        self.history_limit = history_limit
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    # -- the contract ---------------------------------------------------------------------
    async def send(self, delivery: Delivery, target: str) -> SentMessage:
        alert = delivery.alert
        meta = {"event_type": EVENT_TYPE, "event_payload": {"key": delivery.key}}
        async with self._paced(target):
            if alert.kind is AlertKind.FOLLOWUP and delivery.thread_id:
                if alert.followup_mode == "edit":
                    try:
                        await self._edit_sources(delivery, target)
                        return SentMessage(message_id=delivery.thread_id)
                    except EditRefused as exc:  # an old alert: the coverage goes into its thread instead
                        log.warning("the story's alert can no longer be edited (%s): its new sources are posted "
                                    "in its thread", exc, extra={"channel": target, "delivery": delivery.key})
                text, blocks = render(alert)
                resp = await self._call("chat_postMessage", target, channel=target, thread_ts=delivery.thread_id,
                                        text=text, blocks=blocks, metadata=meta, unfurl_links=False,
                                        unfurl_media=False)
                message = resp.get("message")
                if isinstance(message, dict) and not message.get("thread_ts"):
                    return await self._unthreaded(delivery, target, str(resp.get("ts") or ""))
            else:
                # a follow-up whose alert never reached the channel is posted as a full alert
                text, blocks = render_alert(alert) if alert.kind is AlertKind.FOLLOWUP else render(alert)
                resp = await self._call("chat_postMessage", target, channel=target, text=text, blocks=blocks,
                                        metadata=meta, unfurl_links=False, unfurl_media=False)
        ts = str(resp.get("ts") or "")
        log.info("posted to slack", extra={"channel": target, "delivery": delivery.key, "ts": ts})
        return SentMessage(message_id=ts)

    async def find_sent(self, delivery: Delivery, target: str) -> SentMessage | None:
        """Look for our metadata key in recent history (or the story's thread for replies)."""
        alert = delivery.alert
        # (an edit is idempotent, but one Slack refused went into the thread as a reply: look there too)
        if alert.kind is AlertKind.FOLLOWUP and delivery.thread_id:
            messages = await self._thread(target, delivery.thread_id)
        else:
            resp = await self._call("conversations_history", target, channel=target, include_all_metadata=True,
                                    limit=self.history_limit)
            messages = resp.get("messages") or []
        for msg in messages:
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and (meta.get("event_payload") or {}).get("key") == delivery.key:
                log.info("delivery was already posted; reconciled", extra={"channel": target, "delivery": delivery.key})
                return SentMessage(message_id=str(msg.get("ts")))
        return None

    async def _thread(self, target: str, ts: str, max_pages: int = 20) -> list[dict[str, Any]]:
        """A thread's messages to its end: Slack lists them oldest first, a page at a time, and the
        reply looked for is among the newest (a long-covered story has hundreds)."""
        messages: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(max_pages):
            resp = await self._call("conversations_replies", target, channel=target, ts=ts, include_all_metadata=True,
                                    limit=self.history_limit, **({"cursor": cursor} if cursor else {}))
            messages += resp.get("messages") or []
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not (resp.get("has_more") and cursor):
                break
        return messages

    # -- helpers --------------------------------------------------------------------------
    async def _unthreaded(self, delivery: Delivery, target: str, ts: str) -> SentMessage:
        """The alert was deleted, so Slack posted the reply at the top of the channel: make that
        bare "also covered by" note the story's full alert (later follow-ups reply to it)."""
        log.warning("the story's alert was deleted; its follow-up became the alert",
                    extra={"channel": target, "delivery": delivery.key, "ts": ts})
        text, blocks = render_alert(delivery.alert)
        try:
            await self._call("chat_update", target, channel=target, ts=ts, text=text, blocks=blocks)
        except DeliveryError as exc:  # posted all the same: the note stays, later ones reply to it
            log.warning("could not turn the follow-up into the alert: %s", exc,
                        extra={"channel": target, "delivery": delivery.key})
        return SentMessage(message_id=ts, stands_in=True)

    async def _edit_sources(self, delivery: Delivery, target: str) -> None:
        """Replace only the sources line of the original message (votes and buttons stay)."""
        ts = delivery.thread_id or ""
        resp = await self._call("conversations_history", target, channel=target, latest=ts, inclusive=True, limit=1)
        original = next((m for m in resp.get("messages") or [] if m.get("ts") == ts), None)
        text, fresh = render_alert(delivery.alert)
        blocks = fresh
        if original and original.get("blocks"):
            new_line = sources_block(delivery.alert.sources)
            blocks = [new_line if b.get("block_id") == SOURCES_BLOCK else b for b in original["blocks"]]
        await self._call("chat_update", target, channel=target, ts=ts, text=text, blocks=clamp_blocks(blocks))

    @asynccontextmanager
    async def _paced(self, channel: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._last.get(channel, 0.0) + self.min_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last[channel] = time.monotonic()

    async def _call(self, method: str, where: str, /, **kwargs: Any) -> Any:
        """Call a Web API method; translate every failure into our error tree."""
        api = method.replace("_", ".", 1)
        try:
            resp = await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", 0) or 0
            data = getattr(exc.response, "data", None)
            error = data.get("error", "") if isinstance(data, dict) else ""
            if status == 429 or error in ("ratelimited", "rate_limited"):
                raise RateLimited(f"slack:{where}", _retry_after(exc)) from exc
            if status >= 500:
                raise DeliveryError(f"slack:{where}", f"{api}: HTTP {status}") from exc
            if api == "chat.update" and error in EDIT_REFUSED:
                raise EditRefused(f"slack:{where}", f"{api}: {error}") from exc
            if error in GONE_ERRORS.get(api, ()):
                raise OriginalGone(f"slack:{where}", f"{api}: {error} (the message was deleted)") from exc
            if error in AUTH_ERRORS:
                raise AuthFailed(f"slack:{where}", f"{api}: {error} (the bot token is refused)") from exc
            if error in CHANNEL_ERRORS:
                raise ChannelUnavailable(f"slack:{where}", f"{api}: {error}") from exc
            if error in PERMANENT_ERRORS or (status == 200 and error and error not in _TRANSIENT):
                raise PermanentDeliveryError(f"slack:{where}", f"{api}: {error}") from exc
            raise DeliveryError(f"slack:{where}", f"{api}: {error or f'HTTP {status}'}") from exc
        except TimeoutError as exc:  # before the others: aiohttp's ServerTimeoutError is one too
            raise DeliveryError(f"slack:{where}", f"{api}: timed out after {self.client.timeout}s") from exc
        except (SlackClientError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryError(f"slack:{where}", f"{api}: {exc.__class__.__name__}: {exc}") from exc
        return resp.data if hasattr(resp, "data") else resp


_TRANSIENT = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
