"""The Bolt app: ``/signals`` commands, ``@Signals`` mentions and the alert buttons.

Every listener acknowledges first (Slack wants an answer within 3 s) and then does the
work — database queries run in a thread — answering through ``respond()`` (the
command's ``response_url``) or the Web API. Answers are ephemeral unless the command
is meant for the channel (``digest``, settings changes). The logic itself lives in
:mod:`bot.commands`; this module only translates. Slack retries events it thinks we
missed (``X-Slack-Retry-Num``): each ``event_id`` is recorded in ``seen_events`` and
handled once. Bolt verifies request signatures (v0 HMAC, 5-minute window).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import (
    ACTION_DOWN,
    ACTION_MUTE,
    ACTION_UP,
    ACTION_WHY,
    parse_value,
    render_reply,
    with_votes,
)
from bot.adapters.slack.notifier import make_client
from bot.commands import CommandService, Invocation, Reply
from bot.commands.events import first_time_soon
from bot.errors import CommandError, StoreError
from bot.settings import Settings
from bot.store import Store

__all__ = ["COMMAND", "build_app", "typed_text"]

log = logging.getLogger(__name__)
COMMAND = "/signals"
_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*")
_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")


def typed_text(text: str) -> str:
    """What the user typed, from Slack's markup: messages carry ``&amp;``/``&lt;``/``&gt;`` and a pasted
    URL as ``<https://…>`` or ``<https://…|label>`` (``feeds add <https://…>`` was refused as not a URL,
    ``search AT&amp;T`` looked for "amp"). Mentions such as ``<@U1>`` are left as they are."""
    text = _LINK.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _NoTokenNote(logging.Filter):
    """Bolt warns that $SLACK_BOT_TOKEN is unused when a client is given: ours carries that same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("bot.adapters.slack.bolt")
    if not any(isinstance(f, _NoTokenNote) for f in logger.filters):
        logger.addFilter(_NoTokenNote())
    return logger


def build_app(settings: Settings, store: Store, *, token: str, signing_secret: str | None = None,
              base_url: str | None = None, client: AsyncWebClient | None = None,
              service: CommandService | None = None, socket_mode: bool = False) -> AsyncApp:
    """The Bolt app. ``socket_mode`` turns request signing off (Socket Mode has no HTTP requests)."""
    svc = service or CommandService(settings, store, prefix=COMMAND)
    client = client or make_client(token, base_url)
    app = AsyncApp(client=client, signing_secret=signing_secret or "", name="signals",
                   request_verification_enabled=not socket_mode, logger=_bolt_logger())

    @app.middleware
    async def once(body: dict[str, Any], next: Any) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await first_time_soon(store, f"slack:{event_id}"):
            log.info("duplicate slack event ignored", extra={"event_id": event_id})
            return BoltResponse(status=200, body="")
        return await next()

    def invocation(text: str, user: str, channel: str | None, team: str | None) -> Invocation:
        return Invocation(text=text, user=user, platform="slack", platform_channel=channel, workspace=team)

    async def run(inv: Invocation) -> Reply:
        """The command's reply; a crash is logged and answered with an apology (as on Discord)."""
        try:
            return await asyncio.to_thread(svc.run, inv)
        except Exception:
            log.exception("slack command failed", extra={"command": inv.text.split(" ", 1)[0][:30]})
            return Reply(text="Sorry, that command failed. Try again in a minute.", error=True)

    async def send_reply(respond: Any, reply: Reply, replace: bool = False) -> None:
        text, blocks = render_reply(reply)
        await respond(text=text, blocks=blocks, response_type="ephemeral" if reply.ephemeral else "in_channel",
                      replace_original=replace)

    @app.command(COMMAND)
    async def on_command(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        inv = invocation(typed_text(body.get("text", "")), body.get("user_id", ""), body.get("channel_id"),
                         body.get("team_id"))
        log.info("slack command", extra={"command": inv.text.split(" ", 1)[0][:30], "channel": inv.platform_channel})
        await send_reply(respond, await run(inv))

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext) -> None:
        text = typed_text(_MENTION.sub("", event.get("text", "")))
        channel = event.get("channel", "")
        reply = await run(invocation(text, event.get("user", ""), channel, context.team_id))
        rtext, blocks = render_reply(reply)
        thread = event.get("thread_ts") or event.get("ts")
        if reply.ephemeral:
            await client.chat_postEphemeral(channel=channel, user=event.get("user", ""), text=rtext, blocks=blocks,
                                            thread_ts=thread)
        else:
            await client.chat_postMessage(channel=channel, text=rtext, blocks=blocks, thread_ts=thread,
                                          unfurl_links=False, unfurl_media=False)

    @app.action(re.compile(f"^({ACTION_UP}|{ACTION_DOWN})$"))
    async def on_vote(ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
                      respond: Any) -> None:
        await ack()
        story_id, topic = parse_value(action.get("value", ""))
        channel_id = (body.get("channel") or {}).get("id")
        user = (body.get("user") or {}).get("id", "")
        label = 1 if action.get("action_id") == ACTION_UP else -1
        where = svc.resolve_channel("slack", channel_id) or channel_id
        try:
            result = await asyncio.to_thread(svc.feedback, story_id, user, label, where, topic)
        except CommandError as exc:
            await send_reply(respond, Reply(text=str(exc), error=True))
            return
        except StoreError as exc:
            # answered, not raised: the click got no answer, and Bolt (a listener failing within
            # 10 ms of its ack) even told Slack the request was unhandled (HTTP 404)
            log.error("vote not recorded: %s", exc, extra={"story_id": story_id})
            await send_reply(respond, Reply(text="Sorry, your vote was not recorded: the database is not available "
                                                 "right now. Try again in a minute.", error=True))
            return
        message = body.get("message") or {}
        if channel_id and message.get("ts"):
            try:
                await client.chat_update(channel=channel_id, ts=message["ts"], text=message.get("text", ""),
                                         blocks=with_votes(message.get("blocks") or [], result))
            except SlackApiError as exc:
                log.warning("could not update the alert after feedback: %s", exc.response.get("error"),
                            extra={"channel": channel_id, "story_id": story_id})

    @app.action(ACTION_WHY)
    async def on_why(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        story_id, _ = parse_value(action.get("value", ""))
        inv = invocation(f"why {story_id}", (body.get("user") or {}).get("id", ""),
                         (body.get("channel") or {}).get("id"), (body.get("team") or {}).get("id"))
        await send_reply(respond, await run(inv))

    @app.action(ACTION_MUTE)
    async def on_mute(ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any) -> None:
        await ack()
        _, topic = parse_value(action.get("value", ""))
        if not topic:
            await send_reply(respond, Reply(text="This alert has no topic to mute.", error=True))
            return
        inv = invocation(f"mute {topic}", (body.get("user") or {}).get("id", ""),
                         (body.get("channel") or {}).get("id"), (body.get("team") or {}).get("id"))
        await send_reply(respond, await run(inv))

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("slack listener failed: %s: %s", error.__class__.__name__, error,
                  extra={"type": body.get("type") or body.get("command")})

    return app
