"""The one root of every error Signals raises on purpose.

Third-party errors are translated at the edge (``raise ... from exc``) so callers
catch ours, and the message says where the problem came from::

    SignalsError
    ├── ConfigError            bad YAML or values; carries file, line and key
    ├── FetchError             a source could not be fetched (network, HTTP status, size cap)
    │   ├── FetchTimeout
    │   └── SourceGone         410 Gone or too many failures: the source is paused
    ├── FeedParseError         the body is not a feed we can read
    ├── StoreError             the database refused or is unreachable
    ├── BrokerError            Redis (SIGNALS_BROKER_URL) refused or is unreachable
    ├── ModelError             a shipped model file is missing, corrupt or incompatible
    ├── DeliveryError          a destination refused a message
    │   ├── RateLimited        try again after ``retry_after`` seconds
    │   └── PermanentDeliveryError  never retry (channel_not_found, missing_scope, ...)
    │       ├── AuthFailed     the token is refused: the destination pauses, nothing fails
    │       ├── ChannelUnavailable  archived, deleted or closed to the bot: it pauses too
    │       └── OriginalGone   the alert a follow-up replies to or edits was deleted
    └── CommandError           a chat or CLI command was used wrongly; the text is for the user
        └── PermissionDenied   the user may not make that change
"""

from __future__ import annotations

__all__ = [
    "MAX_RETRY_AFTER",
    "AuthFailed",
    "BrokerError",
    "ChannelUnavailable",
    "CommandError",
    "ConfigError",
    "ConfigIssue",
    "DeliveryError",
    "FeedParseError",
    "FetchError",
    "FetchTimeout",
    "ModelError",
    "OriginalGone",
    "PermanentDeliveryError",
    "PermissionDenied",
    "RateLimited",
    "SignalsError",
    "SourceGone",
    "StoreError",
]

import math
from dataclasses import dataclass

MAX_RETRY_AFTER = 3600.0  # seconds: the longest pause a rate limit may impose on one channel


class SignalsError(Exception):
    """Root of every error Signals raises deliberately."""


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a config file: where it is and what was expected."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class BrokerError(SignalsError):
    """Redis, the broker of the scale-out set-up, refused or could not be reached."""


class ConfigError(SignalsError):
    """The configuration is invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class FetchError(SignalsError):
    """A source could not be fetched."""

    def __init__(self, source: str, message: str, *, status: int | None = None) -> None:
        self.source = source
        self.status = status
        super().__init__(f"{source}: {message}")


class FetchTimeout(FetchError):
    """Connect, read or total time limit exceeded."""


class SourceGone(FetchError):
    """The source answered 410 Gone or failed too often; it is paused."""


class FeedParseError(SignalsError):
    """The body could not be read as RSS, Atom or JSON Feed."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {message}")


class StoreError(SignalsError):
    """The database failed."""


class ModelError(SignalsError):
    """A shipped model is missing, corrupt or was built by an incompatible version."""


class DeliveryError(SignalsError):
    """A destination did not accept a message; it may be retried."""

    def __init__(self, destination: str, message: str) -> None:
        self.destination = destination
        super().__init__(f"{destination}: {message}")


class RateLimited(DeliveryError):
    """The destination asked us to wait ``retry_after`` seconds.

    The wait is what the server sent, bounded to ``[0, MAX_RETRY_AFTER]``: a ``Retry-After``
    of 10^12 s or ``inf`` (a broken proxy) would otherwise overflow the outbox's datetime
    arithmetic and wedge the channel; an hour later we simply ask again. ``nan`` counts as
    the longest wait. The message keeps the server's own figure when it was changed.
    """

    def __init__(self, destination: str, retry_after: float) -> None:
        wait = min(max(retry_after, 0.0), MAX_RETRY_AFTER) if math.isfinite(retry_after) else MAX_RETRY_AFTER
        self.retry_after = wait
        asked = "" if wait == retry_after else f" (asked for {retry_after:g}s)"
        super().__init__(destination, f"rate limited, retry after {wait:g}s{asked}")


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (unknown channel, missing access, bad token)."""


class AuthFailed(PermanentDeliveryError):
    """The destination refused our credentials (invalid or revoked token, Discord 401).

    Permanent for this request, but not for the deliveries: every one of them would fail the
    same way until someone fixes the token, so the dispatcher pauses the channel (its queue
    waits) instead of failing them one by one; see :mod:`bot.outbox.dispatch`.
    """

    pause_reason = "credentials refused"  # the title of the catch-up sent when it works again
    remedy = "fix the token"


class ChannelUnavailable(PermanentDeliveryError):
    """The channel cannot take posts now: archived, deleted, or the bot was removed from it or lost
    the right to post (Slack ``is_archived``, ``channel_not_found``, ``not_in_channel``; Discord
    Unknown Channel, Missing Access or Permissions; a deleted Discord webhook).

    Like :class:`AuthFailed`, it pauses the channel instead of failing every queued alert:
    someone unarchives the channel or invites the bot back, and the alerts queued meanwhile
    leave as one catch-up. Failing them one by one lost the whole queue to one archived channel.
    """

    pause_reason = "channel unavailable"
    remedy = "unarchive the channel, add the bot to it (with the right to post), or fix the channel in the config"

    def __init__(self, destination: str, message: str, *, remedy: str | None = None) -> None:
        super().__init__(destination, message)
        if remedy is not None:
            self.remedy = remedy


class OriginalGone(PermanentDeliveryError):
    """The story's message that a follow-up edits or replies to was deleted on the platform.

    Permanent for that message, not for the story: the dispatcher posts the follow-up as the
    story's alert again, and later follow-ups go to that one (:mod:`bot.outbox.dispatch`).
    """


class CommandError(SignalsError):
    """A command was used wrongly; the message is shown to the user as is."""


class PermissionDenied(CommandError):
    """The user may not make this change."""
