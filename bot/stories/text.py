"""Turn an article into the few features same-story matching needs, in one pass.

News about one event shares rare words, the names of people, places and firms
(capitalised sequences), and numbers (amounts, dates, death tolls). Two events about the
same firms share the names but not the numbers and the event words, so the clusterer
looks at all three. Terms are plain strings (interned), never ``hash()`` values, so
results do not depend on the process's hash seed.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bot.stories import _fast

__all__ = ["STOPWORDS", "Features", "extract"]

# Function words plus the feed/URL furniture that says nothing about an event.
STOPWORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "almost", "also", "although", "always", "am", "among", "an", "and", "another", "any", "are", "aren't", "around", "as", "at", "be", "became", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "either", "else", "even", "ever", "every", "few", "for", "from", "further", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "however", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "just", "let's", "like", "made", "make", "many", "may", "me", "might", "more", "most", "much", "must", "mustn't", "my", "myself", "neither", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "per", "quite", "rather", "really", "same", "say", "said", "says", "saying", "see", "seen", "shall", "shan't", "she", "she'd", "she'll", "she's", "should", "shouldn't", "since", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're", "they've", "this", "those", "though", "through", "thus", "to", "too", "toward", "towards", "under", "until", "up", "upon", "us", "very", "via", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were", "weren't", "what", "what's", "when", "when's", "where", "where's", "whether", "which", "while", "who", "who's", "whom", "whose", "why", "why's", "will", "with", "within", "without", "won't", "would", "wouldn't", "yet", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "told", "according", "new", "news", "report", "reports", "reported", "year", "years", "time", "http", "https", "www", "com", "org", "net", "html", "htm", "php", "asp", "index", "article", "articles", "story", "stories", "www2", "amp", "nbsp", "s", "t", "d", "ll", "re", "ve", "m", "mr", "mrs", "ms", "dr", "st", "jr", "inc", "ltd", "co", "corp"])

# A number, a word (with inner apostrophes or hyphens), or a sentence break. Possessive
# quantifiers and skipping blanks in the same match make it about twice as fast (same tokens).
_TOKEN = re.compile(r"[^\S\n]*+(\d++(?:[.,]\d+)*+|[^\W_]++(?:['’][^\W\d_]+|-[^\W_]+)*+|[.!?:;\n\"“”(])")
_BREAK = frozenset('.!?:;\n"“”(')
_LEAD_TOKENS = 60  # the title and about two sentences
_MAX_CHARS = 20_000  # a very long page adds little beyond its first screens
_intern = sys.intern


@dataclass(frozen=True, slots=True)
class Features:
    """What the clusterer keeps of one article.

    ``terms`` maps content words, numbers and ``"~"``-joined name phrases to their count;
    ``names`` and ``numbers`` are the subsets used by the finer check.
    """

    terms: dict[str, int]
    names: frozenset[str]
    numbers: frozenset[str]
    lead: frozenset[str]  # names in the title and the first sentences: who the event is about


def _stem(word: str) -> str:
    """A deliberately tiny stemmer: plural and possessive endings only."""
    if word.endswith("'s") or word.endswith("’s"):
        word = word[:-2]
    if len(word) > 3 and word[-1] == "s" and word[-2] not in "sui'":
        return word[:-3] + "y" if word.endswith("ies") else word[:-1]
    return word


def _classify(tok: str) -> tuple[int, str | None]:
    """(kind, term) of one token: 0 number, 1 capitalised content word, 2 other word."""
    if tok[0].isdigit():
        return 0, (None if tok == "0" else _intern(tok.replace(",", "")))
    low = tok.lower()
    stop = low in STOPWORDS
    if tok[0].isupper() and not stop:
        return 1, _intern(_stem(low))
    return 2, (None if stop or len(low) <= 2 else _intern(_stem(low)))


_CACHE: dict[str, tuple[int, str | None]] = {}
_CACHE_MAX = 200_000  # distinct token spellings remembered; cleared when full
_BREAK_KIND = (3, None)


def _fill(tok: str) -> tuple[int, str | None]:
    kt = _CACHE[tok] = _BREAK_KIND if tok in _BREAK else _classify(tok)
    return kt


def _py_scan(s: str, cache: dict[str, tuple[int, str | None]],
             fill: Callable[[str], tuple[int, str | None]]) -> tuple[dict[str, int], frozenset[str],
                                                                     frozenset[str], frozenset[str]]:
    """``(terms, numbers, names, lead)`` of a text (see :func:`extract`): the token loop the
    compiled core (``bot/stories/_core.c``) mirrors. Token kinds come from ``cache``, ``fill``
    computes the missing ones."""
    get = cache.get
    kinds = [get(tok) or fill(tok) for tok in _TOKEN.findall(s)]
    terms: dict[str, int] = Counter([t for _, t in kinds if t])
    numbers = frozenset([t for k, t in kinds if k == 0 and t])
    names: set[str] = set()
    lead: set[str] = set()
    caps = [i for i, (k, _) in enumerate(kinds) if k == 1]
    n = len(caps)
    j = 0
    while j < n:
        first = caps[j]
        end = j + 1  # the run is caps[j:end]: consecutive indices, not crossing the lead's end
        while end < n and caps[end] == caps[end - 1] + 1 and caps[end] != _LEAD_TOKENS:
            end += 1
        phrase = [kinds[i][1] for i in caps[j:end]]
        if len(phrase) > 1:
            p = _intern("~".join(phrase))  # type: ignore[arg-type]
            terms[p] = terms.get(p, 0) + 1
            found: list[str] = [p, *phrase]  # type: ignore[list-item]
        elif first and kinds[first - 1][0] != 3:
            found = phrase  # type: ignore[assignment]
        else:
            found = []
        names.update(found)
        if first < _LEAD_TOKENS:
            lead.update(found)
        j = end
    return terms, numbers, frozenset(names), frozenset(lead)


_scan = _fast.pick("scan", _py_scan)


def extract(title: str, text: str) -> Features:
    """Features of one article: title and body are read together.

    Tokens are classified through a cache (number, capitalised word, other word, break);
    names are the runs of capitalised words, cut at breaks and at the end of the lead.
    A run of two or more also counts as a ``"~"``-joined phrase term. A single
    capitalised word opening a sentence says nothing and is not a name.
    """
    if len(_CACHE) > _CACHE_MAX:
        _CACHE.clear()
    terms, numbers, names, lead = _scan(title + "\n" + text[:_MAX_CHARS], _CACHE, _fill)
    return Features(terms, names, numbers, lead)

