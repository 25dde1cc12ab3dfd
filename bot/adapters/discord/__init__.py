"""Discord destination: embeds with buttons via a bot token or a channel webhook.

Posting (:class:`DiscordNotifier`, :class:`DiscordWebhookNotifier`) needs only REST; the
gateway client (:mod:`.gateway`) and the HTTP interactions endpoint (:mod:`.web`) answer
``/signals`` commands and button clicks with the shared logic in :mod:`bot.commands`.
"""

import warnings

with warnings.catch_warnings():
    # discord.py imports the stdlib ``audioop`` (voice), deprecated since Python 3.11;
    # we never use voice, and tests run with warnings as errors.
    warnings.filterwarnings("ignore", message=".*audioop.*", category=DeprecationWarning)
    import discord  # noqa: F401

from bot.adapters.discord.notifier import DiscordNotifier
from bot.adapters.discord.webhook import DiscordWebhookNotifier

__all__ = ["DiscordNotifier", "DiscordWebhookNotifier"]
