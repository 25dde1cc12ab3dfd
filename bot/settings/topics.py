"""Checks of a topic's ``keywords`` and ``exclude`` words against how the topic model reads them.

The cold start (``classifiers.relevance``) matches keywords on lower-cased word tokens of the
letters a-z and digits (``classifiers.text.tokens``; the models read English). A keyword with no
such token (empty, punctuation, another script) never matches, so a topic of such keywords was
silently never relevant; a ``/regex/`` (which a channel's ``include``/``exclude`` understands) was
read as the words inside it; a keyword given twice counted twice; a word both wanted and excluded
vetoed every story that has it. Each is reported at load time with file:line instead. (An
``examples`` entry may be a URL: its page is fetched, :mod:`bot.examples`.)

Kept apart from ``classifiers`` so that loading a config does not import numpy and the models:
``_TOKEN`` is the tokeniser's pattern (``classifiers.text._TOKEN``; a test keeps the two equal).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Protocol

__all__ = ["topic_issues"]

_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

Loc = tuple[str | int, ...]


class _Topic(Protocol):
    keywords: list[str]
    exclude: list[str]
    examples: list[str]


def _key(word: str) -> str:
    """The keyword as the topic model matches it: its tokens, space-joined ("" when it has none)."""
    return " ".join(_TOKEN.findall(word.lower()))


def _word_issue(word: str) -> str | None:
    if not word.strip():
        return "an empty keyword matches nothing; remove it"
    if len(word) > 2 and word.startswith("/") and word.endswith("/"):
        return (f"topic keywords are words or phrases, not a /regex/ ({word!r} would be read as the words "
                "in it); a regex belongs in a channel's include or exclude")
    if not _key(word):
        return (f"{word!r} has no word the topic model reads (it matches the letters a-z and digits 0-9 of "
                "English text), so it never matches")
    return None


def topic_issues(topics: Mapping[str, _Topic]) -> Iterator[tuple[Loc, str]]:
    """``(location, message)`` for every keyword and exclude word the topic model cannot use."""
    for name, topic in topics.items():
        keys: dict[str, str] = {}
        for field in ("keywords", "exclude"):
            seen: dict[str, str] = {}
            for i, word in enumerate(getattr(topic, field)):
                loc: Loc = ("topics", name, field, i)
                if (problem := _word_issue(word)) is not None:
                    yield loc, problem
                    continue
                key = _key(word)
                if key in seen:
                    yield loc, (f"repeats “{seen[key]}” (the same words to the topic model, which ignores case "
                                "and punctuation): it would count twice; remove one")
                elif field == "exclude" and key in keys:
                    yield loc, (f"“{word}” is also one of this topic's keywords: every story that mentions it "
                                "would be vetoed; remove it from keywords or from exclude")
                seen.setdefault(key, word)
            if field == "keywords":
                keys = seen
