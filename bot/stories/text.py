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
from dataclasses import dataclass

__all__ = ["STOPWORDS", "Features", "extract"]

# Function words plus the feed/URL furniture that says nothing about an event.
STOPWORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "almost", "also", "although", "always", "am", "among", "an", "and", "another", "any", "are", "aren't", "around", "as", "at", "be", "became", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "either", "else", "even", "ever", "every", "few", "for", "from", "further", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "however", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "just", "let's", "like", "made", "make", "many", "may", "me", "might", "more", "most", "much", "must", "mustn't", "my", "myself", "neither", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "per", "quite", "rather", "really", "same", "say", "said", "says", "saying", "see", "seen", "shall", "shan't", "she", "she'd", "she'll", "she's", "should", "shouldn't", "since", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're", "they've", "this", "those", "though", "through", "thus", "to", "too", "toward", "towards", "under", "until", "up", "upon", "us", "very", "via", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were", "weren't", "what", "what's", "when", "when's", "where", "where's", "whether", "which", "while", "who", "who's", "whom", "whose", "why", "why's", "will", "with", "within", "without", "won't", "would", "wouldn't", "yet", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "told", "according", "new", "news", "report", "reports", "reported", "year", "years", "time", "http", "https", "www", "com", "org", "net", "html", "htm", "php", "asp", "index", "article", "articles", "story", "stories", "www2", "amp", "nbsp", "s", "t", "d", "ll", "re", "ve", "m", "mr", "mrs", "ms", "dr", "st", "jr", "inc", "ltd", "co", "corp"])

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+(?:['’][^\W\d_]+|-[^\W_]+)*|[.!?:;\n\"“”(]")
_BREAK = frozenset('.!?:;\n"“”(')
_LEAD_TOKENS = 60  # the title and about two sentences
_MAX_CHARS = 20_000  # a very long page adds little beyond its first screens
_intern = sys.intern


@dataclass(frozen=True, slots=True)
class Features:
    """What the clusterer keeps of one article.

    ``terms`` maps content words, numbers and ``"~"``-joined name phrases to their count;
    ``names`` and ``numbers`` are the subsets used by the finer check; ``title`` holds the
    title's content words.
    """

    terms: dict[str, int]
    names: frozenset[str]
    numbers: frozenset[str]
    title: frozenset[str]
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


def extract(title: str, text: str) -> Features:
    """Features of one article: title and body are read together."""
    body = text[:_MAX_CHARS]
    terms: dict[str, int] = {}
    names: set[str] = set()
    numbers: set[str] = set()
    lead: set[str] = set()
    phrase: list[str] = []
    start = True  # at a sentence start a capital letter alone says nothing
    opened_at_start = False
    in_lead = True
    cache = _CACHE
    if len(cache) > _CACHE_MAX:
        cache.clear()
    get = terms.get

    def close() -> None:
        if len(phrase) > 1:
            p = _intern("~".join(phrase))
            terms[p] = get(p, 0) + 1
            found: tuple[str, ...] = (p, *phrase)
        elif not opened_at_start:
            found = (phrase[0],)
        else:
            found = ()
        names.update(found)
        if in_lead:
            lead.update(found)
        phrase.clear()

    for i, tok in enumerate(_TOKEN.findall(title + "\n" + body)):
        if i == _LEAD_TOKENS:
            if phrase:
                close()
            in_lead = False
        if tok in _BREAK:
            if phrase:
                close()
            start = True
            continue
        kind_term = cache.get(tok)
        if kind_term is None:
            kind_term = cache[tok] = _classify(tok)
        kind, term = kind_term
        if kind == 1:
            if not phrase:
                opened_at_start = start
            phrase.append(term)  # type: ignore[arg-type]
        elif phrase:
            close()
        if term is not None:
            terms[term] = get(term, 0) + 1
            if kind == 0:
                numbers.add(term)
        start = False
    if phrase:
        close()
    title_words = frozenset(
        _intern(_stem(w.lower())) for w in _TOKEN.findall(title) if w not in _BREAK and w.lower() not in STOPWORDS
    )
    return Features(terms, frozenset(names), frozenset(numbers), title_words, frozenset(lead))
