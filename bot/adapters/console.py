"""Console destination: alerts printed to stdout, as text for people or JSON lines for tools.

This is what the embedded default uses when no Slack or Discord token is set.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from bot.adapters.base import Notifier, sources_line
from bot.models import Alert, AlertKind, Delivery, SentMessage

__all__ = ["ConsoleNotifier", "alert_json", "format_text"]


def alert_json(alert: Alert, channels: list[str] | None = None) -> dict[str, Any]:
    """The JSON-lines record other tools rely on (see README, `signals run --format jsonl`)."""
    return {
        "story_id": alert.story_id, "kind": alert.kind.value, "title": alert.title, "url": alert.url,
        "sources": [{"name": s.name, "url": s.url} for s in alert.sources],
        "category": alert.category, "importance": round(alert.importance, 2), "badge": alert.badge,
        "relevance": {k: round(v, 3) for k, v in alert.relevance.items()}, "topics": alert.topics,
        "summary": alert.summary, "tags": alert.tags, "channels": channels if channels is not None else [alert.channel],
        "published_at": alert.published_at.isoformat() if alert.published_at else None,
    }


def format_text(alert: Alert) -> str:
    if alert.kind is AlertKind.FOLLOWUP:
        new = ", +".join(s.name for s in alert.newcomers) or "another outlet"
        return (f"  ↳ [{alert.channel}] story {alert.story_id}: +{new}, now {len(alert.sources)} sources"
                f" ({sources_line(alert.sources, 4)})")
    if alert.kind is AlertKind.DIGEST:
        title = alert.title if alert.title.lower().startswith("digest") else f"Digest: {alert.title}"
        lines = [f"[{alert.channel}] {title}"]
        lines += [f"  {i + 1}. [{it.badge}] {it.title} — {it.url}" for i, it in enumerate(alert.items)]
        return "\n".join(lines)
    if alert.kind is AlertKind.NOTICE:
        return f"[{alert.channel}] ⚠ {alert.text}"
    topic = f" · {', '.join(alert.topics)}" if alert.topics else ""
    n = len(alert.sources)
    lines = [f"[{alert.channel}] {alert.badge}{topic}", f"  {alert.title}", f"  {alert.url}"]
    lines += [f"  • {b}" for b in alert.summary]
    meta = f"  {n} source{'s' if n != 1 else ''}: {sources_line(alert.sources)}"
    if alert.tags:
        meta += f" · tags: {', '.join(alert.tags)}"
    lines.append(meta)
    return "\n".join(lines)


class ConsoleNotifier(Notifier):
    name = "console"

    def __init__(self, fmt: str = "text", stream: TextIO | None = None) -> None:
        self.fmt = fmt
        self.stream = stream

    async def send(self, delivery: Delivery, target: str) -> SentMessage:
        out = self.stream or sys.stdout
        if self.fmt == "jsonl":
            out.write(json.dumps(alert_json(delivery.alert), ensure_ascii=False) + "\n")
        else:
            out.write(format_text(delivery.alert) + "\n\n")
        out.flush()
        return SentMessage(message_id=f"console-{delivery.id}")
