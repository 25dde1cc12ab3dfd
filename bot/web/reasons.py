"""How a routing decision reads on a page: a short label, a tone for the colour and one sentence.

The decisions table keeps the machine reason (:class:`bot.routing.rules.Reason`) and the
planner's detail text; this module turns them into what a reader wants to know: "why
didn't this reach #security?" -- posted (with a link to the message), below the
threshold and by how much, held for quiet hours, spilled into a digest, muted...
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.routing.rules import Reason

__all__ = ["DecisionView", "render_decision"]


@dataclass(frozen=True, slots=True)
class DecisionView:
    channel: str
    reason: str  # the machine reason, e.g. "below_min_importance"
    label: str  # short badge text, e.g. "below threshold by 0.8"
    tone: str  # css class: sent, queued, held, digest, skip, muted, failed
    text: str  # one sentence for the title attribute / story page
    link: str | None = None  # the posted message, when known
    delivery_status: str | None = None


_LABELS: dict[str, tuple[str, str]] = {
    Reason.POSTED: ("posted", "sent"),
    Reason.FOLLOWUP: ("follow-up", "sent"),
    Reason.ALREADY_ALERTED: ("posted earlier", "sent"),
    Reason.BELOW_IMPORTANCE: ("below min_importance", "skip"),
    Reason.NOT_RELEVANT: ("not relevant", "skip"),
    Reason.BELOW_RELEVANCE: ("low relevance", "skip"),
    Reason.CATEGORY: ("category filter", "skip"),
    Reason.EVENT: ("event filter", "skip"),
    Reason.KEYWORD: ("keyword filter", "skip"),
    Reason.SOURCE: ("source filter", "skip"),
    Reason.QUIET_HOURS: ("quiet hours", "held"),
    Reason.OVER_CAP: ("over cap → digest", "digest"),
    Reason.DIGEST_ONLY: ("digest only", "digest"),
    Reason.MUTED: ("muted", "muted"),
    Reason.SOURCE_PAUSED: ("source paused", "muted"),
}

_BY = re.compile(r"\(by (\d+(?:\.\d+)?)\)")
_NEED = re.compile(r"min_importance (\d+(?:\.\d+)?)")


def _below(detail: str, importance: float | None, threshold: float | None) -> tuple[str, str]:
    """``("below min_importance by 0.8", sentence)`` from the stored detail, else from the numbers."""
    need = float(m.group(1)) if (m := _NEED.search(detail)) else threshold
    if m := _BY.search(detail):
        gap = float(m.group(1))
    elif need is not None and importance is not None:
        gap = max(0.0, need - importance)
    else:
        return "below min_importance", detail or "importance below the channel's min_importance"
    imp = f"importance {importance:.1f}" if importance is not None else "importance"
    limit = f" {need:g}" if need is not None else ""
    return f"below {need:g} by {gap:.1f}" if need is not None else f"below by {gap:.1f}", \
        f"{imp} is below min_importance{limit} by {gap:.1f}"


def render_decision(channel: str, action: str, reason: str, detail: str = "", importance: float | None = None,
                    threshold: float | None = None, delivery_status: str | None = None,
                    link: str | None = None) -> DecisionView:
    """One channel's decision for one story, ready for a template.

    ``delivery_status`` (the outbox row of a posted story) turns "posted" into "queued"
    or "failed" when the message has not actually gone out.
    """
    label, tone = _LABELS.get(reason, (reason.replace("_", " ") or action, "skip"))
    text = detail or label
    if reason == Reason.BELOW_IMPORTANCE:
        label, text = _below(detail, importance, threshold)
    elif reason in (Reason.POSTED, Reason.FOLLOWUP) and delivery_status not in (None, "sent"):
        if delivery_status == "failed":
            label, tone, text = "post failed", "failed", f"routed to post, but delivery failed. {detail}".strip()
        elif delivery_status == "held":
            label, tone = "held", "held"
        else:
            label, tone, text = "queued", "queued", f"routed to post; delivery {delivery_status}. {detail}".strip()
    elif reason == Reason.QUIET_HOURS and (m := re.search(r"delivered at ([^;]+)$", detail)):
        label = f"quiet hours → {m.group(1)}"
        if delivery_status == "sent":
            label, tone = "posted after quiet hours", "sent"
    if reason == Reason.POSTED and delivery_status == "sent" and not link:
        text = f"{text} (message link not known)"
    return DecisionView(channel=channel, reason=reason, label=label, tone=tone, text=text,
                        link=link if tone == "sent" else None, delivery_status=delivery_status)
