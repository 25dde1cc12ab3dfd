"""Build one :class:`Destination` per configured channel from settings and the environment.

Tokens come only from the environment. A channel whose platform has no token falls back
to the console (with a warning), so the embedded default works with no account at all.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from bot.adapters.base import Destination, Notifier
from bot.adapters.console import ConsoleNotifier
from bot.settings import Settings

__all__ = ["build_destinations"]

log = logging.getLogger(__name__)


def build_destinations(settings: Settings, fmt: str = "text", env: Mapping[str, str] | None = None) -> dict[str, Destination]:
    env = os.environ if env is None else env
    console = ConsoleNotifier(fmt)
    shared: dict[str, Notifier] = {}
    out: dict[str, Destination] = {}
    for ch in settings.channels:
        if ch.slack and env.get("SLACK_BOT_TOKEN"):
            if "slack" not in shared:
                from bot.adapters.slack import SlackNotifier

                shared["slack"] = SlackNotifier(token=env["SLACK_BOT_TOKEN"], base_url=env.get("SLACK_API_URL"))
            out[ch.name] = Destination(shared["slack"], ch.slack)
        elif ch.discord and env.get("DISCORD_BOT_TOKEN"):
            if "discord" not in shared:
                from bot.adapters.discord import DiscordNotifier

                shared["discord"] = DiscordNotifier(token=env["DISCORD_BOT_TOKEN"], base_url=env.get("DISCORD_API_URL"))
            out[ch.name] = Destination(shared["discord"], ch.discord)
        elif ch.discord_webhook:
            if "discord_webhook" not in shared:
                from bot.adapters.discord import DiscordWebhookNotifier

                shared["discord_webhook"] = DiscordWebhookNotifier()
            out[ch.name] = Destination(shared["discord_webhook"], ch.discord_webhook)
        elif ch.webhook:
            if "webhook" not in shared:
                from bot.adapters.webhook import WebhookNotifier

                shared["webhook"] = WebhookNotifier()
            out[ch.name] = Destination(shared["webhook"], ch.webhook)
        else:
            if not ch.console:  # name the variable: 'no token' alone left the user guessing which
                variable, doc = ("SLACK_BOT_TOKEN", "docs/slack.md") if ch.slack else ("DISCORD_BOT_TOKEN", "README.md")
                log.warning("%s is not set: channel %s prints its alerts to the console; export %s=... in the "
                            "environment Signals starts in (%s)", variable, ch.name, variable, doc,
                            extra={"channel": ch.name})
            out[ch.name] = Destination(console, ch.name)
    return out
