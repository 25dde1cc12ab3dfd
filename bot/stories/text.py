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


def extract(title: str, text: str) -> Features:
    """Features of one article: title and body are read together."""
    body = text[:_MAX_CHARS]
    terms: Counter[str] = Counter()
    names: set[str] = set()
    numbers: set[str] = set()
    phrase: list[str] = []
    start = True  # at a sentence start a capital letter alone says nothing
    opened_at_start = False

    lead: set[str] = set()
    in_lead = True

    def close() -> None:
        found = ()
        if len(phrase) > 1:
            p = _intern("~".join(phrase))
            terms[p] += 1
            found = (p, *phrase)
        elif phrase and not opened_at_start:
            found = (phrase[0],)
        names.update(found)
        if in_lead:
            lead.update(found)
        phrase.clear()

    for i, tok in enumerate(_TOKEN.findall(title + "\n" + body)):
        if i == _LEAD_TOKENS:
            close()
            in_lead = False
        if tok in _BREAK:
            close()
            start = True
            continue
        low = tok.lower()
        first = tok[0]
        if first.isdigit():
            close()
            start = False
            if len(tok) > 1 or tok != "0":
                n = _intern(tok.replace(",", ""))
                numbers.add(n)
                terms[n] += 1
            continue
        stop = low in STOPWORDS
        if first.isupper() and not stop:
            w = _intern(_stem(low))
            if not phrase:
                opened_at_start = start
            phrase.append(w)
            terms[w] += 1
        else:
            close()
            if not stop and len(low) > 2:
                terms[_intern(_stem(low))] += 1
        start = False
    close()
    title_words = frozenset(
        _intern(_stem(w.lower())) for w in _TOKEN.findall(title) if w not in _BREAK and w.lower() not in STOPWORDS
    )
    return Features(dict(terms), frozenset(names), frozenset(numbers), title_words, frozenset(lead))
