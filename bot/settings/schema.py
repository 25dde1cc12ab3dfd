"""Typed configuration. Every value a stage needs arrives as one of these objects.

Loaded from YAML by :mod:`bot.settings.loader`, which turns validation errors into
``file:line: key: message``. Channel rules may be given once under ``defaults`` and
are inherited by every channel that does not set them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.settings.cron import check_cron

__all__ = [
    "ChannelRules",
    "ChannelSettings",
    "DigestSettings",
    "FetchSettings",
    "Settings",
    "SourceSettings",
    "StorySettings",
    "TopicSettings",
    "format_duration",
    "parse_duration",
    "visible_name",
]

_DURATION = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[a-z]*\s*)+$", re.I)
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)", re.I)
_UNITS = {"": 1, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
          "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
          "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_NEXT_UNIT = {60: "s", 3600: "m", 86400: "h", 604800: "d"}  # what a bare number after a unit must mean


def parse_duration(value: Any) -> timedelta:
    """Accept ``90``, ``"90s"``, ``"15m"``, ``"72h"``, ``"7d"``, ``"1h30m"``, ``"15 minutes"`` or a
    timedelta. Compounds and unit words are read because people write them in a config and mean
    the obvious; a bare number after a unit (``1h30``) is refused with the spelling that was surely
    meant (``write 1h30m``), as guessing minutes there would silently be wrong for ``1d12``."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=float(value))
    hint = ""
    if isinstance(value, str) and _DURATION.match(value):
        parts = [(float(n), u.lower()) for n, u in _PART.findall(value)]
        if all(u in _UNITS for _, u in parts) and (len(parts) == 1 or all(u for _, u in parts[:-1])):
            if len(parts) == 1 or parts[-1][1]:
                return timedelta(seconds=sum(n * _UNITS[u] for n, u in parts))
            if (unit := _NEXT_UNIT.get(_UNITS[parts[-2][1]])) is not None:
                hint = f": write {value.strip()}{unit}"
    raise ValueError(f"expected a duration such as 30s, 15m, 2h, 7d or 1h30m, got {value!r}{hint}")


def format_duration(value: timedelta) -> str:
    """A duration as the config writes it, in its largest whole unit: ``7d``, ``2h``, ``90m``,
    ``30s`` (:func:`parse_duration` reads it back)."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
MIN_POLL = timedelta(seconds=10)


def _at_least_min_poll(v: timedelta | None) -> timedelta | None:
    """Poll intervals: ``every: 0`` (a YAML slip) polled a publisher every second, and a
    ``max_every`` of 0 made adaptive polling and the retries of a paused source do the same."""
    if v is not None and v < MIN_POLL:
        raise ValueError(f"at least {MIN_POLL.total_seconds():g}s between polls, got {v.total_seconds():g}s")
    return v


def _check_timezone(v: str | None) -> str | None:
    """An IANA zone name such as ``Europe/Berlin``: rejected at load time, not at 22:00."""
    if v is None:
        return v
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {v!r}; use an IANA name such as Europe/Berlin or UTC") from exc
    return v


def _check_hook_url(v: str | None) -> str | None:
    """An http(s) URL with a host; checked at load time, not at the first alert. The value is
    not echoed: webhook URLs carry their token."""
    if v is None:
        return v
    try:
        parts = urlsplit(v)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ValueError(f"expected an http:// or https:// URL ({exc}; value not shown: it may hold a token)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"[\s\x00-\x1f\x7f]", v):
        raise ValueError("expected an http:// or https:// URL with a host and no spaces "
                         "(value not shown: it may hold a token)")
    return v


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FetchSettings(_Model):
    timeout: Duration = timedelta(seconds=20)  # total per request
    connect_timeout: Duration = timedelta(seconds=10)
    per_host: int = Field(default=2, ge=1, le=64)  # concurrent requests per host
    concurrency: int = Field(default=64, ge=1, le=1024)  # concurrent requests overall
    max_bytes: int = Field(default=10_000_000, ge=1024)  # body-size cap
    # entries read from one feed document, the newest first: 10 MB holds ~150,000 minimal items,
    # each cleaned, stored, clustered and possibly its article page fetched in one poll
    max_entries: int = Field(default=1000, ge=1)
    # article pages fetched for teasers per poll of a source, the newest first (each up to 5 MB,
    # at URLs the feed chooses); the others keep their teaser
    max_full_text: int = Field(default=100, ge=0)
    retries: int = Field(default=2, ge=0, le=10)
    pause_after_failures: int = Field(default=10, ge=1)
    user_agent: str = "Signals/0.1 (+https://github.com/signals-bot/signals)"
    jitter: float = Field(default=0.1, ge=0, le=0.5)  # share of the interval
    # Adaptive polling (bot.sources.adaptive): each source's interval follows how often it publishes,
    # between its ``min_every`` (default: its ``every``) and ``max_every`` (default: this one).
    adaptive: bool = True
    max_every: Duration = timedelta(hours=6)
    # Hosts or networks user-supplied URLs (chat/CLI ``sources add``) may reach although private/loopback.
    allow_hosts: list[str] = Field(default_factory=list)

    @field_validator("max_every")
    @classmethod
    def _poll_interval(cls, v: timedelta) -> timedelta:
        return _at_least_min_poll(v)  # type: ignore[return-value]


class SourceSettings(_Model):
    name: str = Field(min_length=1)
    url: str
    every: Duration = timedelta(minutes=15)
    weight: float = Field(default=1.0, ge=0, le=10)
    full_text: Literal["auto", "always", "never"] = "auto"  # fetch the article page for teasers
    enabled: bool = True
    topics: list[str] = Field(default_factory=list)  # optional hint: topics this source is about
    min_every: Duration | None = None  # adaptive polling bounds; None: ``every`` and ``fetch.max_every``
    max_every: Duration | None = None

    @field_validator("every", "min_every", "max_every")
    @classmethod
    def _poll_interval(cls, v: timedelta | None) -> timedelta | None:
        return _at_least_min_poll(v)

    @field_validator("name")
    @classmethod
    def _visible(cls, v: str, info: ValidationInfo) -> str:
        # a name is printed (console, CLI) and posted (Slack): a right-to-left override in it turned
        # the rest of each line around, a zero-width space made two names look alike. A name stored
        # before this check (a source added at runtime) is read as it is: refusing it would stop polling
        if not (info.context or {}).get("stored") and any(unicodedata.category(ch) in ("Cc", "Cf") for ch in v):
            raise ValueError(f"{v!r} holds invisible characters (control, bidi or zero-width); "
                             f"write it as {visible_name(v)!r}")
        return v

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        from bot.settings.feedurl import feed_url

        v = feed_url(v)  # feed://, feed:https://, <url>, HTTP:// as browsers and OPML files give them
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"expected an http:// or https:// URL, got {v!r}")
        return v


class TopicSettings(_Model):
    keywords: list[str] = Field(min_length=1)
    exclude: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)  # on-topic texts, or URLs of on-topic articles (fetched)
    threshold: float = Field(default=0.5, ge=0, le=1)


class DigestSettings(_Model):
    schedule: str = "0 9 * * MON-FRI"  # cron: minute hour day month weekday
    timezone: str | None = None
    min_importance: float = Field(default=0, ge=0, le=10)
    max_items: int = Field(default=10, ge=1, le=50)

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        return check_cron(v)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        return _check_timezone(v)


class ChannelRules(_Model):
    """Rules that may be set per channel or once under ``defaults``."""

    topics: list[str] | None = None
    min_importance: float | None = Field(default=None, ge=0, le=10)
    min_relevance: float | None = Field(default=None, ge=0, le=1)
    categories: list[str] | None = None
    exclude_categories: list[str] | None = None
    events: list[str] | None = None
    exclude_events: list[str] | None = None
    include: list[str] | None = None  # keyword or /regex/ that must match title or text
    exclude: list[str] | None = None  # keyword or /regex/ that must not match
    sources: list[str] | None = None
    exclude_sources: list[str] | None = None
    quiet_hours: str | None = None  # "22:00-07:00"
    timezone: str | None = None
    urgent_importance: float | None = Field(default=None, ge=0, le=10)
    max_per_hour: int | None = Field(default=None, ge=0)
    max_per_day: int | None = Field(default=None, ge=0)
    followups: Literal["thread", "edit", "none"] | None = None
    max_followups_per_hour: int | None = Field(default=None, ge=1)  # thread replies per story (routing.pacing)
    digest: DigestSettings | None = None
    mode: Literal["alerts", "digest_only"] | None = None
    admins: list[str] | None = None

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^\s*([01]?\d|2[0-3]):[0-5]\d\s*-\s*([01]?\d|2[0-3]):[0-5]\d\s*$", v):
            raise ValueError(f"expected HH:MM-HH:MM such as 22:00-07:00, got {v!r}")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        return _check_timezone(v)


class ChannelSettings(ChannelRules):
    name: str = Field(min_length=1)
    console: bool = False
    slack: str | None = None  # channel id, e.g. C0123
    discord: str | None = None  # channel id (bot token) ...
    discord_webhook: str | None = None  # ... or a webhook URL (posting only)
    webhook: str | None = None  # generic JSON webhook URL

    @model_validator(mode="after")
    def _one_destination(self) -> ChannelSettings:
        n = sum(bool(x) for x in (self.console, self.slack, self.discord, self.discord_webhook, self.webhook))
        if n == 0:
            raise ValueError("a channel needs a destination: console: true, slack: ID, discord: ID, "
                             "discord_webhook: URL or webhook: URL")
        return self

    @property
    def target(self) -> str | None:
        """Where this channel posts (``slack C0123``); None for the console. Two config channels may
        share one (a rule set per topic): routing then posts a story there once."""
        for kind in ("slack", "discord", "discord_webhook", "webhook"):
            if value := getattr(self, kind):
                return f"{kind} {value}"
        return None

    @field_validator("webhook", "discord_webhook")
    @classmethod
    def _hook_url(cls, v: str | None) -> str | None:
        return _check_hook_url(v)

    @field_validator("discord", "slack", mode="before")
    @classmethod
    def _as_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @field_validator("slack")
    @classmethod
    def _slack_id(cls, v: str | None) -> str | None:
        """Slack's API takes the channel's id: a name (``#news``) loaded, then every post failed with
        channel_not_found, or went out while the crash reconciliation (conversations.history, ids
        only) could never find it. Ids are upper-case letters and digits (C…, G…)."""
        if v and not re.fullmatch(r"[A-Z0-9]+", v):
            raise ValueError(f"{v!r} is not a Slack channel id; write the channel id, e.g. C0123ABCD: in Slack open "
                             "the channel details (click its name), the id is at the bottom of the About tab")
        return v

    @field_validator("discord")
    @classmethod
    def _discord_id(cls, v: str | None) -> str | None:
        """A Discord channel id is a number (a snowflake); a name was only refused by the first post."""
        if v and not v.isdigit():
            raise ValueError(f"{v!r} is not a Discord channel id; write the channel id, a number: in Discord turn on "
                             "Developer Mode (User Settings, Advanced), then right-click the channel: Copy Channel ID")
        return v


class StorySettings(_Model):
    window: Duration = timedelta(hours=72)


class Settings(_Model):
    """The whole configuration: sources, topics, channels and the knobs of each stage."""

    timezone: str = "UTC"
    sources: list[SourceSettings] = Field(default_factory=list)
    topics: dict[str, TopicSettings] = Field(default_factory=dict)
    channels: list[ChannelSettings] = Field(default_factory=list)
    defaults: ChannelRules = ChannelRules()
    watchlist: list[str] = Field(default_factory=list)  # prominent companies/products: raise importance
    admins: list[str] = Field(default_factory=list)
    fetch: FetchSettings = FetchSettings()
    stories: StorySettings = StorySettings()
    database_url: str | None = None
    # Stories quiet this long lose decisions, finished outbox rows and body text (a daily job; see
    # bot/store/retention.py). null: keep everything.
    retention: Duration | None = timedelta(days=90)
    # Source health notices: tell channels when a source has been failing this long, and when it recovers.
    source_alert_after: Duration | None = timedelta(hours=2)  # null: never
    # ... and when a source that still answers has had no new article this long (bot/routing/quiet.py).
    source_quiet_after: Duration | None = timedelta(days=14)  # null: never
    notice_channels: list[str] = Field(default_factory=list)  # channels told about every source's health

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return _check_timezone(v) or "UTC"

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: timedelta | None) -> timedelta | None:
        if v is not None and v < timedelta(days=7):
            raise ValueError("retention must be at least 7d (stories still growing need their rows), or null to "
                             "keep everything")
        return v

    @model_validator(mode="after")
    def _references(self) -> Settings:
        names = [s.name for s in self.sources]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"source names must be unique; repeated: {', '.join(sorted(dup))}")
        chans = [c.name for c in self.channels]
        dupc = {n for n in chans if chans.count(n) > 1}
        if dupc:
            raise ValueError(f"channel names must be unique; repeated: {', '.join(sorted(dupc))}")
        unknown = [n for n in self.notice_channels if n not in chans]
        if unknown:
            raise ValueError(f"notice_channels: unknown channel {unknown[0]!r}; channels: {', '.join(chans) or 'none'}")
        return self

    def channel(self, name: str) -> ChannelSettings:
        for c in self.channels:
            if c.name == name:
                return c
        raise KeyError(name)

    def rules(self, channel: ChannelSettings) -> ChannelRules:
        """The channel's effective rules: its own values, else ``defaults``, else built-ins."""
        merged: dict[str, Any] = {}
        for key in ChannelRules.model_fields:
            own = getattr(channel, key)
            merged[key] = own if own is not None else getattr(self.defaults, key)
        return ChannelRules(**merged)


def visible_name(text: str) -> str:
    """``text`` without control, bidi and zero-width characters (Unicode Cc/Cf), on one line: the
    form a source name takes when it comes from an OPML file, a feed's title or chat."""
    return " ".join("".join(" " if ch in "\t\n\r\x0b\x0c\x85" else ch for ch in text
                            if ch in "\t\n\r\x0b\x0c\x85" or unicodedata.category(ch) not in ("Cc", "Cf")).split())
