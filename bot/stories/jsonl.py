"""Read one JSON-lines article into a :class:`ClusterItem`, with clear errors.

Shared by ``signals cluster`` and anything else that streams articles as JSON lines:
``{"id", "title", "text", "source"?, "published_at"?, "url"?}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.stories.clusterer import ClusterItem

__all__ = ["parse_item", "parse_time"]


def parse_time(value: object) -> datetime | None:
    """ISO 8601 text (``Z`` allowed) or epoch seconds; naive times are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    if not isinstance(value, str):
        raise ValueError(f"published_at: expected ISO 8601 text or epoch seconds, got {value!r}")
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"published_at: not an ISO 8601 time: {value!r}") from exc
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse_item(line: str) -> ClusterItem:
    """One JSON line to an item; raises ``ValueError`` saying what is wrong."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    if data.get("id") is None:
        raise ValueError("missing id")
    title, text = data.get("title") or "", data.get("text") or ""
    if not isinstance(title, str) or not isinstance(text, str):
        raise ValueError("title and text must be strings")
    source, url = data.get("source"), data.get("url")
    return ClusterItem(
        id=str(data["id"]),
        title=title,
        text=text,
        source=str(source) if source is not None else None,
        published_at=parse_time(data.get("published_at")),
        url=str(url) if url else None,
    )
