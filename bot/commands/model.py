"""Platform-neutral command input and output, shared by the Slack and Discord adapters.

Adapters turn a slash command (or mention) into an :class:`Invocation`, call
:meth:`bot.commands.CommandService.run`, and render the :class:`Reply` in their own
format. Text in a reply is *plain* (not escaped): each adapter escapes for its markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FeedbackResult", "Invocation", "Reply", "Section"]


@dataclass(frozen=True, slots=True)
class Invocation:
    """One command as a user typed it, e.g. ``text="search nvidia"``.

    ``channel`` is the config channel name when the adapter knows it; otherwise the
    service resolves it from ``platform`` + ``platform_channel`` (the ``slack:`` or
    ``discord:`` id in the config).
    """

    text: str
    user: str
    channel: str | None = None
    platform: str = "slack"
    platform_channel: str | None = None
    workspace: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """One neutral block of a reply: a (linked) title, body lines and a small context line.

    ``story_id``/``topic`` let an adapter add feedback buttons to the section.
    """

    title: str = ""
    url: str | None = None
    lines: list[str] = field(default_factory=list)
    context: str = ""
    story_id: str | None = None
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """What a command answers. ``ephemeral`` replies are shown only to the invoking user."""

    text: str
    sections: list[Section] = field(default_factory=list)
    ephemeral: bool = True
    error: bool = False


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    """After a 👍/👎: who voted what on this story in this channel (for updating the message)."""

    story_id: str
    label: int
    changed: bool
    up: list[str] = field(default_factory=list)
    down: list[str] = field(default_factory=list)
