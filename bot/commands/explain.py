"""Why a story was scored as it was, and what each channel decided: for ``why`` in chat and the CLI.

Reads the stored ``stories.scores`` JSON (``classifiers.Scores.to_dict()``) defensively:
contributions may be ``[feature, weight]`` pairs or ``{"feature", "weight"}`` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.models import out_of_ten
from bot.store import Store, StoryRow
from bot.store import schema as t

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["ChannelDecision", "Explanation", "explain_story", "format_explanation", "pruned_after"]


@dataclass(frozen=True, slots=True)
class ChannelDecision:
    channel: str
    action: str
    reason: str
    detail: str
    at: datetime | None


@dataclass(slots=True)
class Explanation:
    story: StoryRow
    url: str | None
    domain: str | None
    event: str | None
    relevance: dict[str, float] = field(default_factory=dict)
    contributions: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    decisions: list[ChannelDecision] = field(default_factory=list)


def _pairs(items: Any) -> list[tuple[str, float]]:
    out: list[tuple[str, float]] = []
    for it in items or []:
        if isinstance(it, dict):
            name, weight = it.get("feature", it.get("name", "?")), it.get("weight", 0.0)
        elif isinstance(it, list | tuple) and len(it) >= 2:
            name, weight = it[0], it[1]
        else:
            continue
        try:
            out.append((str(name), float(weight)))
        except (TypeError, ValueError):
            continue
    return out


def explain_story(store: Store, story_id: str, top: int = 5) -> Explanation | None:
    """The stored explanation of a story (id or unique prefix), or None when unknown.

    ``top`` cuts each model's word list, but never the importance terms: importance is their
    sum (``classifiers.importance``), and a reader checks the badge's number against them.
    Cut to five, the terms shown did not add up to it and the penalties (age, a rerun) that
    pulled a story down were the ones left out.
    """
    row = store.story(story_id)
    if row is None:
        return None
    scores = row.scores or {}
    raw = scores.get("explanation") or {}
    contributions = {name: sorted(_pairs(items), key=lambda p: -abs(p[1]))[:None if name == "importance" else top]
                     for name, items in raw.items()} if isinstance(raw, dict) else {}
    relevance = {k: float(v) for k, v in (scores.get("relevance") or {}).items()}
    d = t.decisions
    with store.begin() as c:
        rows = c.execute(select(d).where(d.c.story_id == row.id).order_by(d.c.channel)).all()
    art = store.article(row.representative_id) if row.representative_id else None
    return Explanation(
        story=row, url=art.url if art else None, domain=scores.get("domain"), event=scores.get("event"),
        relevance=relevance, contributions=contributions,
        decisions=[ChannelDecision(r.channel, r.action, r.reason, r.detail or "", r.at) for r in rows])


def _total(terms: float, importance: float) -> str:
    """``= 7.86 → 8/10``: the terms' sum, and the score the alert's badge showed (``Alert.badge``
    rounds it); the scale's ends are named when the sum lies beyond them."""
    clip = ", capped at 10" if terms > 10 else ", raised to 0" if terms < 0 else ""
    return f"= {terms:.2f}{clip} → {out_of_ten(importance)}/10"


def pruned_after(settings: Settings | None, story: StoryRow, now: datetime | None = None) -> str | None:
    """``"90d"`` when the daily prune has deleted this story's routing decisions by now (its
    last article is older than the age :func:`bot.store.retention.prune_due` uses), else None.
    Shared by the chat ``why`` and ``signals why`` so both say the same thing."""
    from bot.settings import format_duration
    from bot.store.retention import MIN_AGE

    if settings is None or settings.retention is None:
        return None
    age = max(settings.retention, MIN_AGE, 2 * settings.stories.window)
    last = story.updated_at if story.updated_at.tzinfo else story.updated_at.replace(tzinfo=UTC)
    return format_duration(age) if (now or datetime.now(UTC)) - last > age else None


def format_explanation(ex: Explanation, channel: str | None = None,
                       pruned_after: str | None = None) -> list[tuple[str, list[str]]]:
    """``(heading, lines)`` groups in plain text; ``channel`` limits decisions to one channel.

    ``pruned_after`` (e.g. ``"90d"``): the retention prune has deleted this story's decisions,
    so their absence is said to be that, not "no decision recorded" (as if never routed)."""
    s = ex.story
    head = [f"importance {s.importance:.1f}/10 · category {s.category or '?'}"
            + (f" · domain {ex.domain}" if ex.domain else "") + (f" · event {ex.event}" if ex.event else ""),
            f"topics: {', '.join(s.topics) if s.topics else 'none'} · {s.n_sources} source"
            + ("s" if s.n_sources != 1 else "")]
    if ex.relevance:
        rel = sorted(ex.relevance.items(), key=lambda kv: -kv[1])
        head.append("relevance: " + ", ".join(f"{k} {v:.2f}" for k, v in rel))
    groups: list[tuple[str, list[str]]] = [(f"{s.title} ({s.id})", head)]
    for score, pairs in ex.contributions.items():
        if pairs:
            lines = [f"{w:+.2f}  {f}" for f, w in pairs]
            if score == "importance":
                lines.append(_total(sum(w for _, w in pairs), s.importance))
            groups.append((f"why {score}", lines))
    decisions = [d for d in ex.decisions if channel is None or d.channel == channel]
    if decisions:
        groups.append(("channels", [f"{d.channel}: {d.action} ({d.reason})" + (f" — {d.detail}" if d.detail else "")
                                    for d in decisions]))
    elif pruned_after is not None and not ex.decisions:
        groups.append(("channels", [f"this story's routing decisions were deleted (retention: {pruned_after} "
                                    f"without a new article; last article {s.updated_at:%Y-%m-%d})"]))
    elif channel is not None:
        groups.append(("channels", [f"{channel}: no decision recorded for this story"]))
    return groups
