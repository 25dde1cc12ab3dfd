"""Typed objects that cross stages. Each stage takes and returns these, never loose dicts.

Flow: ``RawEntry`` (ingest.parser) → ``Article`` (ingest.cleaner, store; ``stories`` sets
its ``story_id``) → ``Scores`` (classifiers) → ``Alert`` (routing) → ``Delivery`` (outbox) →
adapters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Alert",
    "AlertKind",
    "Article",
    "Delivery",
    "DeliveryStatus",
    "FetchState",
    "RawEntry",
    "SentMessage",
    "SourceRef",
    "out_of_ten",
]


def out_of_ten(importance: float) -> int:
    """The badge's number, rounded half up (6.5 -> 7, 7.5 -> 8) as people read a score.

    ``round()`` goes half to even: 6.5 showed 6/10 and 7.5 8/10, so stories a point apart
    showed two apart. Every place that prints ``N/10`` (alerts, digests, lists, why, the CLI)
    uses this, so the same story never shows two numbers.
    """
    return math.floor(importance + 0.5)


@dataclass(slots=True)
class FetchState:
    """What we remember about a source between polls (kept in the store)."""

    source: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    paused: bool = False
    pause_reason: str | None = None
    last_status: int | None = None
    last_error: str | None = None
    last_fetch_at: datetime | None = None
    last_ok_at: datetime | None = None
    next_poll_at: datetime | None = None
    config_url: str | None = None  # the configured URL this state was kept for; ``url`` may be where it moved

    @property
    def gone(self) -> bool:
        """Paused because the feed answered 410 Gone: only a person resumes it."""
        return self.paused and self.last_status == 410

    def probe_due(self, now: datetime) -> bool:
        """A source paused after repeated failures is tried again at ``next_poll_at`` (the
        slowest rate, ``max_every``), so a feed that was down for a day comes back by itself."""
        return self.paused and not self.gone and self.next_poll_at is not None and now >= self.next_poll_at

    def for_url(self, url: str) -> FetchState:
        """This state, if it was kept for the configured ``url``; a fresh one when the config's URL
        changed since: the old URL's validators, failures, pause and schedule are not the new one's
        (and ``url`` would keep polling the old address). A state from before ``config_url`` was
        kept is adopted when it polls ``url`` itself; if it polls another address (a redirect's
        or an older config's: it cannot tell), it starts afresh too, which costs a redirect
        at worst."""
        if self.config_url == url:
            return self
        if self.config_url is None and self.url == url:
            self.config_url = url
            return self
        return FetchState(source=self.source, url=url, config_url=url)


@dataclass(slots=True)
class RawEntry:
    """One feed entry as the parser read it, before cleaning."""

    guid: str
    url: str
    title: str
    summary: str = ""  # HTML or text teaser
    content: str = ""  # full HTML/text when the feed carries it
    published_at: datetime | None = None
    author: str | None = None


@dataclass(slots=True)
class Article:
    """A cleaned article, as stored. ``id`` is set by the store."""

    source: str
    guid: str
    url: str
    canonical_url: str
    title: str
    text: str
    published_at: datetime | None
    fetched_at: datetime
    content_hash: str
    id: int | None = None
    story_id: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRef:
    name: str
    url: str


class AlertKind(StrEnum):
    ALERT = "alert"  # first top-level message for a story in a channel
    FOLLOWUP = "followup"  # later coverage: thread reply or edit of the sources line
    DIGEST = "digest"  # several stories in one message
    NOTICE = "notice"  # operational message (source failing, cap reached)


@dataclass(slots=True)
class Alert:
    """A neutral, platform-free view of what to post. Adapters format it."""

    kind: AlertKind
    channel: str
    story_id: str
    title: str
    url: str
    importance: float
    category: str
    topics: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    relevance: dict[str, float] = field(default_factory=dict)
    text: str = ""  # free text for digests and notices
    items: list[Alert] = field(default_factory=list)  # digest entries
    new_source: SourceRef | None = None  # for follow-ups: the outlet that just covered it (the last one)
    new_sources: list[SourceRef] = field(default_factory=list)  # follow-ups: every outlet new in this batch
    followup_mode: str = "thread"  # follow-ups: "thread" reply or "edit" of the alert's sources line

    @property
    def newcomers(self) -> list[SourceRef]:
        """The outlets a follow-up announces: several can join a story between two cycles."""
        return list(self.new_sources) or ([self.new_source] if self.new_source else [])

    @property
    def badge(self) -> str:
        return f"{out_of_ten(self.importance)}/10 · {self.category}"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker; on restart, reconciled before any retry
    SENT = "sent"
    FAILED = "failed"  # permanent: never retried
    HELD = "held"  # quiet hours / cap: released later


@dataclass(slots=True)
class Delivery:
    """One outbox row: one alert to one channel, posted exactly once."""

    id: int
    key: str  # unique idempotency key, e.g. "alert:<story>:<channel>"
    channel: str
    story_id: str | None
    kind: AlertKind
    alert: Alert
    status: DeliveryStatus
    attempts: int = 0
    next_try_at: datetime | None = None
    provider_message_id: str | None = None
    thread_id: str | None = None  # provider message id of the story's top-level alert
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SentMessage:
    """What a destination returns after posting: its id for threads and edits."""

    message_id: str
    permalink: str | None = None
    # a follow-up that went out at the top of the channel as the story's alert, because the
    # alert it was meant for had been deleted (Slack posts a reply to a deleted parent there)
    stands_in: bool = False
