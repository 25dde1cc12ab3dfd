"""Text helpers every scorer shares: tokens, stems, money amounts (sentences: ``sentences.py``).

Written for speed (one compiled regex pass each) because ``signals classify`` must score
thousands of articles a second on one core.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from itertools import chain, repeat

from classifiers import _fast

__all__ = ["STOPWORDS", "doc_stems", "largest_amount", "lead_text", "stem", "stem_tokens", "stems", "tokens"]

_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_APOSTROPHE_TOKEN = re.compile(r"[a-z0-9]+'[a-z]+")  # "company's" is one token as it stands
# ASCII bytes that are neither in a token nor a line end -> space (non-ASCII is "?" by then).
_NON_TOKEN = bytes(i if chr(i) in "abcdefghijklmnopqrstuvwxyz0123456789'\n" else 32 for i in range(256))
# The same for Latin-1 text that is not lower-cased yet: A-Z become a-z on the way, other bytes >= 128
# become spaces (no Latin-1 letter lower-cases to an ASCII one, so ``str.lower`` is not needed).
_LOWER_NON_TOKEN = bytes(_NON_TOKEN[ord(chr(i).lower())] if i < 128 else 32 for i in range(256))

# "$50 billion", "£3.2bn", "€10m", "$2.5-billion" (symbol first: the regex engine skips quickly to
# a symbol) and, only when the text has such words at all, "50 billion dollars", "1.2 mln dlrs",
# "2.5 billion U.S. dlrs", "a 3.5 billion-dollar deal", "1.5 trillion yen".
_MONEY = re.compile(r"[$£€]\s?(\d+(?:[.,]\d+)*)(?:-(?=[a-z])|\s*)(trillion|tn|billion|bln|bn|b|million|mln|m|k)?\b", re.I)
# (``\b`` before the number, written as a lookbehind after its first digit so the scan skips to digits)
_MONEY_AFTER = re.compile(r"(\d(?<!\w\d)\d*(?:[.,]\d+)*)\s*-?\s*(trillion|billion|million|bln|bn|mln)[\s-]+"
                          r"(?:(?:U\.?S\.?|US|Canadian|Australian|New\s+Zealand|Hong\s+Kong|Singapore|Taiwan)\s+)?"
                          r"(dollars?|dlrs|euros?|pounds|stg|yen|yuan|renminbi|rupees)\b", re.I)
_MONEY_WORDS = ("dollar", "euro", "pounds", "dlrs", "stg", "yen", "yuan", "renminbi", "rupees")
_MONEY_WORDS_B = tuple(w.encode("ascii") for w in _MONEY_WORDS)
# every ``_MONEY_AFTER`` match holds one of these (its scale word): a text with none has no match
_SCALE_PARTS = ("illion", "bln", "mln", "bn")
_SCALE_PARTS_B = tuple(w.encode("ascii") for w in _SCALE_PARTS)
# Dollars per unit of the currencies far from a dollar, roughly (the stake is log-scaled: a rough
# rate is enough, reading yen as dollars was not); dollars of any country, euros, pounds count 1:1.
_RATE = {"yen": 0.0067, "yuan": 0.14, "renminbi": 0.14, "rupees": 0.012}
_SCALE = {"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bln": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mln": 1e6,
          "m": 1e6, "k": 1e3}

STOPWORDS = frozenset(["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves", "said", "says", "say", "told", "mr", "mrs", "ms", "one", "two", "three", "new", "year", "years", "last", "first", "week", "weeks", "month", "months", "day", "days", "time", "may", "might", "must", "shall", "per", "cent", "percent", "us", "its", "it's", "he's", "she's", "they're", "we're", "i'm", "don't", "didn't", "can't", "won't", "isn't", "wasn't", "also", "however", "would", "could", "according", "since", "still", "even", "many", "much", "make", "made", "like", "get", "got", "well", "back", "around"])


def _py_tokens(text: str) -> list[str]:
    """Lower-case word tokens (letters/digits, inner apostrophes kept): ``_TOKEN.findall(text.lower())``."""
    if len(text) < 200:  # a title or a keyword: the regex is quicker to start
        low = text.lower()  # (never shorter than the text)
        if len(low) < 200:
            return _TOKEN.findall(low)
    return list(chain.from_iterable(_line_tokens(text)))


# ``_py_tokens``, or the compiled core's same function when it is built (``_fast`` decides).
tokens = _fast.pick("tokens", _py_tokens)

_STEM_CACHE: dict[str, str] = {}


def stem(word: str) -> str:
    """A deliberately light plural folder: vessels→vessel, currencies→currency, taxes→tax, Sony's→sony."""
    s = _STEM_CACHE.get(word)
    if s is None:
        if len(_STEM_CACHE) > 500_000:
            _STEM_CACHE.clear()
        s = _STEM_CACHE[word] = _stem(word)
    return s


def stems(text: str) -> list[str]:
    """``[stem(w) for w in tokens(text)]``, with the cache lookups done in C."""
    return stem_tokens(tokens(text))


def stem_tokens(toks: list[str]) -> list[str]:
    """``[stem(w) for w in toks]`` for tokens already cut (``split_sentences``), lookups in C."""
    return _cached_stems(toks, _STEM_CACHE, _stem)


def _cached_stems(toks: list[str], cache: dict[str, str], stem_fn: Callable[[str], str]) -> list[str]:
    """``[stem_fn(w) for w in toks]`` through ``cache`` (bounded: emptied past 500,000 words)."""
    try:  # (a KeyError instead of testing for None: ``None in out`` compared every stem with None)
        return list(map(cache.__getitem__, toks))
    except KeyError:  # new words: stem each distinct one once, then look them all up again in C
        if len(cache) > 500_000:
            cache.clear()
        for w in set(toks).difference(cache):
            cache[w] = stem_fn(w)
        return list(map(cache.__getitem__, toks))


def doc_stems(title_tokens: list[str], lines: list[list[str]]) -> tuple[list[str], list[str], Counter[str]]:
    """The stems of a title's tokens, those of its text's (``lines``: the text's tokens line by
    line, as ``split_sentences`` cuts them) without a leading repeat of the title (BBC style: not
    counted twice), and how often each stem occurs in both (a ``Counter``, first occurrence first)."""
    counts: Counter[str] = Counter()
    tt, bt = _stem_count(title_tokens, lines, counts, _STEM_CACHE, _stem)
    return tt, bt, counts


def _py_stem_count(title_tokens: list[str], lines: list[list[str]], counts: Counter[str],
                   cache: dict[str, str], stem_fn: Callable[[str], str]) -> tuple[list[str], list[str]]:
    """``doc_stems``' work, the stems counted into ``counts`` (empty); the compiled core's
    ``stem_count`` does the same with one probe of a local table per token for the counting."""
    tt = _cached_stems(title_tokens, cache, stem_fn)
    bt = _cached_stems(list(chain.from_iterable(lines)), cache, stem_fn)
    if tt and bt[: len(tt)] == tt:
        bt = bt[len(tt):]
    counts.update(tt)
    counts.update(bt)
    return tt, bt


# ``_py_stem_count`` or the compiled core's same function (``_fast`` decides)
_stem_count = _fast.pick("stem_count", _py_stem_count)


def _py_stem(word: str) -> str:
    """``stem`` without the cache: drop a possessive, then fold one plural ending."""
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# ``_py_stem`` or the compiled core's same function (``_fast`` decides): the cache serves known
# words, this one every word a stream has not met yet (tens per article)
_stem = _fast.pick("stem", _py_stem)


def _positions(text: str, chars: str) -> list[int]:
    """Where any of ``chars`` occurs in ``text``, in order: ``str.find`` is memchr-fast, so trying
    a pattern only there beats the regex engine testing its first character class everywhere."""
    out: list[int] = []
    find = text.find
    for ch in chars:
        i = find(ch)
        while i >= 0:
            out.append(i)
            i = find(ch, i + 1)
    out.sort()
    return out


def _py_line_tokens(text: str) -> list[list[str]]:
    """``[tokens(line) for line in text.split("\n")]``, about twice as fast: every character that
    cannot be in a token becomes a space (one C pass over bytes) and ``str.split`` cuts the rest.
    Latin-1 text (most news) is lower-cased in the same pass; other text by ``str.lower`` first
    (non-ASCII then becomes "?", a space). Only lines with an apostrophe ("company's", quotes)
    need the regex."""
    try:
        low_ascii = text.encode("latin-1").translate(_LOWER_NON_TOKEN).decode("ascii")
        low = None  # (Latin-1 has no "’": the lower-cased text is not needed below)
    except UnicodeEncodeError:
        low = text.lower()
        low_ascii = low.encode("ascii", "replace").translate(_NON_TOKEN).decode("ascii")
    lines = low_ascii.split("\n")
    out = list(map(str.split, lines))
    if "'" in low_ascii or (low is not None and "’" in low):
        for i, line in enumerate(low.split("\n") if low is not None else lines):
            if "’" in line:  # (turned into "?" above)
                out[i] = _TOKEN.findall(line)
            elif "'" in line:  # only a piece with "'" can differ from its regex tokens: fix those
                if low is None and _apostrophes_ok(line):
                    continue
                fixed: list[str] = []
                for c in out[i]:
                    if "'" in c and not _APOSTROPHE_TOKEN.fullmatch(c):
                        fixed += _TOKEN.findall(c)
                    else:
                        fixed.append(c)
                out[i] = fixed
    return out


# ``_py_line_tokens`` or the compiled core's same function (``_fast`` decides)
_line_tokens = _fast.pick("line_tokens", _py_line_tokens)


def _apostrophes_ok(line: str) -> bool:
    """Is every space-separated piece of ``line`` (lower-cased, only token characters and spaces)
    that holds a "'" one token already ("company's")? Looks at those pieces only, found by
    ``str.find``: most lines with an apostrophe need no fixing, and a loop over all their pieces
    cost more than cutting them."""
    fullmatch = _APOSTROPHE_TOKEN.fullmatch
    i = line.find("'")
    while i >= 0:
        end = line.find(" ", i)
        if end < 0:
            end = len(line)
        if fullmatch(line, line.rfind(" ", 0, i) + 1, end) is None:
            return False
        i = line.find("'", end)
    return True


def largest_amount(text: str) -> tuple[float, str]:
    """The largest money amount mentioned (in dollars, other currencies at ``_RATE``), with the
    matched text as written; (0, "") if none."""
    best, label = 0.0, ""
    # every symbol-first amount starts at a currency symbol and holds no other one: find them with
    # str.find and try the pattern there only (what finditer finds, without the regex engine
    # testing the character class at every position)
    matches = [m for m in map(_MONEY.match, repeat(text), _positions(text, "$£€")) if m is not None]
    if _has_money_word(text, scale=True):
        matches += _MONEY_AFTER.finditer(text)
    for m in matches:
        try:
            value = amount_of(m)
        except ValueError:
            continue
        if value > best:
            best, label = value, m.group(0).strip()
    return best, label


def amount_of(m: re.Match[str]) -> float:
    """The amount a ``_MONEY`` or ``_MONEY_AFTER`` match names, in dollars (``_RATE``); ValueError
    for a number float cannot read."""
    value = float(m.group(1).replace(",", "")) * _SCALE.get((m.group(2) or "").lower(), 1.0)
    return value * _RATE.get(m.group(3).lower(), 1.0) if m.re is _MONEY_AFTER else value


def _has_money_word(text: str, scale: bool = False) -> bool:
    """Is one of ``_MONEY_WORDS`` in ``text.lower()`` (and, with ``scale``, one of ``_SCALE_PARTS``:
    then the ``_MONEY_AFTER`` scan can find something; "euro" alone is in every text about Europe)?
    Latin-1 text is lower-cased as bytes (ASCII letters only: no other Latin-1 letter lower-cases to
    an ASCII one), several times cheaper."""
    try:
        low = text.encode("latin-1").lower()
    except UnicodeEncodeError:
        low_s = text.lower()
        return any(map(low_s.__contains__, _MONEY_WORDS)) and (not scale or any(map(low_s.__contains__, _SCALE_PARTS)))
    return any(map(low.__contains__, _MONEY_WORDS_B)) and (not scale or any(map(low.__contains__, _SCALE_PARTS_B)))


def lead_text(title: str, text: str, limit: int = 600) -> str:
    """What the domain model reads: the title twice (it carries most signal) and the lead."""
    return f"{title}. {title}. {text[:limit]}"
