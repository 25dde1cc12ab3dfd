"""Slack: alerts as Block Kit messages (``notifier``), the Bolt app for ``/signals`` and buttons
(``app``), served over HTTP by the web process (``web``) or over Socket Mode (``socket``).

Tokens come only from the environment: ``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET`` (HTTP
mode), ``SLACK_APP_TOKEN`` (Socket Mode) and, for tests, ``SLACK_API_URL``.
"""

from bot.adapters.slack.notifier import SlackNotifier

__all__ = ["SlackNotifier"]
