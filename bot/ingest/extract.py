"""Full text for teaser entries: decide when an entry is only a teaser, fetch its page,
and extract the main text with trafilatura.

Many feeds carry one sentence and a "Read more" link; classifying and clustering on
that is guesswork. Per source, ``full_text`` is ``auto`` (fetch when :func:`is_teaser`),
``always`` or ``never``. Extraction is CPU-bound, so it runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from bot.ingest.htmltext import html_to_text
from bot.models import RawEntry

if TYPE_CHECKING:
    from bot.ingest.fetcher import Fetcher

__all__ = ["TEASER_WORDS", "complete_teasers", "extract_text", "is_teaser", "needs_full_text"]

logger = logging.getLogger(__name__)

TEASER_WORDS = 50  # a summary shorter than this (and no content) is a teaser
_CUT = re.compile(r"(?:…|\.\.\.|\[(?:…|\.\.\.)\]|read more|continue reading|keep reading)\W{0,3}$", re.I)


def is_teaser(entry: RawEntry) -> bool:
    """True when the entry carries only a short or cut-off summary of its article."""
    if not entry.url:
        return False
    if len(entry.content) > 800 and not _CUT.search(entry.content[-60:]):
        return False  # long full content (well over 30 words): skip the HTML pass
    text = html_to_text(entry.content or entry.summary)
    words = len(text.split())
    if words == 0:
        return True
    if _CUT.search(text[-40:]):
        return True
    if entry.content:
        return words < 30
    return words < TEASER_WORDS


def needs_full_text(entry: RawEntry, mode: Literal["auto", "always", "never"]) -> bool:
    if mode == "never" or not entry.url:
        return False
    return mode == "always" or is_teaser(entry)


def extract_text(page: bytes | str, url: str | None = None) -> str | None:
    """Main text of an HTML page, one paragraph per line; ``None`` if nothing useful."""
    import trafilatura

    try:
        text = trafilatura.extract(page, url=url, include_comments=False, include_tables=False,
                                   favor_precision=True, deduplicate=False)
    except Exception as exc:  # trafilatura raises a variety of parser errors on junk
        logger.info("text extraction failed: %s", exc, extra={"url": url})
        return None
    from bot.ingest.cleaner import clean_text

    text = clean_text(text or "")  # repaired, boilerplate lines dropped, one paragraph per line
    return text or None


async def complete_teasers(fetcher: Fetcher, entries: list[RawEntry],
                           mode: Literal["auto", "always", "never"] = "auto") -> int:
    """Fetch the article page of each teaser in ``entries`` and put its text in ``content``.

    Pass only entries not stored yet: pages are fetched every time this is called. At most
    ``fetch.max_full_text`` pages, the newest teasers' (as the pipeline does: each page is a
    request to an address the feed chose). Returns how many entries got full text. Failures
    leave the entry as it was.
    """
    todo = [e for e in entries if needs_full_text(e, mode)]
    if not todo:
        return 0
    cap = fetcher.settings.max_full_text
    if len(todo) > cap:
        oldest = datetime.min.replace(tzinfo=UTC)
        todo = sorted(todo, key=lambda e: e.published_at or oldest, reverse=True)[:cap]
    texts = await asyncio.gather(*(fetcher.fetch_article_text(e.url) for e in todo))
    done = 0
    for entry, text in zip(todo, texts, strict=True):
        if text and len(text) > len(html_to_text(entry.content or entry.summary)):
            entry.content = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in text.split("\n") if p.strip())
            done += 1
    return done
