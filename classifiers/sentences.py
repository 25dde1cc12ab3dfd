"""Sentences: where one ends (in any script), wire datelines, boilerplate.

The summary reads sentences and their tokens, topic relevance the tokens of all of them, so
``split_sentences`` gives both in one pass; the compiled core (``_core.c``, picked by ``_fast``)
does the same work for ``_split_text`` and ``_mark_ends`` with identical output. Split out of
``text.py`` (tokens, stems, amounts), which it builds on.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from classifiers import _fast
from classifiers import text as _text  # (module: _line_tokens is rebound by tests)
from classifiers.text import _TOKEN, _positions

__all__ = ["is_boilerplate", "mark_ends_reference", "sentences", "split_sentences", "strip_dateline"]
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
    toks = _text._line_tokens(marked) if with_tokens else None
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
