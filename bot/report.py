"""What one cycle did: the figures ``signals run`` prints after each cycle and logs."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.outbox import DeliveryReport

__all__ = ["CycleReport"]


@dataclass(slots=True)
class CycleReport:
    sources: int = 0
    fetched: int = 0
    not_modified: int = 0
    errors: int = 0
    paused: int = 0
    new_articles: int = 0
    new_stories: int = 0
    updated_stories: int = 0
    alerts: int = 0
    followups: int = 0
    set_aside: int = 0  # articles that could not be processed while others could (logged at ERROR)
    delivered: DeliveryReport = field(default_factory=DeliveryReport)
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"{self.sources} sources ({self.fetched} fetched, {self.not_modified} unchanged, {self.errors} failed, "
                f"{self.paused} paused), {self.new_articles} new articles, {self.new_stories} new stories, "
                f"{self.alerts} alerts, {self.followups} follow-ups, {self.delivered.sent} sent, "
                f"{self.delivered.failed} failed{f', {self.set_aside} set aside' if self.set_aside else ''} "
                f"in {self.seconds:.1f}s")
