"""Check Slack when ``signals run`` starts: the token, then each configured channel.

Without it a token Slack refuses (the app never installed to the workspace, uninstalled, the
app-level ``xapp-`` token pasted as the bot token) or a channel the app was never invited to
showed only at the first alert's post, often hours after start (or never noticed on a day when
no story passed the thresholds). The dispatcher still pauses such channels at a post
(``bot.outbox.dispatch``); this says it in the first lines, with what to do.

A problem is logged, not fatal: the other channels (Discord, webhooks, console) keep working,
and Slack being unreachable at start is no reason to stop the bot. Read-only calls only:
``auth.test`` needs no scope, ``conversations.history`` (limit 1) the manifest's
``channels:history``/``groups:history``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.adapters.slack.notifier import AUTH_ERRORS, make_client

__all__ = ["check_app_token", "check_slack"]

log = logging.getLogger(__name__)

INSTALL = ("open the app at api.slack.com/apps, Install App (to this workspace), and set SLACK_BOT_TOKEN "
           "to its Bot User OAuth Token (xoxb-...)")
REFUSED = AUTH_ERRORS | {"not_allowed_token_type", "invalid_token"}  # the token is not one Slack takes here
CHANNEL_FIX = {
    "not_in_channel": "invite the app: type /invite @Signals in that channel",
    "channel_not_found": "no channel with this id that the app can see: check the id (channel details, "
                         "About tab, at the bottom) and, for a private channel, /invite @Signals in it",
    "is_archived": "the channel is archived: unarchive it or give the config another channel",
    "missing_scope": "the app lacks channels:history/groups:history: reinstall it from config/slack-manifest.yaml",
}


async def check_slack(token: str, channels: Mapping[str, str], base_url: str | None = None) -> list[str]:
    """Problems found, each one sentence naming what to do (also logged at ERROR). ``channels``
    maps config channel name to Slack channel id."""
    names = ", ".join(channels)
    problems: list[str] = []
    client = make_client(token, base_url, rate_limit_retries=0, server_error_retries=0, timeout=10)
    try:
        await client.auth_test()
    except SlackApiError as exc:
        error = _error(exc)
        if token.startswith("xapp-"):
            problems.append(f"SLACK_BOT_TOKEN holds an app-level token (xapp-), which is SLACK_APP_TOKEN's: "
                            f"{INSTALL}; channels {names} cannot post until then")
        elif error in REFUSED:
            problems.append(f"Slack refused SLACK_BOT_TOKEN ({error}): the app is not installed to this "
                            f"workspace, was uninstalled, or the token is mistyped: {INSTALL}; channels {names} "
                            f"cannot post until then")
        else:
            log.warning("could not check the Slack token at start: %s", error or exc)
        return _logged(problems)
    except (SlackClientError, OSError, TimeoutError) as exc:
        log.warning("could not reach Slack to check the token at start: %s", exc)
        return problems
    for name, channel in channels.items():
        try:
            await client.conversations_history(channel=channel, limit=1)
        except SlackApiError as exc:
            error = _error(exc)
            if error in CHANNEL_FIX:
                problems.append(f"Slack channel {name} (slack: {channel}) cannot take posts ({error}): "
                                f"{CHANNEL_FIX[error]}")
        except (SlackClientError, OSError, TimeoutError):
            break  # Slack went away meanwhile: the posts will say
    return _logged(problems)


def _error(exc: SlackApiError) -> str:
    """Slack's error code (``invalid_auth``, ``not_in_channel``, ...); empty when the answer has none."""
    return str(exc.response.get("error", "")) if exc.response is not None else ""


def _logged(problems: list[str]) -> list[str]:
    for p in problems:
        log.error(p)
    return problems


async def check_app_token(token: str, base_url: str | None = None) -> str | None:
    """The problem with ``SLACK_APP_TOKEN`` (Socket Mode), or None. A refused app token made the
    Socket Mode client log a traceback and retry forever, and /signals went unanswered with no
    line saying which token to fix. ``apps.connections.open`` is the call the client makes first."""
    client = make_client(token, base_url, rate_limit_retries=0, server_error_retries=0, timeout=10)
    try:
        await client.apps_connections_open(app_token=token)
    except SlackApiError as exc:
        error = _error(exc)
        if error in REFUSED:
            hint = "that is the bot token (SLACK_BOT_TOKEN's); " if token.startswith("xoxb-") else ""
            problem = (f"Slack refused SLACK_APP_TOKEN ({error}): {hint}at api.slack.com/apps, Basic Information, "
                       "App-Level Tokens, create one with the connections:write scope and set SLACK_APP_TOKEN to it "
                       "(xapp-...); /signals commands and buttons are not answered until then")
            log.error(problem)
            return problem
    except (SlackClientError, OSError, TimeoutError):
        return None  # unreachable now: the Socket Mode client retries
    return None
