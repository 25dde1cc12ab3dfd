"""The typed objects the classifiers take and return.

The pipeline (``bot.scoring``), ``signals classify`` and the tests all speak these; nothing
here knows about the store or the chat platforms. ``Scores`` round-trips through JSON
(``to_dict``/``from_dict``) because the bot keeps it in the ``stories.scores`` column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["DOMAINS", "EVENTS", "Contribution", "Document", "Scores", "StoryContext", "TopicSpec"]

DOMAINS = ("business", "technology", "science", "politics", "world", "sports", "entertainment", "health", "other")
EVENTS = ("acquisition", "funding", "earnings", "product_launch", "partnership", "regulation", "legal",
          "security_incident", "layoffs", "executive_change", "research", "strategy", "other")


@dataclass(frozen=True, slots=True)
class Document:
    """One article to score: the story's representative text."""

    id: str
    title: str
    text: str
    source: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A configured topic: cold-start keywords, words that veto it, example texts, threshold."""

    name: str
    keywords: list[str]
    exclude: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    threshold: float = 0.5


@dataclass(frozen=True, slots=True)
class StoryContext:
    """Coverage of the story: how many outlets, how heavy they are, how fast they came."""

    n_sources: int = 1
    source_weights: list[float] = field(default_factory=lambda: [1.0])
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    novelty: float = 1.0  # 1 = nothing like it recently, 0 = a rerun


@dataclass(frozen=True, slots=True)
class Contribution:
    """One feature or term and how much it moved a score (signed, in the score's units)."""

    feature: str
    weight: float

    def to_list(self) -> list[Any]:
        return [self.feature, round(self.weight, 4)]


@dataclass(slots=True)
class Scores:
    """Everything the classifiers say about one story."""

    domain: str = "other"
    event: str = "other"
    category: str = "General"
    importance: float = 0.0
    relevance: dict[str, float] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    explanation: dict[str, list[Contribution]] = field(default_factory=dict)
    domain_prob: float = 0.0
    event_prob: float = 0.0

    def to_dict(self, explanation: bool = True) -> dict[str, Any]:
        """JSON-safe; contributions become ``{"feature", "weight"}`` objects (left out if not ``explanation``)."""
        d = {
            "domain": self.domain, "domain_prob": round(self.domain_prob, 4),
            "event": self.event, "event_prob": round(self.event_prob, 4),
            "category": self.category, "importance": round(self.importance, 2),
            "relevance": {k: round(v, 4) for k, v in self.relevance.items()},
            "topics": list(self.topics), "tags": list(self.tags), "summary": list(self.summary),
        }
        if explanation:
            d["explanation"] = {k: [{"feature": c.feature, "weight": round(c.weight, 4)} for c in v]
                                for k, v in self.explanation.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scores:
        """Inverse of ``to_dict``; tolerant of missing keys and ``[feature, weight]`` pairs."""
        expl: dict[str, list[Contribution]] = {}
        for k, items in (d.get("explanation") or {}).items():
            out = []
            for it in items or []:
                if isinstance(it, dict):
                    out.append(Contribution(str(it.get("feature", "?")), float(it.get("weight", 0.0))))
                elif isinstance(it, list | tuple) and len(it) >= 2:
                    out.append(Contribution(str(it[0]), float(it[1])))
            expl[str(k)] = out
        return cls(
            domain=str(d.get("domain", "other")), event=str(d.get("event", "other")),
            category=str(d.get("category", "General")), importance=float(d.get("importance", 0.0)),
            relevance={str(k): float(v) for k, v in (d.get("relevance") or {}).items()},
            topics=[str(x) for x in d.get("topics") or []], tags=[str(x) for x in d.get("tags") or []],
            summary=[str(x) for x in d.get("summary") or []], explanation=expl,
            domain_prob=float(d.get("domain_prob", 0.0)), event_prob=float(d.get("event_prob", 0.0)),
        )
