"""The gateway bot: ``/signals`` app commands and alert buttons, answered by the shared logic.

Run by ``signals discord run``. Commands are registered with Discord only by an explicit
``signals discord sync`` (or ``run --sync``), never on every ``on_ready``: syncing is
rate limited and needless on reconnects. Buttons are a *dynamic item* matched by their
``custom_id`` template, so buttons on old alerts work after restarts.

Posting alerts does not need this process (see :mod:`.notifier`); the worker posts.

Discord sends gateway events to every session of the token, so two of these processes (a
deploy's overlap, one started twice) both receive each interaction: its id is recorded in
``seen_events`` (as the HTTP endpoint does) and only the first process to record it answers.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord.interactions import (
    PUBLIC_COMMANDS,
    Caller,
    Message,
    handle_click,
    run_text,
)
from bot.adapters.discord.views import ButtonClick, SignalsButton
from bot.commands import CommandService
from bot.commands.events import first_time_soon
from bot.settings.watch import ConfigWatcher

__all__ = ["SignalsClient", "SignalsGroup", "message_kwargs", "sync_commands"]

log = logging.getLogger(__name__)
# discord.py warns at every start that voice support is missing; Signals never uses voice.
logging.getLogger("discord.client").addFilter(lambda record: "voice will NOT be supported" not in record.getMessage())


def message_kwargs(msg: Message) -> dict[str, Any]:
    """A :class:`Message` as keyword arguments for discord.py's send/edit calls."""
    view = discord.ui.View(timeout=None)
    for row_index, row in enumerate(msg.components[:5]):
        for b in row.get("components", []):
            emoji = (b.get("emoji") or {}).get("name")
            view.add_item(discord.ui.Button(style=discord.ButtonStyle(b.get("style", 2)), label=b.get("label"),
                                            emoji=emoji, custom_id=b["custom_id"], row=row_index))
    kwargs: dict[str, Any] = {"content": msg.content or None,
                              "embeds": [discord.Embed.from_dict(e) for e in msg.embeds],
                              "allowed_mentions": discord.AllowedMentions.none()}
    if msg.components:
        kwargs["view"] = view
    return kwargs


class SignalsGroup(app_commands.Group):
    """``/signals <sub>``; each sub-command becomes command text for :class:`CommandService`."""

    def __init__(self, client: SignalsClient) -> None:
        super().__init__(name="signals", description="News signals: search, top stories, channel settings")
        self.client = client

    @app_commands.command(name="help", description="What Signals can do")
    async def help_(self, interaction: discord.Interaction) -> None:
        await self.client.answer(interaction, "help")

    @app_commands.command(description="Search recent stories")
    @app_commands.describe(query="Words to look for")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        await self.client.answer(interaction, f"search {query}")

    @app_commands.command(description="Most important recent stories")
    @app_commands.describe(period="24h or 7d", topic="Only this topic")
    async def top(self, interaction: discord.Interaction, period: str | None = None, topic: str | None = None) -> None:
        await self.client.answer(interaction, " ".join(["top", *(x for x in (period, topic) if x)]))

    @app_commands.command(description="Why a story was (not) alerted")
    @app_commands.describe(story="Story id (shown under an alert)")
    async def why(self, interaction: discord.Interaction, story: str) -> None:
        await self.client.answer(interaction, f"why {story}")

    @app_commands.command(description="Follow a topic in this channel")
    async def subscribe(self, interaction: discord.Interaction, topic: str) -> None:
        await self.client.answer(interaction, f"subscribe {topic}")

    @app_commands.command(description="Stop following a topic here")
    async def unsubscribe(self, interaction: discord.Interaction, topic: str) -> None:
        await self.client.answer(interaction, f"unsubscribe {topic}")

    @app_commands.command(description="Mute a topic in this channel")
    async def mute(self, interaction: discord.Interaction, topic: str) -> None:
        await self.client.answer(interaction, f"mute {topic}")

    @app_commands.command(description="Unmute a topic in this channel")
    async def unmute(self, interaction: discord.Interaction, topic: str) -> None:
        await self.client.answer(interaction, f"unmute {topic}")

    @app_commands.command(description="Show or set the minimum importance (0-10)")
    @app_commands.describe(value="New minimum importance", reset="Back to the config file's value")
    async def threshold(self, interaction: discord.Interaction,
                        value: app_commands.Range[float, 0, 10] | None = None, reset: bool = False) -> None:
        text = "threshold reset" if reset else "threshold" if value is None else f"threshold {value:g}"
        await self.client.answer(interaction, text)

    @app_commands.command(description="This channel's topics")
    @app_commands.describe(reset="Back to the config file's topics")
    async def topics(self, interaction: discord.Interaction, reset: bool = False) -> None:
        await self.client.answer(interaction, "topics reset" if reset else "topics")

    @app_commands.command(description="Sources and their health")
    async def feeds(self, interaction: discord.Interaction) -> None:
        await self.client.answer(interaction, "feeds")

    @app_commands.command(description="This channel's digest now")
    async def digest(self, interaction: discord.Interaction) -> None:
        await self.client.answer(interaction, "digest")


class SignalsClient(discord.Client):
    """Gateway client. ``service`` may be None for ``sync`` (which only registers commands)."""

    def __init__(self, service: CommandService | None, *, defer_after: float = 2.0, sync_on_start: bool = False,
                 guild: int | None = None, config: ConfigWatcher | None = None) -> None:
        super().__init__(intents=discord.Intents(guilds=True), allowed_mentions=discord.AllowedMentions.none())
        self.service = service
        self.defer_after = defer_after
        self.sync_on_start = sync_on_start
        self.guild = guild
        self.config = config  # config edits reach the commands: see refresh_settings
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(SignalsGroup(self))

    async def setup_hook(self) -> None:
        self.add_dynamic_items(SignalsButton)
        if self.sync_on_start:
            await sync_tree(self.tree, self.guild)

    def refresh_settings(self, every: float = 2.0) -> None:
        """Before answering, at most every ``every`` s: pick up a config edit (a bad one is logged
        with file:line by the watcher and the last good settings stay)."""
        if self.config is not None:
            self.config.check_due(every)

    async def answer(self, interaction: discord.Interaction, text: str) -> None:
        if self.service is None:
            raise RuntimeError("SignalsClient needs a CommandService to answer commands")
        if not await self._first_time(interaction, self.service):
            return
        self.refresh_settings()
        caller = _caller(interaction)
        public = text.split(" ", 1)[0] in PUBLIC_COMMANDS
        await self._respond(interaction, asyncio.to_thread(run_text, self.service, text, caller), ephemeral=not public)

    async def on_signals_click(self, interaction: discord.Interaction, click: ButtonClick) -> None:
        if self.service is None or not await self._first_time(interaction, self.service):
            return
        self.refresh_settings()
        custom = f"signals:{click.action}:{click.story_id}:{click.topic or '-'}"
        await self._respond(interaction, asyncio.to_thread(handle_click, self.service, custom, _caller(interaction)),
                            ephemeral=True)

    @staticmethod
    async def _first_time(interaction: discord.Interaction, service: CommandService) -> bool:
        """False when another session of this bot took the interaction (it answers it)."""
        # bounded: Discord wants an answer (or a deferral) within 3 s, and a busy database must not cost it
        if await first_time_soon(service.store, f"discord:{interaction.id}"):
            return True
        log.info("discord interaction already taken by another session", extra={"interaction": interaction.id})
        return False

    async def _respond(self, interaction: discord.Interaction, work: Any, *, ephemeral: bool) -> None:
        """Answer within Discord's 3 s, or defer ("thinking…") and edit the answer in later."""
        task: asyncio.Task[Message] = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if done:
            msg = _result(task)
            await interaction.response.send_message(ephemeral=msg.ephemeral, **message_kwargs(msg))
            return
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        await asyncio.wait({task})
        await interaction.edit_original_response(**message_kwargs(_result(task)))


def _result(task: asyncio.Task[Message]) -> Message:
    if (exc := task.exception()) is not None:
        log.error("discord command failed", exc_info=exc)
        return Message(content="Sorry, that command failed. Try again in a minute.")
    return task.result()


def _caller(interaction: discord.Interaction) -> Caller:
    return Caller(user=str(interaction.user.id), channel=str(interaction.channel_id) if interaction.channel_id else None,
                  guild=str(interaction.guild_id) if interaction.guild_id else None)


async def sync_tree(tree: app_commands.CommandTree[Any], guild: int | None) -> list[str]:
    """Register the commands globally (can take up to an hour to show) or in one guild (immediate)."""
    target = discord.Object(id=guild) if guild else None
    if target is not None:
        tree.copy_global_to(guild=target)
    synced = await tree.sync(guild=target)
    names = [f"{c.name} {o.name}" for c in synced for o in c.options] or [c.name for c in synced]
    log.info("discord commands synced", extra={"guild": guild, "commands": len(names)})
    return names


async def sync_commands(token: str, guild: int | None = None) -> list[str]:
    """``signals discord sync``: log in over REST only (no gateway), sync, log out."""
    client = SignalsClient(None, guild=guild)
    try:
        await client.login(token)
        return await sync_tree(client.tree, guild)
    finally:
        await client.close()
