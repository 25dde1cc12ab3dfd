"""Tags: 3-6 key phrases, favouring named companies, products and people.

Capitalised word runs (not sentence-initial function words) are counted, boosted when in
the title; if there are too few, the most frequent content words fill up. Cheap and
explainable: every tag is a string that occurs in the text.
"""

from __future__ import annotations

import re
from collections import Counter

from classifiers.text import STOPWORDS, tokens

__all__ = ["extract_tags"]

_NAME = re.compile(r"[A-Z][\w&'’.-]*(?:\s+(?:of\s+|&\s+|de\s+)?[A-Z][\w&'’.-]*){0,3}")
_SKIP = frozenset(["the", "a", "an", "and", "but", "or", "if", "in", "on", "at", "to", "for", "of", "by", "with", "from", "as", "it", "its", "this", "that", "these", "those", "he", "she", "they", "we", "i", "you", "his", "her", "their", "our", "there", "here", "when", "where", "what", "which", "who", "while", "after", "before", "mr", "mrs", "ms", "dr", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "however", "but", "also", "meanwhile", "yet", "so", "still", "now", "then", "today", "yesterday", "tomorrow", "last", "next", "this", "bbc", "reuters", "ap", "afp", "news", "said", "says"])


def extract_tags(title: str, text: str, k: int = 5) -> list[str]:
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for source, boost in ((title, 3), (text[:1500], 1)):
        for m in _NAME.finditer(source):
            words = m.group(0).split()
            while words and words[0].lower() in _SKIP:
                words = words[1:]
            while words and words[-1].lower() in _SKIP:
                words = words[:-1]
            if not words:
                continue
            phrase = " ".join(words).strip(".'’-,")
            if phrase.endswith(("'s", "’s")):
                phrase = phrase[:-2]
            if len(phrase) < 2 or (phrase.isupper() and len(phrase) > 6 and " " in phrase):
                continue
            key = phrase.lower()
            counts[key] += boost
            shown.setdefault(key, phrase)
    ranked = [shown[key] for key, c in counts.most_common() if c >= 2]
    # drop tags contained in a longer chosen tag ("Warner" when "Time Warner" is there)
    tags: list[str] = []
    for t in ranked:
        if not any(t.lower() in o.lower() or o.lower() in t.lower() for o in tags):
            tags.append(t)
        if len(tags) >= k:
            break
    if len(tags) < 3:
        words = Counter(w for w in tokens(title + " " + title + " " + text[:1500])
                        if w not in STOPWORDS and len(w) > 3 and not w.isdigit())
        for w, _ in words.most_common(10):
            if len(tags) >= 3:
                break
            if not any(w in o.lower() for o in tags):
                tags.append(w)
    return tags[:k]
