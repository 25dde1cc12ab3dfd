"""Text helpers every scorer shares: tokens, sentences, boilerplate, money amounts.

Written for speed (one compiled regex pass each) because ``signals classify`` must score
thousands of articles a second on one core.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from itertools import chain, repeat

from classifiers import _fast

__all__ = ["STOPWORDS", "doc_stems", "is_boilerplate", "largest_amount", "lead_text", "sentences", "split_sentences",
           "stem", "stem_tokens", "stems", "strip_dateline", "tokens"]

_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_APOSTROPHE_TOKEN = re.compile(r"[a-z0-9]+'[a-z]+")  # "company's" is one token as it stands
# ASCII bytes that are neither in a token nor a line end -> space (non-ASCII is "?" by then).
_NON_TOKEN = bytes(i if chr(i) in "abcdefghijklmnopqrstuvwxyz0123456789'\n" else 32 for i in range(256))
# The same for Latin-1 text that is not lower-cased yet: A-Z become a-z on the way, other bytes >= 128
# become spaces (no Latin-1 letter lower-cases to an ASCII one, so ``str.lower`` is not needed).
_LOWER_NON_TOKEN = bytes(_NON_TOKEN[ord(chr(i).lower())] if i < 128 else 32 for i in range(256))
# A sentence ends at . ! ? (optionally followed by a closing quote/bracket) before whitespace and an
# opening capital, digit or quote; group 1 is the whitespace between the two sentences. The pattern
# starts with a character set, so the regex engine skips to candidates in C (lookbehinds tried at
# every position were the costliest part of summarising). Common abbreviations are protected first.
# "Capital" is any letter that is not lower case (:func:`_opens`), so Cyrillic, Greek or accented
# capitals and letters of scripts without case (Arabic, Hebrew, Hindi) open a sentence too: with
# A-Z only, a Russian article was one long bullet. Scripts that end sentences with their own mark
# and no space (Chinese, Japanese: 。！？) or use a danda or an Arabic mark (। ؟ ۔) end at the mark
# whatever follows on the line (``_CJK_END``).
# (``_SENT_END`` and ``_ABBREV`` now serve only ``_split_plain``; ``split_sentences`` uses ``_CUT``.)
_SENT_END = re.compile(r"[.!?][\"'”’)\]]?(\s+)(?=[\"'“‘(\[]?([^\W_]|[£$€]))"
                       r"|[。！？।؟۔][\"'”’)\]」』）]?+([^\S\n]*)(?=\S)")
# Candidate abbreviations: a short capitalised word (or U.S.-style initials) before ". "; the
# callback keeps only real ones. One cheap pattern beats a 30-way alternation tried everywhere.
_ABBREV = re.compile(r"(?<!\w)([A-Z][a-z]{0,3}|[A-Z]\.[A-Z]|vs)\.(?=\s)")
# The same test at a sentence end found by ``_CUT`` (searched in the few characters before the ".").
_ABBREV_END = re.compile(r"(?<!\w)([A-Z][a-z]{0,3}|[A-Z]\.[A-Z]|vs)\Z")
# ``_SENT_END`` for a whole text at once: the whitespace may not cross a line (a paragraph end).
# It matches the end mark alone (the whitespace is looked ahead at), so ``_mark_ends`` can append a
# line break; group 1 is the character that opens the next sentence (``_opens`` decides).
_CUT = re.compile(r"[.!?][\"'”’)\]]?(?=[^\S\n]+[\"'“‘(\[]?([^\W_]|[£$€]))")
_CJK_END = re.compile(r"[。！？।؟۔][\"'”’)\]」』）]?+(?=[^\S\n]*\S)")
_END_MARKS = ".!?。！？।؟۔"
_ABBREVS = frozenset(["Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Sr", "Jr", "Gen", "Gov", "Sen", "Rep", "Lt", "Col", "Inc", "Corp", "Co", "Ltd", "No", "vs", "Jan", "Feb", "Mar", "Apr", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "U.S", "U.K", "U.N", "E.U"])
# Boilerplate: a byline or credit at the start of the sentence, or a tell-tale phrase anywhere
# (plain substring tests on the lower-cased sentence: much faster than one big alternation).
_BOILER_START = re.compile(r"(by\s+[A-Z][\w.'-]+(\s+[A-Z][\w.'-]+){0,3}\s*$|(reporting|writing|editing)\s+by\b"
                           r"|related\s*:|photo\s*:|image\s*:|disclosure\s*:|advertisement|skip\s+to\b)", re.I)
_BOILER_ANY = ("share this", "share on ", "follow us", "sign up", "subscribe", "click here", "read more",
               "all rights reserved", "copyright", "©", "getty images", "newsletter", "cookie", "terms of use",
               "terms of service", "privacy policy", "email this", "print this", "comments (")
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


def sentences(text: str) -> list[str]:
    """Split into sentences: paragraphs first, then sentence ends. Errs towards splitting."""
    return split_sentences(text, with_tokens=False)[0]


def split_sentences(text: str, with_tokens: bool = True) -> tuple[list[str], list[bool], list[list[str]]]:
    """Sentences (stripped, non-empty, in order), whether each starts a paragraph, and the
    lower-case ``tokens`` of each (empty lists unless ``with_tokens``).

    One pass serves every scorer: the summary reads the sentences and their words, topic
    relevance the tokens of all of them (their concatenation is exactly ``tokens(text)``: cuts
    fall on whitespace only). Sentence ends are marked by one C-level substitution, and the
    abbreviation test ("Mr. Smith") runs only on the few sentence ends that follow a capital,
    instead of a regex tried at every position of the text (that was most of the splitting time).
    Same output as the paragraph-by-paragraph splitter it replaced on all the development texts;
    the one deliberate difference: "Mr." followed by a tab or no-break space is now an
    abbreviation even in a paragraph without ". " (it was split there before).
    """
    if "\x01" in text:  # our marker occurs in the text itself: take the plain, slower route
        return _split_plain(text, with_tokens)
    out, first, out_toks = _split_text(text, with_tokens, _is_abbrev)
    if "\x00" in text:  # the plain route's placeholder: same output either way
        out = [x.replace("\x00", ".") for x in out]
    return out, first, out_toks


def _py_split_text(text: str, with_tokens: bool,
                   is_abbrev: Callable[[str], bool]) -> tuple[list[str], list[bool], list[list[str]]]:
    """``split_sentences`` of a text without "\x01", before the "\x00" placeholder is put back;
    ``is_abbrev`` is ``_is_abbrev``. The compiled core's ``split_text`` does the same in one pass."""
    marked = _mark_ends(text)  # "end. Next" -> "end.\n\x01 Next"
    raw = marked.split("\n")
    toks = _line_tokens(marked) if with_tokens else None
    out: list[str] = []
    first: list[bool] = []
    out_toks: list[list[str]] = []
    for i, p in enumerate(raw):
        if p[:1] == "\x01":  # a sentence end within the paragraph
            prev = out[-1]
            if prev[-1] == "." and (not prev[-5:-1].islower() or prev.endswith("vs.")) and is_abbrev(prev):
                out[-1] = (prev + p[1:]).rstrip()  # "Mr. Smith": not a sentence end after all
                if toks is not None:
                    out_toks[-1] = out_toks[-1] + toks[i]
                continue
            out.append(p[1:].strip())
            first.append(False)
        else:
            p = p.strip()
            if not p:
                continue
            out.append(p)
            first.append(True)
        out_toks.append(toks[i] if toks is not None else [])
    return out, first, out_toks


# ``_py_split_text`` or the compiled core's same function (``_fast`` decides)
_split_text = _fast.pick("split_text", _py_split_text)


def _opens(ch: str) -> bool:
    """Can ``ch`` open a sentence after ". "? A digit 0-9, a currency sign or a letter that is not
    lower case ("Mr. smith" is one sentence; "сказал. Министр" two)."""
    return ch in "0123456789£$€" or (ch.isalpha() and not ch.islower())


_ANY_END = re.compile(f"{_CUT.pattern}|{_CJK_END.pattern}")


def mark_ends_reference(text: str) -> str:
    """The sentence ends of ``text`` marked with "\\n\\x01", by the patterns alone (group 1 is
    None after a CJK mark): the specification ``_mark_ends``, pure or compiled, is tested against."""
    return _ANY_END.sub(lambda m: m.group() + "\n\x01" if m.group(1) is None or _opens(m.group(1)) else m.group(),
                        text)


def _py_mark_ends(text: str) -> str:
    """:func:`mark_ends_reference`, faster: every match starts at an end mark, so those are found by
    ``str.find`` (memchr-fast) and the patterns are tried there only; scanning the whole text for
    the character class in the regex engine cost several times more. A match is the end mark plus at
    most a closing quote or bracket, so matches never overlap a later start."""
    starts = _positions(text, _END_MARKS)
    if not starts:
        return text
    parts: list[str] = []
    a = 0
    latin, cjk = _CUT.match, _CJK_END.match
    for i in starts:
        if i >= a:
            m = latin(text, i) if text[i] in ".!?" else cjk(text, i)
            if m is not None and (m.re is _CJK_END or _opens(m.group(1))):
                e = m.end()
                parts += (text[a:e], "\n\x01")
                a = e
    if not parts:
        return text
    parts.append(text[a:])
    return "".join(parts)


# ``_py_mark_ends`` or the compiled core's same function (``_fast`` decides)
_mark_ends = _fast.pick("mark_ends", _py_mark_ends)


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


def _is_abbrev(sentence: str) -> bool:
    """Does ``sentence`` (ending in ".") end with a protected abbreviation, as ``_ABBREV`` reads it?"""
    m = _ABBREV_END.search(sentence, max(0, len(sentence) - 6), len(sentence) - 1)
    return m is not None and m.group(1) in _ABBREVS


def _split_plain(text: str, with_tokens: bool) -> tuple[list[str], list[bool], list[list[str]]]:
    out: list[str] = []
    first: list[bool] = []
    for para in text.split("\n"):
        para = para.strip()
        if not para:
            continue
        protected = _ABBREV.sub(_protect, para) if ". " in para else para
        a = 0
        for m in _SENT_END.finditer(protected):
            if m.group(1) is not None and not _opens(m.group(2)):
                continue
            g = 1 if m.group(1) is not None else 3
            s = protected[a:m.start(g)].replace("\x00", ".").strip()
            if s:
                out.append(s)
                first.append(a == 0)
            a = m.end(g)
        s = protected[a:].replace("\x00", ".").strip()
        if s:
            out.append(s)
            first.append(a == 0)
    return out, first, [_TOKEN.findall(s.lower()) if with_tokens else [] for s in out]


def _protect(m: re.Match[str]) -> str:
    return m.group(1) + "\x00" if m.group(1) in _ABBREVS else m.group(0)


# A wire dateline opening the story: "NEW YORK (Reuters) - ", "WASHINGTON, Dec 5 (AP) -- ",
# "(AFP) - ", "SAN FRANCISCO — ", "NAJAF, Iraq - ": a place in capitals and/or a credited agency,
# then a dash. Capitals alone are a place only when they cannot be an acronym opening prose
# ("IBM - which makes servers - fell", "U.S. - China talks", "NASDAQ - the index"): before a long
# dash 5+ letters, before a hyphen two words or a ", Region" part.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Z.'’]+(?P<words>(?:[ /-][A-Z][A-Z.'’]+)+)?)?(?P<region>,[ ]?[A-Za-z][ \w.'’]{0,30}?)?[ ]*"
    r"(?P<agency>\([A-Z][\w .&'’/-]{0,30}\)[ ]*)?(?P<dash>[-–—]{1,2})[ ]+(?=\w)")


def _is_dateline(m: re.Match[str]) -> bool:
    if m["agency"]:
        return True
    if not m["place"]:
        return False
    if m["dash"] != "-":
        return sum(map(str.isalpha, m["place"])) >= 5
    return bool(m["words"] or m["region"])


def strip_dateline(s: str, raise_first: bool = True) -> str:
    """``s`` without the wire dateline it opens with (``_DATELINE``), its first letter raised
    (a bullet is shown as a sentence) unless ``raise_first`` is false."""
    t = s.lstrip()
    if t[:1].isupper() or t[:1] == "(":
        m = _DATELINE.match(t)
        if m and _is_dateline(m):
            t = t[m.end():]
            return t[:1].upper() + t[1:] if raise_first else t
    return s


def is_boilerplate(sentence: str) -> bool:
    """Bylines, share/subscribe prompts, credits, navigation: never summary material."""
    if _BOILER_START.match(sentence) or sentence.count("|") >= 2:
        return True
    return any(map(sentence.lower().__contains__, _BOILER_ANY))  # (map: no generator frame per phrase)


def largest_amount(text: str) -> tuple[float, str]:
    """The largest money amount mentioned (in dollars, other currencies at ``_RATE``), with the
    matched text as written; (0, "") if none."""
    best, label = 0.0, ""
    # every symbol-first amount starts at a currency symbol and holds no other one: find them with
    # str.find and try the pattern there only (what finditer finds, without the regex engine
    # testing the character class at every position)
    matches = [m for m in map(_MONEY.match, repeat(text), _positions(text, "$£€")) if m is not None]
    if _has_money_word(text):
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


def _has_money_word(text: str) -> bool:
    """Is one of ``_MONEY_WORDS`` in ``text.lower()``? Latin-1 text is lower-cased as bytes (ASCII
    letters only: no other Latin-1 letter lower-cases to an ASCII one), several times cheaper."""
    try:
        low = text.encode("latin-1").lower()
    except UnicodeEncodeError:
        low_s = text.lower()
        return any(map(low_s.__contains__, _MONEY_WORDS))
    return any(map(low.__contains__, _MONEY_WORDS_B))


def lead_text(title: str, text: str, limit: int = 600) -> str:
    """What the domain model reads: the title twice (it carries most signal) and the lead."""
    return f"{title}. {title}. {text[:limit]}"
