"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1), read natively.

feedparser does not read JSON Feed, and the format is simple enough that a direct
mapping onto :class:`~bot.models.RawEntry` is clearer than any library.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import json
import math
import re
from typing import Any
from urllib.parse import urljoin

from bot.errors import FeedParseError
from bot.ingest.dates import parse_date
from bot.models import RawEntry

__all__ = ["MAX_KEY_BYTES", "bounded_key", "key_digest", "parse_json_feed"]


# JSON escapes can encode lone UTF-16 surrogates ("\ud800"); json.loads keeps them, and every later
# .encode("utf-8") (hashing, the database, the chat APIs) would raise. Pairs are already joined.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


# A guid is an index key ((source, guid) is unique); PostgreSQL's btree refuses index rows over
# ~2.7 KB, which failed the whole feed's INSERT on every poll. A longer one is stored as its digest.
MAX_KEY_BYTES = 1000


def bounded_key(guid: str) -> str:
    """``guid``, or ``sha256:<hex>`` of it when its UTF-8 form is over :data:`MAX_KEY_BYTES`."""
    if len(guid) * 4 <= MAX_KEY_BYTES or len(guid.encode("utf-8", "surrogatepass")) <= MAX_KEY_BYTES:
        return guid
    return key_digest(guid)


def key_digest(guid: str) -> str:
    """``sha256:<hex>`` of a guid that cannot be stored as written."""
    return "sha256:" + hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()


def _s(value: Any) -> str:
    return _LONE_SURROGATE.sub("\ufffd", value.strip()) if isinstance(value, str) else ""


def _id(value: Any) -> str:
    """An item's ``id`` as a string. The spec says ids are strings and a number is to be read as
    one: ``"id": 0`` was taken as no id (``str(id or "")``) and the entry keyed by its link or its
    text's hash instead. An integral float is written as JavaScript would (2.0 -> "2"); true,
    lists and objects are no id."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value) if math.isfinite(value) else ""
    return _s(value)


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if isinstance(authors, list):
        names = [_s(a.get("name")) for a in authors if isinstance(a, dict)]
        names = [n for n in names if n]
        if names:
            return ", ".join(names)
    one = item.get("author")
    if isinstance(one, dict) and _s(one.get("name")):
        return _s(one.get("name"))
    return None


def _as_windows_1252(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the bytes that are not UTF-8, read as windows-1252."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return bytes(bad).decode("windows-1252", "replace"), exc.end


codecs.register_error("signals-windows-1252", _as_windows_1252)


def _loads(body: bytes) -> Any:
    """The document as JSON: UTF-8 (or UTF-16/32, which ``json`` detects), its stray bytes windows-1252.

    JSON Feed is UTF-8 by its spec, but a CMS serving text from a Latin-1 database writes
    windows-1252 bytes (``Caf\\xe9``); one of them failed the whole feed on every poll, where the
    same bytes in an RSS feed are read as windows-1252 (as browsers and feedparser do). Only the
    bytes that are not UTF-8 are read so: a document mixing both keeps its UTF-8 text intact."""
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        return json.loads(body.decode("utf-8", "signals-windows-1252"))


def parse_json_feed(body: bytes, source: str, base_url: str = "") -> tuple[str, str, str, list[RawEntry]]:
    """Return ``(version, title, home_page_url, entries)``; raise FeedParseError if not a JSON Feed."""
    try:
        data = _loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedParseError(source, f"invalid JSON: {exc}") from exc
    except RecursionError:  # "[[[[…" a hundred thousand deep: the feed's malformation, not a parser bug
        raise FeedParseError(source, "invalid JSON: nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise FeedParseError(source, "JSON document is not a JSON Feed (expected an object with an 'items' list)")
    version = _s(data.get("version"))
    if version and "jsonfeed.org/version/" not in version:
        raise FeedParseError(source, f"unknown JSON Feed version {version!r}")
    base = _s(data.get("feed_url")) or base_url
    entries: list[RawEntry] = []
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        url = _s(item.get("url")) or _s(item.get("external_url"))
        if not url and (ident := _id(item.get("id"))).startswith(("http://", "https://")):
            url = ident  # the spec allows a URL id in place of url (notes, micro posts)
        url = urljoin(base, url) if url and base else url
        content = _s(item.get("content_html"))
        if not content and (text := _s(item.get("content_text"))):
            content = "\n".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
        summary = html.escape(_s(item.get("summary")))
        title = html.escape(_s(item.get("title")))
        guid = _id(item.get("id")) or url
        if not guid:
            guid = "sha1:" + hashlib.sha1((title + summary + content).encode()).hexdigest()
        entries.append(RawEntry(
            guid=bounded_key(guid), url=url, title=title, summary=summary, content=content,
            published_at=parse_date(_s(item.get("date_published"))) or parse_date(_s(item.get("date_modified"))),
            author=_author(item),
        ))
    return version or "json", _s(data.get("title")), _s(data.get("home_page_url")), entries
