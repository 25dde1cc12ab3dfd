"""Ingest stage: fetch feeds (HTTP), parse them (RSS, Atom, JSON Feed) and clean entries.

Plain typed objects in and out::

    async with Fetcher(settings.fetch) as fetcher:
        result = await fetcher.fetch(source, state)          # FetchResult, never raises
        if result.feed:
            await complete_teasers(fetcher, new_entries, source.full_text)
            articles = [clean_entry(e, source.name, now) for e in result.feed.entries]
"""

from bot.ingest.cleaner import clean_entry, clean_text, clean_title, content_hash, strip_boilerplate
from bot.ingest.extract import complete_teasers, extract_text, is_teaser, needs_full_text
from bot.ingest.fetcher import Fetcher, FetchResult, FetchStatus
from bot.ingest.htmltext import html_to_text
from bot.ingest.parser import ParsedFeed, parse_feed
from bot.ingest.urls import canonical_url

__all__ = [
    "FetchResult",
    "FetchStatus",
    "Fetcher",
    "ParsedFeed",
    "canonical_url",
    "clean_entry",
    "clean_text",
    "clean_title",
    "complete_teasers",
    "content_hash",
    "extract_text",
    "html_to_text",
    "is_teaser",
    "needs_full_text",
    "parse_feed",
    "strip_boilerplate",
]
