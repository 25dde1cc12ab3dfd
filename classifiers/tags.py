"""Tags: 3-6 key phrases, favouring named companies, products and people.

Capitalised word runs (not sentence-initial function words) are counted, boosted when in
the title; if there are too few, the most frequent content words fill up. Cheap and
explainable: every tag is a string that occurs in the text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from itertools import chain
from operator import itemgetter

from classifiers import _fast
from classifiers.sentences import strip_dateline
from classifiers.text import STOPWORDS, tokens

__all__ = ["extract_tags"]

_first = itemgetter(0)
# A run of capitalised words; a word may open with one lower-case letter before its capital
# ("iPhone", "eBay", "iOS": read from the capital, they were "Phone", "Bay", "OS")
_NAME = re.compile(r"(?:(?<![\w&'’-])[a-z](?=[A-Z]))?[A-Z][\w&'’-]*(?:[ \t]+(?:of\s+|&\s+|de\s+|du\s+)?[A-Z][\w&'’-]*){0,3}")
# Roles and honorifics that precede a name ("Tory MP Boris Johnson" -> "Boris Johnson")
_ROLE = frozenset(["mr", "mrs", "ms", "dr", "sir", "dame", "lord", "lady", "mp", "tory", "labour", "president", "prime", "minister", "chancellor", "chief", "executive", "ceo", "chairman", "secretary", "senator", "governor", "king", "queen", "prince", "judge", "coach", "manager", "striker"])
_SKIP = frozenset(["the", "a", "an", "and", "but", "or", "if", "in", "on", "at", "to", "for", "of", "by", "with", "from", "as", "it", "its", "this", "that", "these", "those", "he", "she", "they", "we", "i", "you", "his", "her", "their", "our", "there", "here", "when", "where", "what", "which", "who", "while", "after", "before", "mr", "mrs", "ms", "dr", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december", "however", "but", "also", "meanwhile", "yet", "so", "still", "now", "then", "today", "yesterday", "tomorrow", "last", "next", "this", "bbc", "reuters", "ap", "afp", "news", "said", "says"])

# Units that open a run before "of" ("288 GB of HBM4" read as the name "GB of HBM4"): the name is what follows
_UNITS = frozenset(["kb", "mb", "gb", "tb", "pb", "khz", "mhz", "ghz", "kw", "mw", "gw", "kwh", "mwh", "gwh", "twh",
                    "mbps", "gbps", "tbps", "mah", "mp"])

_SKIP_OR_ROLE = _SKIP | _ROLE  # what a name never opens with

# Named days that are news in themselves ("Patch Tuesday", "Black Friday"): their weekday stays
_DAY_NAMES = frozenset(["patch tuesday", "super tuesday", "black friday", "good friday", "cyber monday",
                        "black monday", "bloody sunday", "ash wednesday", "easter monday", "easter sunday"])


def _phrase(match: str) -> tuple[str, str] | None:
    """A capitalised run -> (key, shown phrase), roles and function words stripped; None if nothing is left."""
    words = match.split()
    if "s" in match and ("'s" in match or "’s" in match):  # (no word can end in a possessive otherwise)
        for i in range(len(words) - 1, 0, -1):  # "Labour's Mr Livingstone": keep what follows a possessive
            if words[i - 1].endswith(("'s", "’s")):
                words = words[i:]
                break
    if len(words) > 2 and words[1] == "of" and words[0].lower() in _UNITS:
        words = words[2:]
    while words and words[0].lower() in _SKIP_OR_ROLE:
        words = words[1:]
    while words and words[-1].lower() in _SKIP and " ".join(words[-2:]).lower() not in _DAY_NAMES:
        words = words[:-1]
    if not words:
        return None
    phrase = " ".join(words).strip(".'’-,")
    if phrase.endswith(("'s", "’s")):
        phrase = phrase[:-2]
    if len(phrase) < 2 or (phrase.isupper() and len(phrase) > 6 and " " in phrase):
        return None
    return phrase.lower(), phrase


_WORD_RES: dict[str, re.Pattern[str]] = {}


def _word_re(key: str) -> re.Pattern[str]:
    """``\\bkey\\b``, compiled once per name (``re``'s own cache lookup and ``re.escape`` cost more
    than the search)."""
    r = _WORD_RES.get(key)
    if r is None:
        if len(_WORD_RES) > 50_000:
            _WORD_RES.clear()
        r = _WORD_RES[key] = re.compile(rf"\b{re.escape(key)}\b")
    return r


def _py_name_tags(title: str, head: str, k: int, cache: dict[str, tuple[str, str] | None],
                  phrase: Callable[[str], tuple[str, str] | None]) -> list[str]:
    """The name tags of an article: its capitalised runs (``_NAME``) in the title (counted 3 times)
    and the lead ``head``, normalised by ``phrase`` through ``cache`` (runs not in it are added),
    parts merged into the longer names holding them, most frequent first, at most ``max(k, 1)``,
    none seen fewer than twice; a single word also written in lower case
    in ``head`` is not a name. The compiled core's ``name_tags`` gives the same list."""
    title_runs, text_runs = _NAME.findall(title), _NAME.findall(head)
    for run in set(title_runs).union(text_runs).difference(cache):
        cache[run] = phrase(run)
    look = cache.__getitem__
    in_title = list(filter(None, map(look, title_runs)))
    in_body = list(filter(None, map(look, text_runs)))
    # key -> count (a title occurrence counts 3), in first-occurrence order (title, then text):
    # the same dict, in the same order, as counting run by run
    counts = {key: 3 * n for key, n in Counter(map(_first, in_title)).items()}
    text_counts = Counter(map(_first, in_body))
    for key, n in text_counts.items():
        counts[key] = counts.get(key, 0) + n
    in_text = text_counts.keys()
    shown = dict(reversed(in_title + in_body))  # key -> the phrase of its first occurrence
    # "Boris" and "Johnson" count towards "Boris Johnson"; "TimeWarner" and "Time Warner" are one tag.
    # Indexed by word so this stays linear in the number of candidates.
    longer: dict[str, list[str]] = {}
    squashed: dict[str, str] = {}
    for key in counts:
        if " " in key:
            squashed[key.replace(" ", "")] = key
            for w in set(key.split()):
                longer.setdefault(w, []).append(key)
    for key in [k for k in counts if " " not in k]:
        hosts = longer.get(key) or ([squashed[key]] if key in squashed else [])
        if hosts:
            counts[max(hosts, key=lambda h: counts[h])] += counts.pop(key)
    tags: list[str] = []
    for key, c in sorted(counts.items(), key=itemgetter(1), reverse=True):  # == Counter.most_common()
        if c < 2:  # (sorted by count: none of the rest reaches 2 either)
            break
        if " " not in key:  # a single word only in the title, or also written in lower case: not a name
            if key not in in_text:
                continue
            # names are rarely also written in lower case: str.find looks for the word, and the
            # word-boundary pattern is tried only where it occurs (``_word_re(key).search(head)``
            # without the regex engine trying every position: its pattern has no literal prefix)
            i = head.find(key)
            if i >= 0:
                match = _word_re(key).match
                while i >= 0 and match(head, i) is None:
                    i = head.find(key, i + 1)
                if i >= 0:
                    continue
        tags.append(shown[key])
        if len(tags) >= k:
            break
    return tags


# ``_py_name_tags`` or the compiled core's same function (``_fast`` decides)
_name_tags = _fast.pick("name_tags", _py_name_tags)


_CACHE: dict[str, tuple[str, str] | None] = {}  # names recur across articles: normalise each run once
# Words common in news that say nothing as a tag; among AG/BBC's most frequent fill words
_GENERIC = frozenset(["report", "reports", "update", "updates", "plan", "plans", "get", "gets", "start", "starts",
                      "least", "second", "take", "takes", "left", "help", "helps", "ready", "million", "millions",
                      "billion", "billions", "people", "including", "return", "returns", "lead", "leads", "make",
                      "makes", "back", "first", "week", "weeks", "month", "months", "today", "would", "could", "despite",
                      "goes", "going", "remained", "remains", "longer", "amid", "forever"])
_NOT_FILL = STOPWORDS | _SKIP | _GENERIC  # never a fill word: one pass over the article's words drops them


def _distinct(names: list[str]) -> list[str]:
    """``names`` (best first), one per name: when one's words run inside another's, the shorter
    stays, at the better one's place. Headline capitals glue words onto a name ("Rapper Snoop
    Dogg", "Understanding Google AdWords"); the shorter run is the name itself."""
    kept: list[str] = []
    kept_runs: list[str] = []  # each kept name's words as " w1 w2 " ("" for none): see _run
    kept_n: list[int] = []  # and how many words it has
    for name in names:
        words = name.lower().split()
        run = _run(words)
        for i, other in enumerate(kept_runs):
            if run in other or other in run:  # == _nested(words, other's words)
                if len(words) < kept_n[i]:
                    kept[i], kept_runs[i], kept_n[i] = name, run, len(words)
                break
        else:
            kept.append(name)
            kept_runs.append(run)
            kept_n.append(len(words))
    return kept


def _run(words: list[str]) -> str:
    """``words`` (no whitespace in any) as one string in which another word list's string occurs
    exactly when that list is a contiguous run of ``words`` (``_nested``): space-joined and padded
    with a space each side, so matches fall on word boundaries; "" for no words (a run of
    anything). Two substring tests in C replace a generator comparing list slices, which was
    most of ``_distinct``'s cost."""
    return f" {' '.join(words)} " if words else ""


def _nested(a: list[str], b: list[str]) -> bool:
    """Whether the shorter of two word lists is a contiguous run of the other (the reference
    ``_distinct``'s substring tests are pinned to by the tests)."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    n = len(short)
    return any(long_[i:i + n] == short for i in range(len(long_) - n + 1))


_TITLE_WORD = re.compile(r"[^\W\d_][\w'’&.-]*")
# small words that only a Title Case headline capitalises after its first word
_SMALL_CAPS = frozenset(["For", "To", "Of", "On", "In", "At", "By", "With", "From", "As", "And", "Or", "The", "A", "An",
                         "Into", "Over", "After", "Amid"])


def _sentence_case(title: str, head: str) -> str:
    """A headline In Title Case ("Google Unveils Desktop Search, Takes on Microsoft") with each word
    the lead does not also write capitalised lowered: every word of such a title is a capital, so its
    runs glued verbs onto names ("Oracle Raises Offer"). Acronyms ("IBM", "DVD") stay. Other titles
    are returned as they are."""
    words = _TITLE_WORD.findall(title)
    long_ = [w for w in words[1:] if len(w) > 3]
    if len(long_) < 3 and not _SMALL_CAPS.intersection(words[1:]):  # a short one: "Nvidia Buys Arm For $40bn"
        return title
    if sum(w[0].isupper() for w in long_) < 0.8 * len(long_):
        return title

    def lowered(m: re.Match[str]) -> str:
        w = m.group()
        if not w[0].isupper() or w.isupper() or _in_text(w, head):
            return w
        return w[0].lower() + w[1:]

    return _TITLE_WORD.sub(lowered, title)


def _in_text(word: str, text: str) -> bool:
    """Whether ``word`` occurs in ``text`` as a whole word, written the same way."""
    i = text.find(word)
    while i >= 0:
        j = i + len(word)
        if (i == 0 or not text[i - 1].isalnum()) and (j == len(text) or not text[j].isalnum()):
            return True
        i = text.find(word, i + 1)
    return False


def extract_tags(title: str, text: str, k: int = 5) -> list[str]:
    """Up to ``k`` tags: the names of the title and lead (``_name_tags``; a Title Case title is read
    in sentence case, see ``_sentence_case``), topped up with the most frequent content words when
    fewer than three; a news agency, weekday or generic news word (``_NOT_FILL``) is never one
    ("reuters" was the commonest fill word on AG News)."""
    if len(_CACHE) > 200_000:
        _CACHE.clear()
    head = strip_dateline(text[:1500], raise_first=False)  # names are read in the lead only; "NEW YORK (Reuters) -" is not news
    tags = _distinct(_name_tags(_sentence_case(title, head), head, 2 * k, _CACHE, _phrase))[:k]
    if len(tags) < 3:
        tt = tokens(title)  # == tokens(title + " " + title + " " + head), without tokenising the title twice
        words = Counter(chain(tt, tt, tokens(head)))  # counted in C, then the stopwords dropped (order kept)
        pop = words.pop  # (dict's, in C: Counter's own __delitem__ is Python code)
        for w in _NOT_FILL.intersection(words):
            pop(w)
        # the 10 most common words of more than 3 letters (a stable sort, then the first 10 that
        # qualify: the same words in the same order as filtering first and most_common(10))
        seen = 0
        low: tuple[str, str] | None = None  # title and lead lower-cased, once, if a fill word is taken
        for w, _ in sorted(words.items(), key=itemgetter(1), reverse=True):
            if len(w) <= 3 or w.isdigit():
                continue
            seen += 1
            if seen > 10 or len(tags) >= 3:
                break
            if not any(w in o.lower() for o in tags):
                low = low or (title.lower(), head.lower())
                tag = _compound(w, words[w], *low)
                if tag == w or not any(o.lower() in tag.split("-") for o in tags):  # not "accounting", "accounting-probe"
                    tags.append(tag)
    return tags[:k]


_COMPOUND = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def _compound(word: str, count: int, low_title: str, low_head: str) -> str:
    """``word``, or the hyphenated compound it is always written in ("zero" of "zero-day", counted
    as ``count`` was: the title twice) in the lower-cased title and lead: the tokens split at
    hyphens, a tag should not."""
    hy, phen = f"{word}-", f"-{word}"
    if hy not in low_title and hy not in low_head and phen not in low_title and phen not in low_head:
        return word  # the common case, without a regex
    found = Counter(chain(*[_compounds(low_title)] * 2, _compounds(low_head)))
    holding = [(n, c) for c, n in found.items() if word in c.split("-")]
    if not holding or sum(n for n, _ in holding) < count:
        return word
    return max(holding, key=_first)[1]


def _compounds(s: str) -> list[str]:
    """``_COMPOUND.findall(s)``, searched only in the whitespace-separated pieces that hold a hyphen.
    A compound holds no whitespace, and a space before a piece reads as the start of ``s`` does, so
    the matches are the same; but the regex engine retries a hyphen-free word from each of its
    letters, and on a 1,500-character lead that quadratic scan was 15% of all tagging on the
    benchmark, though only 2% of its articles get here (callgrind)."""
    return _COMPOUND.findall(" ".join([p for p in s.split() if "-" in p]))
