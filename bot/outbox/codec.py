"""Alerts are stored in the outbox as JSON; these two functions are the only (de)serialisers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.models import Alert, AlertKind, SourceRef

__all__ = ["alert_from_dict", "alert_to_dict"]


def alert_to_dict(a: Alert) -> dict[str, Any]:
    return {
        "kind": a.kind.value, "channel": a.channel, "story_id": a.story_id, "title": a.title, "url": a.url,
        "importance": a.importance, "category": a.category, "topics": list(a.topics), "summary": list(a.summary),
        "sources": [[s.name, s.url] for s in a.sources], "tags": list(a.tags),
        "published_at": a.published_at.isoformat() if a.published_at else None,
        "relevance": dict(a.relevance), "text": a.text, "items": [alert_to_dict(i) for i in a.items],
        "new_source": [a.new_source.name, a.new_source.url] if a.new_source else None,
        "followup_mode": a.followup_mode,
        "new_sources": [[s.name, s.url] for s in a.new_sources],
    }


def alert_from_dict(d: dict[str, Any]) -> Alert:
    return Alert(
        kind=AlertKind(d["kind"]), channel=d["channel"], story_id=d["story_id"], title=d["title"], url=d["url"],
        importance=float(d["importance"]), category=d["category"], topics=list(d.get("topics", [])),
        summary=list(d.get("summary", [])), sources=[SourceRef(n, u) for n, u in d.get("sources", [])],
        tags=list(d.get("tags", [])),
        published_at=datetime.fromisoformat(d["published_at"]) if d.get("published_at") else None,
        relevance=dict(d.get("relevance", {})), text=d.get("text", ""),
        items=[alert_from_dict(i) for i in d.get("items", [])],
        new_source=SourceRef(*d["new_source"]) if d.get("new_source") else None,
        followup_mode=d.get("followup_mode", "thread"),
        new_sources=[SourceRef(n, u) for n, u in d.get("new_sources", [])],
    )
