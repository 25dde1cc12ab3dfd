"""Topic examples given as URLs: the article page's main text stands in for the URL.

A topic's ``examples`` are "a few texts or URLs" of on-topic articles. A URL is fetched like an
article page (the fetcher's SSRF guard, timeouts and size cap; trafilatura for the main text),
as the feeds' own pages are: it is news the team chose, not a model or data set. Each process
fetches its config's example URLs when it starts and when a reload adds new ones (a handful of
requests). A page that cannot be fetched is logged once, naming the topic and URL, and left
out: the topic's keywords and its other examples still work, and the next start or reload tries
again. Before, a URL example was compared as the words of the URL itself.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.ingest.fetcher import Fetcher
    from bot.settings import Settings

__all__ = ["example_urls", "fetch_examples", "is_url", "resolved"]

log = logging.getLogger(__name__)
_URL = re.compile(r"^\s*https?://\S+\s*$", re.I)


def is_url(example: str) -> bool:
    """Is this example a link (one http(s) URL and nothing else) rather than a text?"""
    return bool(_URL.match(example))


def example_urls(settings: Settings) -> dict[str, str]:
    """Every URL example of the config, with the (first) topic that gives it."""
    out: dict[str, str] = {}
    for name, topic in settings.topics.items():
        for ex in topic.examples:
            if is_url(ex):
                out.setdefault(ex.strip(), name)
    return out


async def fetch_examples(fetcher: Fetcher, urls: Mapping[str, str], known: Mapping[str, str]) -> dict[str, str]:
    """``known`` plus the text of each URL of ``urls`` (URL -> topic) not in it yet; pages that
    give no text are logged (with their topic) and left out."""
    todo = [u for u in urls if u not in known]
    texts = await asyncio.gather(*(fetcher.fetch_article_text(u) for u in todo), return_exceptions=True)
    out = dict(known)
    for url, text in zip(todo, texts, strict=True):
        if isinstance(text, str) and text.strip():
            out[url] = text
            continue
        why = f"{type(text).__name__}: {text}" if isinstance(text, BaseException) else "no article text"
        log.warning("topic example left out: its page could not be read (%s); the topic's keywords and "
                    "other examples still count, and it is tried again at the next start or reload", why,
                    extra={"topic": urls[url], "url": url})
    return out


def resolved(examples: Iterable[str], texts: Mapping[str, str]) -> list[str]:
    """The examples as the topic model reads them: a URL replaced by its page's text, or left
    out when that page could not be read."""
    out = []
    for ex in examples:
        if not is_url(ex):
            out.append(ex)
        elif (text := texts.get(ex.strip())) is not None:
            out.append(text)
    return out
