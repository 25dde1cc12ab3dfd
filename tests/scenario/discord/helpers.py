"""Shared helpers for the Discord scenario tests (alerts, enqueueing)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Alert, AlertKind, SourceRef
from bot.outbox import NewDelivery, Outbox

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
NEWS, OTHER = "1300000000000000001", "1300000000000000002"


def make_alert(story: str, channel: str = "news", kind: AlertKind = AlertKind.ALERT, **kw: object) -> Alert:
    base: dict[str, object] = dict(
        kind=kind, channel=channel, story_id=story, title=f"Story {story}", url=f"https://wire.example/{story}",
        importance=7.2, category="Industry", topics=["ai"], summary=["First point", "Second point"],
        sources=[SourceRef("Wire", f"https://wire.example/{story}")], tags=["earnings"], published_at=NOW)
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def enqueue(outbox: Outbox, *alerts: Alert) -> None:
    items = []
    for a in alerts:
        key = (f"followup:{a.story_id}:{a.channel}:{a.new_source.name if a.new_source else ''}"
               if a.kind is AlertKind.FOLLOWUP else f"{a.kind}:{a.story_id}:{a.channel}")
        items.append(NewDelivery(key, a))
    with outbox.store.begin() as c:
        outbox.enqueue(c, items, NOW)
