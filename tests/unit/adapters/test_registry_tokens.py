"""A Slack or Discord channel whose token is not set says which variable to set.

The warning read 'no token for this channel's platform; printing its alerts to the console':
a user whose ${SLACK_BOT_TOKEN} was not exported in this shell (a new terminal, a service
unit without it) saw their alerts in the console and no word on which variable was missing.
"""

from __future__ import annotations

import logging

import pytest

from bot.adapters.registry import build_destinations
from bot.settings import settings_from_mapping


@pytest.mark.parametrize(("channel", "variable", "doc"), [({"slack": "C0123ABCD"}, "SLACK_BOT_TOKEN", "docs/slack.md"),
                                                         ({"discord": "1234"}, "DISCORD_BOT_TOKEN", "README.md")])
def test_a_channel_without_its_token_names_the_variable(channel: dict, variable: str, doc: str,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    settings = settings_from_mapping({"channels": [{"name": "news", **channel}]})
    with caplog.at_level(logging.WARNING):
        build_destinations(settings, env={})
    (record,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = record.getMessage()
    assert f"{variable} is not set" in message and "console" in message and doc in message
