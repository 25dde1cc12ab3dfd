"""OPML import and export: the file every feed reader reads and writes.

Real OPML is messier than the spec: feeds nested in folders several levels deep,
``title`` missing (only ``text``) or both missing, ``xmlUrl`` spelt ``xmlurl``,
``category`` attributes with comma-separated ``/a/b`` paths, duplicate feeds across
folders. Import flattens all that into :class:`OpmlFeed` rows (folder names and
categories kept as ``categories``); :func:`to_sources` turns them into unique
:class:`SourceSettings`, optionally mapping categories to topics. Parsing uses
defusedxml, so entity tricks in a downloaded file do nothing.

Files written by hand or by HTML-minded tools carry HTML entities (``&eacute;``,
``&nbsp;``) and bare ``&`` in URLs (``?a=1&b=2``), which XML refuses; such a file is
read again with those repaired (a bare ``&`` becomes ``&amp;``, a named HTML entity its
character) rather than refused whole. Outlines that are neither a feed nor a folder —
a site's ``htmlUrl`` with no ``xmlUrl`` — are reported in ``notes``, not dropped silently.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml.ElementTree import fromstring

from bot.errors import SignalsError
from bot.settings import SourceSettings, visible_name
from bot.settings.feedurl import feed_key, feed_url

__all__ = ["OpmlError", "OpmlFeed", "parse_opml", "to_opml", "to_sources"]


class OpmlError(SignalsError):
    """The file is not OPML we can read."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str
    site_url: str | None = None
    categories: tuple[str, ...] = field(default_factory=tuple)


def _attr(el: Element, name: str) -> str:
    """Attribute lookup ignoring case (``xmlUrl``, ``xmlurl``, ``XMLURL`` all occur)."""
    for k, v in el.attrib.items():
        if k.lower() == name.lower():
            return v.strip()
    return ""


_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});")
_AMP = re.compile(rb"&(?!#\d+;|#x[0-9a-fA-F]+;|(?:amp|lt|gt|quot|apos);)([a-zA-Z][a-zA-Z0-9]{1,31};)?")


def _label(el: Element) -> str:
    text = _attr(el, "title") or _attr(el, "text")
    if "&" in text and _ENTITY.search(text):  # escaped twice ("Tom &amp;amp; Jerry"): names are read by people
        text = html.unescape(text)
    return text


def _repair_amps(data: bytes) -> bytes:
    """``&eacute;`` → ``&#233;``, a bare ``&`` → ``&amp;`` (ASCII-compatible encodings only)."""
    def fix(m: re.Match[bytes]) -> bytes:
        name = m.group(1)
        if name is not None:
            char = html.unescape("&" + name.decode())
            if not char.startswith("&"):
                return "".join(f"&#{ord(c)};" for c in char).encode()
        return b"&amp;"
    return _AMP.sub(fix, data)


def _tag(el: Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1].lower()  # a namespace (some OPML 2.0 writers add one) is ignored


def _parse(raw: bytes, notes: list[str] | None) -> Element:
    try:
        return fromstring(raw)
    except (ParseError, ValueError) as exc:
        utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")
        repaired = _repair_amps(raw) if b"&" in raw and not utf16 else raw
        if repaired == raw:
            raise OpmlError(f"not an OPML file: {exc}") from exc
        try:
            root = fromstring(repaired)
        except (ParseError, ValueError):
            raise OpmlError(f"not an OPML file: {exc}") from exc
        if notes is not None:
            notes.append(f"HTML entities or bare '&' repaired (XML refused them: {exc})")
        return root


def parse_opml(data: bytes | str, notes: list[str] | None = None) -> list[OpmlFeed]:
    """Every feed outline (one with an ``xmlUrl``), in document order, with its folder path as categories.

    ``notes``, when given, gets a line for each outline skipped that looks like a subscription
    (no ``xmlUrl``, but an ``htmlUrl`` or ``url``), and one when the file needed repairs.
    """
    try:
        root = _parse(data.encode() if isinstance(data, str) else data, notes)
    except OpmlError:
        raise
    except Exception as exc:  # defusedxml refusals (entities, DTDs)
        raise OpmlError(f"refused OPML file: {type(exc).__name__}: {exc}") from exc
    if _tag(root) != "opml":
        raise OpmlError(f"not an OPML file: the root element is <{root.tag}>, expected <opml>")
    body = next((c for c in root if _tag(c) == "body"), None)
    if body is None:
        raise OpmlError("OPML file without a <body>")
    out: list[OpmlFeed] = []

    def walk(el: Element, folders: tuple[str, ...]) -> None:
        for child in el:
            if _tag(child) != "outline":
                continue
            url = _attr(child, "xmlUrl")
            site = _attr(child, "htmlUrl") or _attr(child, "url")
            if not url and site and len(child) == 0 and notes is not None:
                notes.append(f"“{_label(child) or site}” has no xmlUrl (feed address), only {site}; skipped — "
                             f"`signals sources add {site}` finds its feed")
            if url:
                cats = list(folders)
                for c in re.split(r"[,]", _attr(child, "category")):
                    cats += [p for p in c.strip().split("/") if p.strip()]
                out.append(OpmlFeed(url=url, title=_label(child), site_url=_attr(child, "htmlUrl") or None,
                                    categories=tuple(dict.fromkeys(x.strip() for x in cats if x.strip()))))
            label = _label(child)
            walk(child, (*folders, label) if label and not url else folders)

    walk(body, ())
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _name_for(title: str, url: str) -> str:
    if title := visible_name(title):  # no bidi override or zero-width space from someone's export
        return title[:200]
    parts = urlsplit(url)
    host = (parts.hostname or "feed").removeprefix("www.")
    path = _slug(parts.path.rsplit(".", 1)[0])
    return f"{host}-{path}" if path and path not in ("feed", "rss", "atom", "index", "rss-xml") else host


def to_sources(feeds: Iterable[OpmlFeed], *, topics_from_categories: bool = False,
               topic_names: Sequence[str] | None = None, taken: Iterable[str] = (),
               taken_urls: Iterable[str] = ()) -> tuple[list[SourceSettings], list[str]]:
    """Unique sources for ``feeds`` and notes on what was skipped.

    Names come from the title (else host + path), made unique against ``taken`` with
    ``-2``, ``-3``. With ``topics_from_categories``, categories become the source's topic
    hints — only those matching ``topic_names`` (by slug) when given.
    """
    names = set(taken)
    urls = {feed_key(u) for u in taken_urls}
    known = {_slug(n): n for n in topic_names} if topic_names is not None else None
    out: list[SourceSettings] = []
    notes: list[str] = []
    for feed in feeds:
        url = feed_url(feed.url)  # feed://, feed:https:// as readers export them
        if not re.match(r"^https?://[^\s/]+", url):
            notes.append(f"{feed.url}: not an http(s) URL; skipped")
            continue
        if feed_key(url) in urls:  # http/https, a trailing slash: the same feed
            notes.append(f"{feed.url}: already a source; skipped")
            continue
        base = _name_for(feed.title, url)
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        topics: list[str] = []
        if topics_from_categories:
            for c in feed.categories:
                if known is None:
                    topics.append(_slug(c))
                elif _slug(c) in known:
                    topics.append(known[_slug(c)])
            topics = [x for x in dict.fromkeys(topics) if x]
        out.append(SourceSettings(name=name, url=url, topics=topics))
        names.add(name)
        urls.add(feed_key(url))
    return out, notes


def to_opml(sources: Iterable[SourceSettings], title: str = "Signals sources",
            now: datetime | None = None) -> str:
    """OPML 2.0 with one folder per first topic (sources without topics at the top level)."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC), usegmt=True)
    body = SubElement(root, "body")
    folders: dict[str, Element] = {}
    for src in sources:
        parent = body
        if src.topics:
            first = src.topics[0]
            if first not in folders:
                folders[first] = SubElement(body, "outline", text=first, title=first)
            parent = folders[first]
        attrs = {"type": "rss", "text": src.name, "title": src.name, "xmlUrl": src.url}
        if src.topics:
            attrs["category"] = ",".join(src.topics)
        SubElement(parent, "outline", attrs)
    xml = tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml + "\n"
