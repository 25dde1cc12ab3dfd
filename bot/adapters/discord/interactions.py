"""Discord interaction → shared command logic → Discord message data.

Both entry points use this: the HTTP interactions endpoint (:mod:`.web`, raw JSON
payloads) and the gateway client (:mod:`.gateway`, discord.py objects reduced to the
same few fields). The logic itself is :class:`bot.commands.CommandService`; this module
only translates, so Slack and Discord answer alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from bot.adapters.base import truncate
from bot.adapters.discord.embeds import LIMITS, NO_MENTIONS, defuse, fit_embeds, plain, safe_url
from bot.adapters.discord.views import ButtonClick, custom_id, parse_custom_id
from bot.commands import CommandService, Invocation, Reply
from bot.errors import CommandError

__all__ = [
    "PUBLIC_COMMANDS",
    "SUBCOMMANDS",
    "Caller",
    "Message",
    "caller_of",
    "command_text",
    "handle_click",
    "handle_command",
    "reply_message",
    "run_text",
]

EPHEMERAL = 1 << 6

# (name, description, options as (name, description, type, required)); type 3 string, 5 boolean, 10 number
SUBCOMMANDS: list[tuple[str, str, list[tuple[str, str, int, bool]]]] = [
    ("help", "What Signals can do", []),
    ("search", "Search recent stories", [("query", "Words to look for", 3, True)]),
    ("top", "Most important recent stories", [("period", "24h or 7d", 3, False), ("topic", "Only this topic", 3, False)]),
    ("why", "Why a story was (not) alerted", [("story", "Story id (shown under an alert)", 3, True)]),
    ("subscribe", "Follow a topic in this channel", [("topic", "Topic name", 3, True)]),
    ("unsubscribe", "Stop following a topic here", [("topic", "Topic name", 3, True)]),
    ("mute", "Mute a topic in this channel", [("topic", "Topic name", 3, True)]),
    ("unmute", "Unmute a topic in this channel", [("topic", "Topic name", 3, True)]),
    ("threshold", "Show or set the minimum importance (0-10)", [("value", "New minimum", 10, False),
                                                                 ("reset", "Back to the config file's value", 5, False)]),
    ("topics", "This channel's topics", [("reset", "Back to the config file's topics", 5, False)]),
    ("feeds", "Sources and their health", []),
    ("digest", "This channel's digest now", []),
]
# Commands whose answer the whole channel should see (they change the channel's settings).
PUBLIC_COMMANDS = frozenset({"subscribe", "unsubscribe", "mute", "unmute", "threshold", "topics"})


@dataclass(frozen=True, slots=True)
class Caller:
    """Who clicked or typed, and where (Discord ids as strings)."""

    user: str
    channel: str | None
    guild: str | None = None


@dataclass(slots=True)
class Message:
    """Discord message data for an interaction response or follow-up."""

    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    ephemeral: bool = True

    def to_json(self, *, with_flags: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"content": self.content, "embeds": self.embeds, "allowed_mentions": NO_MENTIONS}
        if self.components:
            data["components"] = self.components
        if with_flags and self.ephemeral:
            data["flags"] = EPHEMERAL
        return data


def caller_of(payload: dict[str, Any]) -> Caller:
    """User, channel and guild of a raw interaction payload (guild: ``member.user``; DM: ``user``)."""
    user = (payload.get("member") or {}).get("user") or payload.get("user") or {}
    channel = payload.get("channel_id") or (payload.get("channel") or {}).get("id")
    return Caller(str(user.get("id", "")), str(channel) if channel else None, payload.get("guild_id"))


def command_text(data: dict[str, Any]) -> str:
    """``/signals search query:nvidia`` → ``"search nvidia"`` (sub-command, then option values in order)."""
    words: list[str] = []
    options = data.get("options") or []
    while options:
        first = options[0]
        if first.get("type") in (1, 2):  # sub-command (group)
            words.append(str(first["name"]))
            options = first.get("options") or []
            continue
        for o in options:
            value = o.get("value")
            if isinstance(value, bool):  # a boolean option (reset: True) is the word itself, or nothing
                words += [str(o.get("name"))] if value else []
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            text = str(value)
            words.append(f'"{text}"' if " " in text and o.get("name") != "query" else text)
        break
    return " ".join(words)


def reply_message(reply: Reply) -> Message:
    """A shared :class:`Reply` as Discord content + embeds (one per section, at most 10)."""
    embeds: list[dict[str, Any]] = []
    rows: list[tuple[int, dict[str, Any]]] = []  # (the embed it votes on, the button row)
    for s in reply.sections[: LIMITS.embeds]:
        e: dict[str, Any] = {}
        if s.title:
            e["title"] = truncate(defuse(s.title).replace("\n", " "), LIMITS.title)
            if url := safe_url(s.url):
                e["url"] = url
        if s.lines:
            e["description"] = truncate(plain("\n".join(s.lines)), LIMITS.description)
        if s.context:
            e["footer"] = {"text": truncate(defuse(s.context), LIMITS.footer)}
        if not e:
            continue
        embeds.append(e)
        if s.story_id and len(rows) < 5:
            rows.append((len(embeds) - 1, {"type": 1, "components": [
                {"type": 2, "style": 2, "emoji": {"name": "👍"}, "custom_id": custom_id("up", s.story_id, s.topic)},
                {"type": 2, "style": 2, "emoji": {"name": "👎"}, "custom_id": custom_id("down", s.story_id, s.topic)},
                {"type": 2, "style": 2, "label": "Why?", "custom_id": custom_id("why", s.story_id, s.topic)}]}))
    text = reply.text if not embeds or len(reply.text) < 300 else reply.text.split("\n", 1)[0]
    shown = fit_embeds(embeds)  # past 6,000 characters the trailing embeds go: so do their buttons
    return Message(content=truncate(defuse(text), LIMITS.content), embeds=shown,
                   components=[row for i, row in rows if i < len(shown)], ephemeral=reply.ephemeral or reply.error)


def handle_command(service: CommandService, data: dict[str, Any], caller: Caller) -> Message:
    """An application command (``/signals <sub> ...``) through the shared logic."""
    return run_text(service, command_text(data), caller)


def run_text(service: CommandService, text: str, caller: Caller) -> Message:
    """Command text (``"search nvidia"``) from ``caller`` through the shared logic."""
    inv = Invocation(text=text, user=caller.user, platform="discord", platform_channel=caller.channel,
                     workspace=caller.guild)
    return reply_message(service.run(inv))


def handle_click(service: CommandService, custom: str, caller: Caller) -> Message:
    """A button click: 👍/👎 record feedback, Why? explains, Mute mutes the topic here."""
    click = parse_custom_id(custom)
    if click is None:
        return Message(content="This button is no longer supported.")
    try:
        return _click(service, click, caller)
    except CommandError as exc:
        return Message(content=truncate(defuse(str(exc)), LIMITS.content))


def _click(service: CommandService, click: ButtonClick, caller: Caller) -> Message:
    base = Invocation(text="", user=caller.user, platform="discord", platform_channel=caller.channel,
                      workspace=caller.guild)
    if click.action == "why":
        return reply_message(service.run(replace(base, text=f"why {click.story_id}")))
    if click.action == "mute":
        if not click.topic:
            return Message(content="This alert has no topic to mute.")
        return reply_message(service.mute(base, click.topic))
    # the config channel, else the Discord channel itself (as Slack does): "Votes here" counts this
    # channel's votes, never every channel's
    channel = service.resolve_channel("discord", caller.channel) or caller.channel
    result = service.feedback(click.story_id, caller.user, click.action, channel, click.topic)
    mark = "👍" if result.label > 0 else "👎"
    note = "recorded" if result.changed else "already recorded"
    return Message(content=f"{mark} {note}, thanks. Votes here: 👍 {len(result.up)} · 👎 {len(result.down)}")

