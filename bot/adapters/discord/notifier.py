"""Posting alerts with a bot token through discord.py's REST client (no gateway needed).

Exactly once: every post carries ``nonce`` (stable, from the delivery key) with
``enforce_nonce`` so Discord returns the existing message when the same post is
repeated within its dedupe window (a few minutes), and a footer marker
(``ref <hash>``) that :meth:`DiscordNotifier.find_sent` looks for in the channel's
recent messages after a crash (REST message reads do not return nonces).

Follow-ups: ``thread`` mode posts in the thread started from the alert message. A thread
started from a message has the message's id, so nothing extra is stored: post to
``/channels/<alert id>``; if that channel does not exist yet, start it, then post.
``edit`` mode re-renders the alert message with the grown sources field, and so does ``thread``
mode when the bot may not use threads there (403 Missing Permissions). A user may have
deleted the alert: editing it, or starting a thread on it, is then 404 ``Unknown Message``
(10008), raised as :class:`~bot.errors.OriginalGone` so the dispatcher posts the follow-up as
the story's alert instead (a thread started before the deletion stays and still takes posts).

Errors: discord.py retries short 429s itself (sleeping ``retry_after``); one longer than
``max_ratelimit_timeout`` (≥ 30 s, discord.py's floor) or still failing after its
retries becomes :class:`~bot.errors.RateLimited`. 403/404/400 are permanent for this
delivery; 401 (the bot token is refused) is :class:`~bot.errors.AuthFailed`, and a post or
edit in the channel answered Unknown Channel, Missing Access or Missing Permissions (the
channel deleted, the bot removed or muted there) is :class:`~bot.errors.ChannelUnavailable`:
both pause the channel instead. 5xx and network errors are retried by the dispatcher.

Every request times out after ``timeout`` seconds (15 by default). discord.py itself sets
none, so aiohttp's 300 s applied: a hung post stalled the whole delivery pass, and its
retry came after Discord's nonce window. discord.py's own 5xx retries stay: the nonce makes
a repeated post return the stored message while they last (well under a minute at 15 s).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord.http import HTTPClient, Route

from bot.adapters.base import Notifier, truncate
from bot.adapters.discord.embeds import (
    NO_MENTIONS,
    alert_payload,
    defuse,
    fit_embeds,
    marker_for,
    nonce_for,
    render_followup_note,
)
from bot.adapters.discord.views import alert_components
from bot.errors import (
    AuthFailed,
    ChannelUnavailable,
    DeliveryError,
    OriginalGone,
    PermanentDeliveryError,
    RateLimited,
)
from bot.models import AlertKind, Delivery, SentMessage

__all__ = ["DiscordNotifier", "closed", "gone", "set_api_base", "translate_error"]

log = logging.getLogger(__name__)
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
THREAD_EXISTS = 160004
DEFAULT_RETRY = 5.0
DEFAULT_TIMEOUT = 15.0


class _TimedHTTPClient(HTTPClient):
    """discord.py's REST client with a timeout on every request (it has none of its own)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, timeout: float, **kwargs: Any) -> None:
        super().__init__(loop, **kwargs)
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def request(self, route: Route, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        return await super().request(route, **kwargs)


def set_api_base(base_url: str | None) -> None:
    """Point discord.py (bot REST and webhooks) at ``base_url``, e.g. a test server or a proxy."""
    if base_url:
        Route.BASE = base_url.rstrip("/")


def _retry_after(exc: discord.HTTPException) -> float:
    headers = getattr(exc.response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After") or DEFAULT_RETRY)
    except ValueError:
        return DEFAULT_RETRY


def gone(exc: discord.NotFound, where: str, message_id: str) -> OriginalGone | None:
    """An ``Unknown Message`` answer about the story's message: a user deleted it."""
    if exc.code != UNKNOWN_MESSAGE:
        return None
    return OriginalGone(where, f"HTTP 404 code {exc.code}: the story's message {message_id} was deleted")


def closed(exc: discord.HTTPException, where: str) -> ChannelUnavailable | None:
    """A post or edit in the channel itself refused because the channel is gone or closed to the bot.

    Not for thread posts: Missing Permissions there means no thread rights, which the
    follow-up survives by editing the alert (:meth:`DiscordNotifier._thread_or_edit`)."""
    what = {UNKNOWN_CHANNEL: "the channel was deleted or the bot cannot see it",
            MISSING_ACCESS: "the bot has no access to the channel",
            MISSING_PERMISSIONS: "the bot may not post in the channel"}.get(exc.code)
    return None if what is None else ChannelUnavailable(where, f"HTTP {exc.status} code {exc.code}: {what}")


def translate_error(exc: BaseException, where: str) -> DeliveryError:
    """discord.py/aiohttp error → our tree (the caller raises it ``from exc``)."""
    if isinstance(exc, discord.RateLimited):
        return RateLimited(where, exc.retry_after)
    if isinstance(exc, discord.LoginFailure):
        return AuthFailed(where, "invalid bot token (401)")
    if isinstance(exc, discord.HTTPException):
        detail = f"HTTP {exc.status} code {exc.code}: {truncate(exc.text, 200)}"
        if exc.status == 429:
            return RateLimited(where, _retry_after(exc))
        if exc.status == 401:
            return AuthFailed(where, f"{detail} (the bot token is refused)")
        if exc.status in (400, 403, 404, 413):
            return PermanentDeliveryError(where, detail)
        return DeliveryError(where, detail)
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return DeliveryError(where, f"network: {type(exc).__name__}: {exc}")
    return DeliveryError(where, f"{type(exc).__name__}: {exc}")


class DiscordNotifier(Notifier):
    """Posts to channel ids with a bot token. One instance serves every Discord channel."""

    name = "discord"

    def __init__(self, token: str, base_url: str | None = None, *, max_ratelimit_timeout: float = 30.0,
                 history_limit: int = 50, thread_archive_minutes: int = 1440,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        set_api_base(base_url)
        self.timeout = timeout
        self._token = token
        self._max_wait = max_ratelimit_timeout
        self.history_limit = history_limit
        self.thread_archive_minutes = thread_archive_minutes
        self._http: HTTPClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self.user_id: str | None = None
        self._guilds: dict[str, str | None] = {}

    # -- connection ------------------------------------------------------------------
    async def http(self) -> HTTPClient:
        """The logged-in discord.py REST client for the running loop (created on first use)."""
        loop = asyncio.get_running_loop()
        if self._http is not None and self._loop is loop:
            return self._http
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self._http = asyncio.Lock(), loop, None
        async with self._lock:
            if self._http is None:
                http = _TimedHTTPClient(loop, timeout=self.timeout, max_ratelimit_timeout=self._max_wait)
                try:
                    me = await http.static_login(self._token)
                except Exception as exc:
                    await http.close()
                    raise translate_error(exc, "discord: login") from exc
                self.user_id = str(me["id"])
                self._http = http
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- sending ---------------------------------------------------------------------
    async def send(self, delivery: Delivery, target: str) -> SentMessage:
        where = f"discord:{target}"
        http = await self.http()
        alert = delivery.alert
        try:
            if alert.kind is AlertKind.FOLLOWUP and delivery.thread_id:
                try:
                    if alert.followup_mode == "edit":
                        data = await self._edit(http, delivery, target)
                    else:
                        data = await self._thread_or_edit(http, delivery, target)
                except discord.NotFound as exc:
                    if (deleted := gone(exc, where, delivery.thread_id)) is not None:
                        raise deleted from exc
                    raise
            else:
                payload = alert_payload(alert, delivery.key, alert_components(alert))
                try:
                    data = await http.request(Route("POST", "/channels/{channel_id}/messages", channel_id=target),
                                              json=payload)
                except discord.HTTPException as exc:
                    if (unavailable := closed(exc, where)) is not None:
                        raise unavailable from exc
                    raise
        except discord.DiscordException as exc:
            raise translate_error(exc, where) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise translate_error(exc, where) from exc
        return await self._sent(http, data, where)

    async def _thread_or_edit(self, http: HTTPClient, delivery: Delivery, target: str) -> Any:
        """Post in the alert's thread; without the permission to (403 50013), update the alert's
        sources field instead, so the coverage still shows, and say which permissions are missing."""
        try:
            return await self._thread_post(http, delivery, target)
        except discord.Forbidden as exc:
            if exc.code != MISSING_PERMISSIONS:
                raise
        log.warning("cannot post follow-ups in a thread in channel %s (Missing Permissions): updating the alert "
                    "instead; give the bot Create Public Threads and Send Messages in Threads there", target,
                    extra={"channel": target, "delivery": delivery.key})
        return await self._edit(http, delivery, target)

    async def _thread_post(self, http: HTTPClient, delivery: Delivery, target: str) -> Any:
        thread = str(delivery.thread_id)
        payload = {"embeds": fit_embeds([render_followup_note(delivery.alert, marker_for(delivery.key))]),
                   "allowed_mentions": NO_MENTIONS, "nonce": nonce_for(delivery.key), "enforce_nonce": True}
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=thread)
        try:
            return await http.request(route, json=payload)
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_CHANNEL:
                raise
        try:  # no thread on the alert message yet: start one (its id is the message id)
            await http.start_thread_with_message(
                target, thread, name=truncate(defuse(delivery.alert.title[:200]).replace("\n", " ") or "Follow-ups", 100),
                auto_archive_duration=self.thread_archive_minutes)  # type: ignore[arg-type]
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:  # started concurrently: fine, post into it
                raise
        return await http.request(Route("POST", "/channels/{channel_id}/messages", channel_id=thread), json=payload)

    async def _edit(self, http: HTTPClient, delivery: Delivery, target: str) -> Any:
        alert = delivery.alert
        original_key = f"alert:{alert.story_id}:{alert.channel}"  # keep the alert's own footer marker
        body = alert_payload(alert, original_key, alert_components(alert), nonce=False)
        route = Route("PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=target,
                      message_id=str(delivery.thread_id))
        try:
            return await http.request(route, json=body)
        except discord.HTTPException as exc:
            if (unavailable := closed(exc, f"discord:{target}")) is not None:
                raise unavailable from exc
            raise

    async def _sent(self, http: HTTPClient, data: Any, where: str = "discord") -> SentMessage:
        if not isinstance(data, dict) or not data.get("id"):  # a proxy page, an API change: may have posted
            raise DeliveryError(where, f"answer has no message id: {truncate(str(data), 200)}")
        message_id, channel_id = str(data["id"]), str(data.get("channel_id", ""))
        guild = data.get("guild_id") or await self._guild_of(http, channel_id)
        link = f"https://discord.com/channels/{guild}/{channel_id}/{message_id}" if guild and channel_id else None
        return SentMessage(message_id=message_id, permalink=link)

    async def _guild_of(self, http: HTTPClient, channel_id: str) -> str | None:
        if channel_id and channel_id not in self._guilds:
            try:
                info = await http.get_channel(channel_id)
                self._guilds[channel_id] = str(info["guild_id"]) if info.get("guild_id") else None
            except discord.HTTPException:
                self._guilds[channel_id] = None
        return self._guilds.get(channel_id)

    # -- reconciliation --------------------------------------------------------------
    async def find_sent(self, delivery: Delivery, target: str) -> SentMessage | None:
        """Look for this delivery's nonce or footer marker among the channel's recent messages."""
        alert = delivery.alert
        if alert.kind is AlertKind.FOLLOWUP and delivery.thread_id and alert.followup_mode == "edit":
            return None  # an edit is idempotent: doing it again is harmless
        channel = str(delivery.thread_id) if alert.kind is AlertKind.FOLLOWUP and delivery.thread_id else target
        return await self.find_in_channel(channel, delivery, author_id=self.user_id, where=f"discord:{target}")

    async def find_in_channel(self, channel: str, delivery: Delivery, *, author_id: str | None = None,
                              webhook_id: str | None = None, where: str = "discord") -> SentMessage | None:
        """The delivery's message among ``channel``'s recent ones (by nonce or footer marker), if any."""
        http = await self.http()
        try:
            messages = await http.logs_from(channel, self.history_limit)
        except discord.NotFound:
            return None  # no thread yet, so the follow-up was not posted
        except discord.DiscordException as exc:
            raise translate_error(exc, where) from exc
        nonce, marker = nonce_for(delivery.key), marker_for(delivery.key)
        for m in messages:
            if author_id and str(m.get("author", {}).get("id")) != author_id:
                continue
            if webhook_id and str(m.get("webhook_id")) != webhook_id:
                continue
            footers = [e.get("footer", {}).get("text", "") for e in m.get("embeds", [])]
            if m.get("nonce") == nonce or any(marker in f for f in footers):
                log.info("delivery found already posted", extra={"delivery": delivery.key, "message_id": m["id"]})
                return await self._sent(http, {"channel_id": channel, **m})
        return None
