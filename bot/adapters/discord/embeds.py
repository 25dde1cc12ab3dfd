"""Alert → Discord message payload (embeds, buttons), always inside Discord's limits.

Feed text is hostile by default: a title may contain ``@everyone``, ``<@&role>``,
masked links or be 100 KB long. Every payload therefore carries
``allowed_mentions: {"parse": []}`` (nothing can ping), mention syntax is defused with a
zero-width space, markdown link syntax is escaped where it would render, and every
field is cut to its limit before the 6,000-characters-per-message budget is applied.

Payloads are plain JSON dicts (what the REST API takes) so the bot client, webhooks and
the interactions endpoint share one renderer.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from bot.adapters.base import and_list, truncate
from bot.models import Alert, AlertKind, SourceRef

__all__ = [
    "LIMITS",
    "NO_MENTIONS",
    "Limits",
    "alert_payload",
    "colour_for",
    "defuse",
    "embed_size",
    "fit_embeds",
    "marker_for",
    "nonce_for",
    "plain",
    "render_alert",
    "render_followup_note",
    "safe_url",
]

NO_MENTIONS: dict[str, list[str]] = {"parse": []}
ZWSP = "\u200b"


@dataclass(frozen=True, slots=True)
class Limits:
    """Discord's documented message/embed limits (characters)."""

    title: int = 256
    description: int = 4096
    fields: int = 25
    field_name: int = 256
    field_value: int = 1024
    footer: int = 2048
    author: int = 256
    total: int = 6000  # sum over every embed of one message
    embeds: int = 10
    content: int = 2000
    url: int = 2048


LIMITS = Limits()

_MENTION = re.compile(r"@(everyone|here)", re.I)
_TAG = re.compile(r"<(@[!&]?|#|/)")  # <@123> <@!123> <@&123> <#123> </cmd:1>
_LINK_CHARS = re.compile(r"([\[\]\\])")
# C0/C1 controls except tab and newline, zero-width space, bidi embeddings/overrides/isolates
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069]")


def defuse(text: str) -> str:
    """Make mention syntax inert (``@\u200beveryone``, ``<\u200b@&1>``); control and bidi-override chars removed."""
    text = _CONTROL.sub("", text)
    text = _MENTION.sub(lambda m: "@" + ZWSP + m.group(1), text)
    return _TAG.sub(lambda m: "<" + ZWSP + m.group(1), text)


def plain(text: str) -> str:
    """Feed text for a description or field: defused, and ``[x](url)`` cannot become a masked link."""
    return _LINK_CHARS.sub(r"\\\1", defuse(text))


def _link_text(text: str) -> str:
    """Text for inside ``[...](url)``: brackets escaped so it cannot close the link early."""
    return plain(text).replace("\n", " ")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL safe to use as an embed URL or inside ``(...)``; None if not usable."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > LIMITS.url:
        return None
    return quote(url, safe=":/?#@!$&'*+,;=%~-._").replace("(", "%28").replace(")", "%29")


def _link(text: str, url: str | None, limit: int) -> str:
    label = _link_text(truncate(text, limit))
    u = safe_url(url)
    return f"[{label}]({u})" if u else label


def colour_for(importance: float) -> int:
    if importance >= 8:
        return 0xE74C3C  # red: drop everything
    if importance >= 6:
        return 0xE67E22  # orange
    if importance >= 4:
        return 0xF1C40F  # yellow
    return 0x95A5A6  # grey


def marker_for(key: str) -> str:
    """Short, stable reference printed in the footer; ``find_sent`` looks for it after a crash."""
    return "ref " + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def nonce_for(key: str) -> str:
    """Stable nonce (≤ 25 chars) so Discord drops a repeated post within its dedupe window."""
    return "sg" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:23]


def _sources_value(sources: list[SourceRef]) -> str:
    """``[Bloomberg](u), [Reuters](u) +3`` within one field value."""
    parts: list[str] = []
    for i, s in enumerate(sources):
        rest = len(sources) - i - 1
        candidate = ", ".join([*parts, _link(s.name, s.url, 80)]) + (f" +{rest}" if rest else "")
        if len(candidate) > LIMITS.field_value:
            if not parts:
                return truncate(defuse(s.name), 80) + f" +{rest}"
            return ", ".join(parts) + f" +{rest + 1}"
        parts.append(_link(s.name, s.url, 80))
    return ", ".join(parts)


def _badge(alert: Alert) -> str:
    topics = ", ".join(alert.topics)
    return defuse(f"{alert.badge} · {topics}" if topics else alert.badge)


def render_alert(alert: Alert, marker: str = "") -> dict[str, Any]:
    """One embed for an alert or follow-up (follow-ups show the grown sources field)."""
    footer = "Signals" + (f" · {marker}" if marker else "")
    if alert.kind is AlertKind.NOTICE:
        return {"description": truncate(plain((alert.text or alert.title)[: LIMITS.description * 2]), LIMITS.description),
                "color": 0x95A5A6, "footer": {"text": footer}}
    if alert.kind is AlertKind.DIGEST:
        lines = [f"{i + 1}. `{defuse(it.badge)}` {_link(it.title, it.url, 200)}" for i, it in enumerate(alert.items)]
        embed: dict[str, Any] = {"title": truncate(defuse(alert.title or "Digest"), LIMITS.title),
                                 "description": _join_lines(lines, LIMITS.description),
                                 "color": colour_for(max((i.importance for i in alert.items), default=0)),
                                 "footer": {"text": footer}}
        return embed
    title = defuse(alert.title[: LIMITS.title * 2]).replace("\n", " ").strip() or "(untitled)"
    footer = f"Signals · story {defuse(alert.story_id)}" + (f" · {marker}" if marker else "")
    embed = {"title": truncate(title, LIMITS.title), "color": colour_for(alert.importance),
             "author": {"name": truncate(_badge(alert), LIMITS.author)},
             "footer": {"text": truncate(footer, LIMITS.footer)}}
    if url := safe_url(alert.url):
        embed["url"] = url
    if alert.summary:
        bullets = [f"• {plain(b[: LIMITS.description])}" for b in alert.summary[:50]]
        embed["description"] = _join_lines(bullets, LIMITS.description)
    fields: list[dict[str, Any]] = []
    if alert.sources:
        n = len(alert.sources)
        fields.append({"name": f"{n} source{'s' if n != 1 else ''}", "value": _sources_value(alert.sources),
                       "inline": False})
    tags = [f"`{truncate(defuse(t[:200]).replace('`', ''), 100)}`" for t in alert.tags if t.strip(" `")]
    if tags:
        fields.append({"name": "Tags", "value": _join_words(tags, LIMITS.field_value), "inline": True})
    if fields:
        embed["fields"] = fields[: LIMITS.fields]
    if alert.published_at is not None:
        embed["timestamp"] = alert.published_at.isoformat()
    return embed


def render_followup_note(alert: Alert, marker: str = "") -> dict[str, Any]:
    """The compact thread reply for a follow-up: who else covers the story now."""
    new = alert.newcomers
    head = (f"+ {and_list([_link(s.name, s.url, 100) for s in new])} also report{'s' * (len(new) == 1)} this"
            if new else "+ more coverage")
    n = len(alert.sources)
    desc = f"{head}\n{n} source{'s' if n != 1 else ''}: {_sources_value(alert.sources)}" if n else head
    return {"description": truncate(desc, LIMITS.description), "color": colour_for(alert.importance),
            "footer": {"text": "Signals" + (f" · {marker}" if marker else "")}}


def _join_lines(lines: list[str], limit: int) -> str:
    """Whole lines up to ``limit``; the line that does not fit is cut, the rest dropped."""
    out: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit:
            room = limit - used - 1
            if room > 20:
                out.append(truncate(line, room))
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _join_words(words: list[str], limit: int) -> str:
    """Whole words (tags) separated by spaces, as many as fit."""
    out: list[str] = []
    used = 0
    for w in words:
        if used + len(w) + 1 > limit:
            break
        out.append(w)
        used += len(w) + 1
    return " ".join(out) or truncate(words[0], limit)


def embed_size(embed: dict[str, Any]) -> int:
    """Characters that count toward the 6,000 budget (title, description, fields, footer, author)."""
    n = len(embed.get("title", "")) + len(embed.get("description", ""))
    n += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    return n + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))


def fit_embeds(embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Enforce every per-field limit, at most 10 embeds and 6,000 characters in total."""
    out: list[dict[str, Any]] = []
    for e in embeds[: LIMITS.embeds]:
        e = dict(e)
        for key, limit in (("title", LIMITS.title), ("description", LIMITS.description)):
            if key in e:
                e[key] = truncate(e[key], limit)
        if "footer" in e:
            e["footer"] = {**e["footer"], "text": truncate(e["footer"]["text"], LIMITS.footer)}
        if "author" in e:
            e["author"] = {**e["author"], "name": truncate(e["author"]["name"], LIMITS.author)}
        if "fields" in e:
            e["fields"] = [{**f, "name": truncate(f["name"] or "\u200b", LIMITS.field_name),
                            "value": truncate(f["value"] or "\u200b", LIMITS.field_value)}
                           for f in e["fields"][: LIMITS.fields]]
        out.append(e)
    while out and sum(embed_size(e) for e in out) > LIMITS.total:
        over = sum(embed_size(e) for e in out) - LIMITS.total
        last = out[-1]
        if len(out) > 1 and embed_size(last) <= over + 200:
            out.pop()  # a whole trailing embed goes before the first one is mangled
            continue
        _shrink(last, over)
    return out


def _shrink(embed: dict[str, Any], over: int) -> None:
    """Remove ``over`` characters: description first, then fields from the end, then the title."""
    desc = embed.get("description", "")
    if desc:
        keep = max(0, len(desc) - over)
        embed["description"] = truncate(desc, keep) if keep > 20 else ""
        if not embed["description"]:
            del embed["description"]
        return
    if embed.get("fields"):
        embed["fields"] = embed["fields"][:-1]
        return
    if embed.get("title"):
        embed["title"] = truncate(embed["title"], max(1, len(embed["title"]) - over))
        return
    embed.pop("author", None)


def alert_payload(alert: Alert, key: str, components: list[dict[str, Any]] | None = None,
                  *, nonce: bool = True) -> dict[str, Any]:
    """The full ``POST /channels/{id}/messages`` body for one delivery."""
    payload: dict[str, Any] = {"embeds": fit_embeds([render_alert(alert, marker_for(key))]),
                               "allowed_mentions": NO_MENTIONS}
    if components:
        payload["components"] = components
    if nonce:
        payload["nonce"] = nonce_for(key)
        payload["enforce_nonce"] = True
    return payload
