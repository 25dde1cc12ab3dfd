"""Block Kit rendering: alerts, follow-ups, digests, notices and command replies.

Everything from feeds is escaped (``&``, ``<``, ``>``) so a title can never ping
``@channel`` or inject a link, and every payload is kept inside Slack's limits (50 blocks,
3,000 characters per section, 150 per header, 10 context elements, 75 per button label,
3,000 for the notification text) by truncating cleanly: never inside a link or an entity.
A URL longer than ``URL_MAX`` is not linked (the text stays), since cutting would drop
the whole link.
Action ids are stable; a button's value is ``<story id>|<topic>``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.adapters.base import and_list, sources_line, truncate
from bot.commands.model import FeedbackResult, Reply, Section
from bot.models import Alert, AlertKind, SourceRef

__all__ = [
    "ACTION_DOWN",
    "ACTION_MUTE",
    "ACTION_UP",
    "ACTION_WHY",
    "LIMITS",
    "clamp_blocks",
    "escape",
    "link",
    "parse_value",
    "render",
    "render_alert",
    "render_followup",
    "render_reply",
    "sources_block",
    "with_votes",
]

Block = dict[str, Any]

ACTION_UP, ACTION_DOWN, ACTION_WHY, ACTION_MUTE = "signals_up", "signals_down", "signals_why", "signals_mute"
LIMITS = {"blocks": 50, "section": 3000, "header": 150, "context": 10, "button": 75, "text": 3000,
          "context_text": 2000, "value": 2000}
SOURCES_BLOCK, VOTES_BLOCK, ACTIONS_BLOCK = "signals_sources", "signals_votes", "signals_actions"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,20}$")


def escape(text: str) -> str:
    """Slack's three control characters; ``<!channel>`` and ``<url|x>`` can then never be formed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


URL_MAX = 2000  # escaped; a longer link would be cut whole from its section, taking the title with it


def _safe_url(url: str) -> str | None:
    if not re.match(r"^https?://[^\s<>|]+$", url or ""):
        return None
    safe = url.replace("&", "&amp;")
    return safe if len(safe) <= URL_MAX else None


def link(url: str | None, text: str, limit: int = 300) -> str:
    """``<url|text>`` with the text escaped and cut; plain escaped text when the URL is unusable."""
    label = escape(truncate(" ".join(text.split()), limit)).replace("|", "¦")
    safe = _safe_url(url or "")
    return f"<{safe}|{label}>" if safe else label


def _cut(mrkdwn: str, limit: int) -> str:
    """Shorten already-escaped mrkdwn without splitting a ``<link>`` or an ``&entity;``."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: max(0, limit - 1)]
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:
        cut = cut[:lt]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + "…"


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(" ".join(text.split()) or " ", limit), "emoji": True}


def _mrkdwn(text: str, limit: int = LIMITS["section"]) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, limit) or " ", "verbatim": True}


def _section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": _mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def _context(parts: list[str], block_id: str | None = None) -> Block:
    elements = [_mrkdwn(p, LIMITS["context_text"]) for p in parts if p][: LIMITS["context"]]
    block: Block = {"type": "context", "elements": elements or [_mrkdwn(" ")]}
    if block_id:
        block["block_id"] = block_id
    return block


def _when(dt: datetime | None) -> str:
    if dt is None:
        return ""
    dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    fallback = f"{dt.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return f"<!date^{int(dt.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def sources_block(sources: list[SourceRef], shown: int = 3) -> Block:
    """The context line ``Bloomberg, TechCrunch +3`` (names linked); replaced by follow-up edits."""
    names = [link(s.url, s.name, 60) for s in sources[:shown]]
    text = ", ".join(names) + (f" +{len(sources) - shown}" if len(sources) > shown else "")
    n = len(sources)
    return _context([f"{n} source{'s' * (n != 1)}: {text}" if sources else "no sources"], SOURCES_BLOCK)


def _value(story_id: str, topic: str | None) -> str:
    return f"{story_id}|{topic or ''}"[: LIMITS["value"]]


def parse_value(value: str) -> tuple[str, str | None]:
    story_id, _, topic = (value or "").partition("|")
    return story_id, topic or None


def _button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    b: Block = {"type": "button", "action_id": action_id, "text": _plain(label, LIMITS["button"]), "value": value}
    if style:
        b["style"] = style
    return b


def _actions(story_id: str, topic: str | None) -> Block:
    value = _value(story_id, topic)
    buttons = [_button("👍", ACTION_UP, value), _button("👎", ACTION_DOWN, value), _button("Why?", ACTION_WHY, value)]
    if topic:
        buttons.append(_button(f"Mute {topic} here", ACTION_MUTE, value))
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons}


def _badge(alert: Alert) -> str:
    topics = f"  ·  {escape(', '.join(alert.topics))}" if alert.topics else ""
    return f"*{escape(alert.badge)}*{topics}"


def _fallback(text: str) -> str:
    """The notification text: Slack parses it as mrkdwn too, so it is escaped like everything else."""
    return _cut(escape(" ".join(text.split())), LIMITS["text"])


def render_alert(alert: Alert) -> tuple[str, list[Block]]:
    """One alert: badge, linked title, bullets, sources/tags/time, then the four buttons."""
    blocks: list[Block] = [_context([_badge(alert)]), _section(f"*{link(alert.url, alert.title, 280)}*", "signals_title")]
    bullets = [f"• {escape(truncate(b, 400))}" for b in alert.summary[:3] if b.strip()]
    if bullets:
        blocks.append(_section("\n".join(bullets), "signals_summary"))
    blocks.append(sources_block(alert.sources))
    meta = []
    if alert.tags:
        meta.append("🏷 " + escape(", ".join(alert.tags[:6])))
    if alert.published_at:
        meta.append(_when(alert.published_at))
    meta.append(f"id `{escape(alert.story_id[:12])}`")
    blocks.append(_context(meta, "signals_meta"))
    blocks.append(_actions(alert.story_id, alert.topics[0] if alert.topics else None))
    topic = f" · {', '.join(alert.topics)}" if alert.topics else ""
    return _fallback(f"{alert.badge}{topic}: {alert.title} {alert.url}"), clamp_blocks(blocks)


def render_followup(alert: Alert) -> tuple[str, list[Block]]:
    """A thread reply: which outlet just covered the story, and the updated sources line."""
    new = alert.newcomers
    who = and_list([link(s.url, s.name, 80) for s in new]) if new else "another outlet"
    n = len(alert.sources)
    text = f"↳ Also covered by {who} — now {n} source{'s' * (n != 1)}"
    fallback = f"Also covered by {and_list([s.name for s in new]) if new else 'another outlet'}: {alert.title}"
    return _fallback(fallback), clamp_blocks([_section(text), sources_block(alert.sources)])


def _render_digest(alert: Alert) -> tuple[str, list[Block]]:
    blocks: list[Block] = [{"type": "header", "text": _plain(alert.title or "Digest", LIMITS["header"])}]
    if alert.text:
        blocks.append(_section(escape(alert.text)))
    room = LIMITS["blocks"] - len(blocks) - 1
    for i, item in enumerate(alert.items[:room]):
        line = f"*{i + 1}. {link(item.url, item.title, 200)}*\n{escape(item.badge)}"
        if item.sources:
            line += f"  ·  {escape(sources_line(item.sources))}"
        blocks.append(_section(line))
    if len(alert.items) > room:
        blocks.append(_context([f"+{len(alert.items) - room} more"]))
    return _fallback(f"{alert.title}: " + "; ".join(i.title for i in alert.items)), clamp_blocks(blocks)


def render(alert: Alert) -> tuple[str, list[Block]]:
    """Text fallback and blocks for any alert kind."""
    if alert.kind is AlertKind.DIGEST:
        return _render_digest(alert)
    if alert.kind is AlertKind.NOTICE:
        return _fallback(f"⚠ {alert.text}"), [_section(f"⚠ {escape(alert.text)}")]
    if alert.kind is AlertKind.FOLLOWUP:
        return render_followup(alert)
    return render_alert(alert)


def _section_blocks(s: Section) -> list[Block]:
    parts = []
    if s.title:
        parts.append(f"*{link(s.url, s.title, 280)}*" if s.url else f"*{escape(truncate(s.title, 280))}*")
    parts += [escape(x) for x in s.lines]
    out = [_section("\n".join(parts))] if parts else []
    if s.context:
        out.append(_context([escape(s.context)]))
    return out


def render_reply(reply: Reply) -> tuple[str, list[Block]]:
    """A command's answer. The fallback text is the reply's plain text, escaped."""
    blocks: list[Block] = []
    if reply.sections:
        if reply.text and reply.error:
            blocks.append(_section(escape(reply.text)))
        head = reply.text.split("\n", 1)[0]
        if not reply.error and head:
            blocks.append(_context([escape(head)]))
        for s in reply.sections:
            blocks += _section_blocks(s)
    else:
        blocks.append(_section(escape(reply.text)))
    return _fallback(reply.text), clamp_blocks(blocks)


def with_votes(blocks: list[Block], result: FeedbackResult) -> list[Block]:
    """The message's blocks with a ``👍 by @a, @b · 👎 by @c`` line (replacing an earlier one)."""

    def who(users: list[str]) -> str:
        shown = [f"<@{u}>" if _USER_ID.match(u) else escape(u) for u in users[:8]]
        return ", ".join(shown) + (f" +{len(users) - 8}" if len(users) > 8 else "")

    parts = []
    if result.up:
        parts.append(f"👍 by {who(result.up)}")
    if result.down:
        parts.append(f"👎 by {who(result.down)}")
    kept = [b for b in blocks if b.get("block_id") != VOTES_BLOCK]
    if parts:
        vote = _context(["  ·  ".join(parts)], VOTES_BLOCK)
        at = next((i for i, b in enumerate(kept) if b.get("block_id") == ACTIONS_BLOCK), len(kept))
        kept.insert(at, vote)
    return clamp_blocks(kept)


def clamp_blocks(blocks: list[Block]) -> list[Block]:
    """Last line of defence: enforce every limit on already-built blocks."""
    out = []
    for b in blocks[: LIMITS["blocks"]]:
        kind = b.get("type")
        if kind == "section" and "text" in b:
            b["text"]["text"] = _cut(b["text"]["text"], LIMITS["section"])
        elif kind == "header":
            b["text"]["text"] = truncate(b["text"]["text"], LIMITS["header"])
        elif kind == "context":
            b["elements"] = b["elements"][: LIMITS["context"]]
        elif kind == "actions":
            for el in b["elements"]:
                if "text" in el:
                    el["text"]["text"] = truncate(el["text"]["text"], LIMITS["button"])
        out.append(b)
    return out
