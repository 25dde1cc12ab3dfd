"""Alert buttons (👍 / 👎 / Why? / Mute) with stable ``custom_id``s.

The id carries everything a click needs (``signals:up:<story>:<topic>``), so buttons on
messages posted weeks ago still work after a restart: the gateway client registers a
:class:`SignalsButton` *dynamic item* that matches the template, and the HTTP
interactions endpoint parses the same id with :func:`parse_custom_id`. Nothing is kept
in memory between the post and the click.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord

from bot.models import Alert, AlertKind

__all__ = [
    "ACTIONS",
    "ButtonClick",
    "SignalsButton",
    "alert_components",
    "custom_id",
    "parse_custom_id",
]

ACTIONS = ("up", "down", "why", "mute")
PREFIX = "signals"
MAX_CUSTOM_ID = 100
NO_TOPIC = "-"
_PATTERN = re.compile(r"^signals:(?P<action>up|down|why|mute):(?P<story>[^:]{1,64}):(?P<topic>[^:]{0,40})$")

# discord.ButtonStyle values as the REST API spells them
_SECONDARY, _DANGER, _BUTTON, _ROW = 2, 4, 2, 1


@dataclass(frozen=True, slots=True)
class ButtonClick:
    """A decoded button id: which action, on which story, for which topic (None if unknown)."""

    action: str
    story_id: str
    topic: str | None


def custom_id(action: str, story_id: str, topic: str | None = None) -> str:
    """``signals:<action>:<story>:<topic>``; colons are removed from parts so the id stays parseable."""
    if action not in ACTIONS:
        raise ValueError(f"unknown button action {action!r}")
    story = story_id.replace(":", "")[:64]
    top = (topic or NO_TOPIC).replace(":", "")[:40] or NO_TOPIC
    return f"{PREFIX}:{action}:{story}:{top}"


def parse_custom_id(value: str) -> ButtonClick | None:
    m = _PATTERN.match(value)
    if m is None:
        return None
    topic = m.group("topic")
    return ButtonClick(m.group("action"), m.group("story"), None if topic in ("", NO_TOPIC) else topic)


def alert_components(alert: Alert) -> list[dict[str, Any]]:
    """One action row with the four buttons (REST JSON). Digests and notices get none."""
    if alert.kind not in (AlertKind.ALERT, AlertKind.FOLLOWUP):
        return []
    topic = alert.topics[0] if alert.topics else None
    buttons = [
        {"type": _BUTTON, "style": _SECONDARY, "emoji": {"name": "👍"}, "custom_id": custom_id("up", alert.story_id, topic)},
        {"type": _BUTTON, "style": _SECONDARY, "emoji": {"name": "👎"},
         "custom_id": custom_id("down", alert.story_id, topic)},
        {"type": _BUTTON, "style": _SECONDARY, "label": "Why?", "custom_id": custom_id("why", alert.story_id, topic)},
    ]
    if topic:
        buttons.append({"type": _BUTTON, "style": _DANGER, "label": f"Mute {topic}"[:80],
                        "custom_id": custom_id("mute", alert.story_id, topic)})
    return [{"type": _ROW, "components": buttons}]


ClickHandler = Callable[[discord.Interaction, ButtonClick], Awaitable[None]]


class SignalsButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                    template=r"signals:(?P<action>up|down|why|mute):(?P<story>[^:]{1,64}):(?P<topic>[^:]{0,40})"):
    """Persistent button for the gateway client: matched by template, so no view state is needed.

    Register with ``client.add_dynamic_items(SignalsButton)``; the client must expose
    ``on_signals_click(interaction, click)`` (see :mod:`bot.adapters.discord.gateway`).
    """

    def __init__(self, click: ButtonClick) -> None:
        self.click = click
        super().__init__(discord.ui.Button(custom_id=custom_id(click.action, click.story_id, click.topic)))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> SignalsButton:
        parsed = parse_custom_id(match.group(0))
        assert parsed is not None  # the template and _PATTERN are the same expression
        return cls(parsed)

    async def callback(self, interaction: discord.Interaction) -> None:
        handler: ClickHandler | None = getattr(interaction.client, "on_signals_click", None)
        if handler is not None:
            await handler(interaction, self.click)
