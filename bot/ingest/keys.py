"""An entry's keys as stored: its guid (unique per source) and its link, settled once per document.

Every format's reader hands its entries here (:func:`settle_keys`), so the rules are the same
for RSS, Atom and JSON Feed, and for the lxml and feedparser paths alike.
"""

from __future__ import annotations

import re
from collections import defaultdict

from bot.ingest.jsonfeed import bounded_key, key_digest
from bot.ingest.urls import unwrap_redirector, visible_url
from bot.models import RawEntry

__all__ = ["settle_keys"]

# Control characters in a guid or link (JSON escapes, feedparser's lenient reading): PostgreSQL
# refuses NUL in text, which failed the whole feed's INSERT; no identifier or URL means them.
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def settle_keys(entries: list[RawEntry]) -> None:
    """Make the entries' guids and links storable and their guids tell them apart (in place).

    * A Google News link is its article's own URL when the link carries it
      (:func:`~bot.ingest.urls.unwrap_redirector`).
    * Control characters are dropped from guids and links (a guid of controls only: their digest);
      other invisible characters in a link are percent-encoded (:func:`~bot.ingest.urls.visible_url`).
    * A guid that one document gives to entries with different links (generators that write the
      feed's address, ``0`` or a template's constant on every item) identifies none of them: each
      such entry is keyed by its link instead. Kept, the first entry was stored under the guid and
      every other one, then every entry of every later poll, was dropped as already known: the
      feed went silent for good. Entries repeating one guid *and* one link stay one article.
    """
    links: defaultdict[str, set[str]] = defaultdict(set)
    for e in entries:
        if "news.google.com/" in e.url:
            e.url = unwrap_redirector(e.url)
        if _CONTROL.search(e.guid) or _CONTROL.search(e.url):
            e.url = _CONTROL.sub("", e.url)
            e.guid = _CONTROL.sub("", e.guid) or key_digest(e.guid)
        if not e.url.isascii():
            e.url = visible_url(e.url)
        links[e.guid].add(e.url)
    for e in entries:
        if e.url and len(links[e.guid]) > 1:
            e.guid = bounded_key(e.url)
