"""Posting through a channel webhook URL: no bot, no gateway, posting only.

Uses ``discord.Webhook`` on our own aiohttp session, with ``wait=True`` so Discord
returns the message (its id is what follow-ups edit).

Limits, by Discord's design:

- A plain channel webhook cannot start threads and may not attach interactive buttons,
  so alerts carry no buttons and follow-ups always *edit* the alert's sources field
  (``followup_mode: thread`` behaves as ``edit``).
- A webhook token cannot list channel messages and execute-webhook takes no nonce. If a
  bot token is also available (``bot_token=`` or env ``DISCORD_BOT_TOKEN``) and the bot
  can read the webhook's channel, :meth:`find_sent` looks for the delivery's footer
  marker there; otherwise it answers "unknown" and the dispatcher posts again, so a
  crash between the post and recording it can duplicate that one message.
- Webhook URLs on another host (a test server, a proxy) are honoured: requests are
  re-based onto the URL's host. discord.py retries 429s itself without a cap, so a wait
  longer than ``max_wait`` is turned into :class:`~bot.errors.RateLimited` here instead.
- A 5xx answer to a post is not repeated at once (discord.py would): with no nonce, a post
  Discord stored before failing its answer would appear twice. It goes back to the outbox.
- A deleted alert cannot be edited (404 ``Unknown Message``): that is
  :class:`~bot.errors.OriginalGone`, and the dispatcher posts the follow-up as the alert.
- A deleted webhook (404 ``Unknown Webhook``) is :class:`~bot.errors.ChannelUnavailable`: the
  channel pauses, its alerts wait for a new webhook URL in the config instead of failing one
  by one.
- Requests time out after ``timeout`` seconds (aiohttp's default is 300 s, which stalled
  the delivery pass behind one hung post).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import discord
from discord.http import Route

from bot.adapters.base import Notifier
from bot.adapters.discord.embeds import alert_payload
from bot.adapters.discord.notifier import DEFAULT_TIMEOUT, DiscordNotifier, gone, translate_error
from bot.errors import AuthFailed, ChannelUnavailable, DeliveryError, PermanentDeliveryError, RateLimited
from bot.models import AlertKind, Delivery, SentMessage

__all__ = ["DiscordWebhookNotifier", "parse_webhook_url"]

_URL = re.compile(r"^(?P<base>https?://[^/?#]+(?:/api(?:/v\d+)?)?)/webhooks/(?P<id>\d{1,20})/(?P<token>[\w.-]+)/?$")
_DISCORD_HOSTS = ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com")
UNKNOWN_WEBHOOK = 10015


def parse_webhook_url(url: str) -> tuple[str | None, int, str]:
    """``(base or None for discord.com, webhook id, token)``; ValueError if it is not a webhook URL."""
    m = _URL.match(url.strip())
    if m is None:
        raise ValueError("not a Discord webhook URL (expected …/api/webhooks/<id>/<token>)")
    host = urlsplit(url).hostname or ""
    base = None if host in _DISCORD_HOSTS else m.group("base")
    return base, int(m.group("id")), m.group("token")


class _Request:
    def __init__(self, session: _RebasedSession, method: str, url: str, kwargs: dict[str, Any]) -> None:
        self.s, self.method, self.url, self.kwargs = session, method, url, kwargs
        self.resp: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> aiohttp.ClientResponse:
        url = self.url
        if self.s.base and url.startswith(Route.BASE):
            url = self.s.base + url[len(Route.BASE):]
        self.resp = resp = await self.s.session.request(self.method, url, **self.kwargs)
        if resp.status >= 500 and self.method == "POST" and "/messages" not in url:
            # discord.py would post again at once, and execute-webhook takes no nonce: Discord may
            # have stored the first one. The outbox retries later, looking for it first.
            resp.release()
            raise DeliveryError(self.s.where, f"HTTP {resp.status} on a webhook post (it may have been stored)")
        if resp.status == 429 and resp.headers.get("Via"):
            wait = float(resp.headers.get("Retry-After") or 0)
            with contextlib.suppress(ValueError, aiohttp.ContentTypeError, AttributeError):
                wait = max(wait, float((await resp.json(content_type=None)).get("retry_after", 0)))
            if wait > self.s.max_wait:
                resp.release()
                raise RateLimited(self.s.where, wait)
        return resp

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self.resp is not None:
            self.resp.release()


class _RebasedSession:
    """The one method discord.py's webhook adapter uses (``request``), re-based and 429-capped."""

    def __init__(self, session: aiohttp.ClientSession, base: str | None, max_wait: float, where: str) -> None:
        self.session, self.base, self.max_wait, self.where = session, base, max_wait, where

    def request(self, method: str, url: str, **kwargs: Any) -> _Request:
        return _Request(self, method, url, kwargs)


class DiscordWebhookNotifier(Notifier):
    """``target`` is the webhook URL (a secret: never logged or put in errors)."""

    name = "discord_webhook"

    def __init__(self, *, max_wait: float = 30.0, bot_token: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self.max_wait = max_wait
        self.timeout = timeout
        self.bot_token = (bot_token if bot_token is not None else os.environ.get("DISCORD_BOT_TOKEN")) or None
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._places: dict[int, tuple[str | None, str | None]] = {}  # webhook id → (guild, channel)
        self._reader: DiscordNotifier | None = None

    def _webhook(self, target: str) -> tuple[discord.Webhook, str]:
        try:
            base, wid, token = parse_webhook_url(target)
        except ValueError as exc:
            raise PermanentDeliveryError("discord-webhook", str(exc)) from exc
        where = f"discord-webhook:{wid}"
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._loop = loop
        wrapped = _RebasedSession(self._session, base, self.max_wait, where)
        return discord.Webhook.partial(wid, token, session=wrapped), where  # type: ignore[arg-type]

    async def send(self, delivery: Delivery, target: str) -> SentMessage:
        webhook, where = self._webhook(target)
        alert = delivery.alert
        if alert.kind is AlertKind.FOLLOWUP and delivery.thread_id:
            key = f"alert:{alert.story_id}:{alert.channel}"  # the alert's own footer marker stays
        else:
            key = delivery.key
        embeds = [discord.Embed.from_dict(e) for e in alert_payload(alert, key, nonce=False)["embeds"]]
        try:
            if alert.kind is AlertKind.FOLLOWUP and delivery.thread_id:
                msg: discord.WebhookMessage = await webhook.edit_message(
                    int(delivery.thread_id), embeds=embeds, allowed_mentions=discord.AllowedMentions.none())
            else:
                msg = await webhook.send(embeds=embeds, allowed_mentions=discord.AllowedMentions.none(), wait=True)
        except DeliveryError:  # ours already (a long 429, a 5xx on a post)
            raise
        except discord.NotFound as exc:  # the alert to edit was deleted: OriginalGone, the story is posted again
            if exc.code == UNKNOWN_WEBHOOK:
                raise ChannelUnavailable(where, "HTTP 404 code 10015: the webhook was deleted",
                                         remedy="make a new webhook in the channel and put its URL in the config") from exc
            deleted = gone(exc, where, delivery.thread_id) if delivery.thread_id else None
            raise (deleted or translate_error(exc, where)) from exc
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise translate_error(exc, where) from exc
        guild, _ = await self._place(webhook)
        link = f"https://discord.com/channels/{guild}/{msg.channel.id}/{msg.id}" if guild else None
        return SentMessage(message_id=str(msg.id), permalink=link)

    async def _place(self, webhook: discord.Webhook) -> tuple[str | None, str | None]:
        """The webhook's guild and channel (one look-up per webhook and process)."""
        if webhook.id not in self._places:
            try:
                info = await webhook.fetch(prefer_auth=False)
                self._places[webhook.id] = (str(info.guild_id) if info.guild_id else None,
                                            str(info.channel_id) if info.channel_id else None)
            except (discord.DiscordException, aiohttp.ClientError, OSError):
                return None, None
        return self._places[webhook.id]

    async def find_sent(self, delivery: Delivery, target: str) -> SentMessage | None:
        """Needs a bot token that can read the channel; see the module docstring."""
        alert = delivery.alert
        if self.bot_token is None or (alert.kind is AlertKind.FOLLOWUP and delivery.thread_id):
            return None  # unknown (or an edit, which is safe to repeat)
        webhook, where = self._webhook(target)
        _, channel = await self._place(webhook)
        if channel is None:
            return None
        if self._reader is None:
            self._reader = DiscordNotifier(token=self.bot_token, timeout=self.timeout)
        try:
            return await self._reader.find_in_channel(channel, delivery, webhook_id=str(webhook.id), where=where)
        except AuthFailed as exc:  # the reader's token, not the webhook's: posting still works
            raise PermanentDeliveryError(where, f"cannot look up posts: {exc}") from exc

    async def aclose(self) -> None:
        if self._reader is not None:
            await self._reader.aclose()
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
