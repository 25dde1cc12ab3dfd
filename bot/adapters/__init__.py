"""Destinations: console, webhook, Slack, Discord. Each is one small module behind ``Notifier``."""

from bot.adapters.base import Destination, Notifier, sources_line, truncate

__all__ = ["Destination", "Notifier", "sources_line", "truncate"]
