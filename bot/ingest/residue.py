"""Remove what mojibake repair cannot fix: invisible characters and lost-emoji residue.

Aggregators that decode UTF-8 with a legacy code page and then drop the bytes they
cannot map leave one or two characters of an unrelated script glued to English words:
the 4-byte emoji 💡 (F0 9F 92 A1) read as windows-874 leaves Thai ``๐`` (0xF0), as
windows-1251 leaves Cyrillic ``р``, as windows-1253 Greek ``π``. ftfy cannot restore
an emoji from one surviving byte, so in text that is overwhelmingly Latin we delete
short runs (≤ 3 chars) of another script that are not a word of that script.
Also removed: C0/C1 control characters, zero-width characters and bidi overrides
(a classic spoofing vector in titles).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["strip_invisible", "strip_script_residue"]

_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200c\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffc]"
)
_ASCII_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters of the scripts below: without one, there is no residue to look for.
_CANDIDATE = re.compile(
    "[\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u0590-\u05ff\u0600-\u06ff\u0900-\u09ff\u0e00-\u0fff"
    "\u10a0-\u10ff\u1200-\u137f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
)
_ZWJ_LONE = re.compile(r"(?<![\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F])\u200d|\u200d(?![\U0001F000-\U0001FAFF\u2600-\u27BF])")
_MULTISPACE = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?)])")

# Scripts whose lone characters are typical code-page residue of a lost emoji/quote.
_RESIDUE_SCRIPTS = ("THAI", "CYRILLIC", "GREEK", "HEBREW", "ARABIC", "ARMENIAN", "GEORGIAN",
                    "LAO", "TIBETAN", "ETHIOPIC", "DEVANAGARI", "BENGALI", "CJK", "HIRAGANA",
                    "KATAKANA", "HANGUL")


@lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    """'L' for Latin letters/digits, a script name for other letters/digits, '' otherwise."""
    if ch.isascii():
        return "L" if ch.isalnum() else ""
    cat = unicodedata.category(ch)
    if cat[0] not in "LNM":
        return ""  # punctuation, symbols (emoji included), spaces
    name = unicodedata.name(ch, "")
    if name.startswith("LATIN") or ("0" <= ch <= "\u024f") or "\u1e00" <= ch <= "\u1eff":
        return "L"
    if cat[0] == "M":
        return "M"  # combining mark: belongs to the previous character
    for s in _RESIDUE_SCRIPTS:
        if name.startswith(s):
            return s
    return "X"  # another script we do not treat as residue (e.g. math letters)


def strip_invisible(text: str) -> str:
    """Drop control, zero-width and bidi-override characters (``\\n`` and ``\\t`` stay)."""
    if text.isascii():
        return _ASCII_CONTROL.sub("", text) if _ASCII_CONTROL.search(text) else text
    text = _INVISIBLE.sub("", text)
    if "\u200d" in text:
        text = _ZWJ_LONE.sub("", text)
    return text


def strip_script_residue(text: str) -> str:
    """Delete short foreign-script runs stuck in Latin text (``"news๐ today"`` → ``"news today"``)."""
    if text.isascii() or not _CANDIDATE.search(text):
        return text
    scripts = [_script(c) for c in text]
    latin = scripts.count("L")
    foreign = sum(1 for s in scripts if s not in ("L", "", "M", "X"))
    if foreign == 0 or latin == 0 or foreign * 4 > latin:
        return text  # not residue: the text is (partly) written in that script
    keep = [True] * len(text)
    i, n = 0, len(text)
    while i < n:
        s = scripts[i]
        if s in ("L", "", "M", "X"):
            i += 1
            continue
        j = i + 1
        while j < n and scripts[j] in (s, "M"):
            j += 1
        run = j - i
        before = scripts[i - 1] if i else ""
        after = scripts[j] if j < n else ""
        glued = before == "L" or after == "L"
        # Alone between spaces it is residue too, but not inside brackets or quotes: "(東京)".
        alone = (i == 0 or text[i - 1].isspace()) and (j == n or text[j].isspace() or text[j] in ".,;:!?")
        # Greek before a word or alone is usually a symbol (π, Δ, μs); after a word, residue.
        residue = before == "L" if s == "GREEK" else glued or alone
        if run <= 3 and residue:
            for k in range(i, j):
                keep[k] = False
        i = j
    if all(keep):
        return text
    out = "".join(c for c, k in zip(text, keep, strict=True) if k)
    out = _MULTISPACE.sub(" ", out)
    out = _SPACE_BEFORE_PUNCT.sub(r"\1", out)
    return "\n".join(line.strip() for line in out.split("\n"))
