"""The fast paths of the text helpers give exactly what the plain regex/str formulation gives.

Each helper has a cheap route (str.find + a pattern tried in place, byte-level lower-casing of
Latin-1 text, or the compiled core's loop) and the formulation it replaced; these pin that all
agree, including on the inputs that take the slow route (text outside Latin-1, curly
apostrophes, quotes). Every test runs on both implementations (the ``impl`` fixture: pure
Python, compiled core), so the two also agree with each other.
"""

from __future__ import annotations

import random
import re

import pytest

from classifiers import sentences, text
from classifiers.relevance import TopicModel, doc_terms
from classifiers.summary import _DIGIT, _has_digit
from classifiers.tags import _distinct, _nested, _word_re
from classifiers.text import _MONEY, _MONEY_WORDS, _TOKEN, _has_money_word, largest_amount
from classifiers.types import TopicSpec

_PIECES = ["Mr. Smith", ". The", "! 5", "? “A", "U.S. ", "company's ", "'quoted' ", "rock’n’roll ", "İstanbul ",
           "K\u212a ", "£5bn ", "$3.2 million ", "€10m ", "50 MILLION Dollars ", "\t", "\u00a0", "\n", "É ", "x",
           "abc", "1.5", ".)", "”", " ", "STG", "Ã©tÃ© ", "naïve ", "日本 ", "😀 ", "x'", "'y", "’", "2'b", "\x01",
           "ﬁ "]


def _texts(n: int = 400) -> list[str]:
    rng = random.Random(7)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 60))) for _ in range(n)]


def test_sentence_end_marks_match_the_regex_substitution(impl: str) -> None:
    for t in [*_texts(), "", ".", "a. ", "a.\u2029B", "a.\u3000“1", "a.’ (B"]:
        assert sentences._mark_ends(t) == sentences.mark_ends_reference(t)


@pytest.mark.parametrize(("text_in", "want"), [
    ("Банк повысил ставку до 21%. Решение ожидали. Рынок спокоен.",
     ["Банк повысил ставку до 21%.", "Решение ожидали.", "Рынок спокоен."]),
    ("Η τράπεζα αύξησε το επιτόκιο. Οι αγορές το περίμεναν.", ["Η τράπεζα αύξησε το επιτόκιο.", "Οι αγορές το περίμεναν."]),
    ("La banque a relevé son taux. Économistes et marchés s'y attendaient.",
     ["La banque a relevé son taux.", "Économistes et marchés s'y attendaient."]),
    ("央行宣布加息。市场反应平稳！「通胀将放缓。」分析人士说。", ["央行宣布加息。", "市场反应平稳！", "「通胀将放缓。」", "分析人士说。"]),
    ("बैंक ने दर बढ़ाई। बाजार शांत रहा।", ["बैंक ने दर बढ़ाई।", "बाजार शांत रहा।"]),
    ("رفع البنك سعر الفائدة. وكانت الأسواق تتوقع ذلك.", ["رفع البنك سعر الفائدة.", "وكانت الأسواق تتوقع ذلك."]),
    # still one sentence: a lower-case word after the stop, an abbreviation, a mark at a line's end
    ("Он сказал т. е. нет. Mr. Smith came.", ["Он сказал т. е. нет.", "Mr. Smith came."]),
    ("完了。\n次の段落", ["完了。", "次の段落"]),
])
def test_sentences_end_in_any_script(impl: str, text_in: str, want: list[str]) -> None:
    """A sentence opens with any letter that is not lower case (Cyrillic, Greek, accented capitals,
    scripts without case) and ends at 。！？ and । without a space: a Russian or Chinese article was
    one long bullet."""
    assert sentences.split_sentences(text_in)[0] == want
    assert sentences._split_plain(text_in, False)[0] == want  # the route for texts holding "\x01"


def test_line_tokens_match_the_token_regex_per_line(impl: str) -> None:
    for t in [*_texts(), "", "\n", "x" * 5000 + "'s\n" * 3]:
        assert text._line_tokens(t) == [_TOKEN.findall(line) for line in t.lower().split("\n")]
        assert text.tokens(t) == _TOKEN.findall(t.lower())
        assert text.stems(t) == [text.stem(w) for w in _TOKEN.findall(t.lower())]


def test_amounts_match_a_full_scan() -> None:
    def plain(text: str) -> tuple[float, str]:
        from classifiers.text import _MONEY_AFTER, _SCALE

        matches = list(_MONEY.finditer(text))
        if any(w in text.lower() for w in _MONEY_WORDS):
            matches += _MONEY_AFTER.finditer(text)
        best, label = 0.0, ""
        for m in matches:
            try:
                v = float(m.group(1).replace(",", "")) * _SCALE.get((m.group(2) or "").lower(), 1.0)
            except ValueError:
                continue
            if v > best:
                best, label = v, m.group(0).strip()
        return best, label

    for t in _texts():
        assert largest_amount(t) == plain(t)
        assert _has_money_word(t) == any(w in t.lower() for w in _MONEY_WORDS)
    assert largest_amount("$1m then £2bn then €2bn") == (2e9, "£2bn")


def test_digit_feature_and_word_search_match_their_regexes() -> None:
    for t in [*_texts(), "٣ Arabic-Indic digit", "no digits here", "x9"]:
        assert _has_digit(t) == (_DIGIT.search(t) is not None)
    head = "apple pie, Apple and pineapple; apple"
    for key in ("apple", "pie", "pine"):
        pat = _word_re(key)
        i = head.find(key)
        while i >= 0 and pat.match(head, i) is None:
            i = head.find(key, i + 1)
        assert (i >= 0) == (re.search(rf"\b{key}\b", head) is not None)


def test_topic_probability_is_the_same_without_explanations(impl: str) -> None:
    m = TopicModel(TopicSpec("deals", ["merger", "takeover bid"], exclude=["rumour"]),
                   expansion={"acquisit": 0.5, "sharehold": 0.3}).fit()
    for title, text_ in [("Merger agreed", "The takeover bid won shareholder backing."),
                         ("Rumour of merger", "A rumour, nothing more."), ("", "")]:
        d = doc_terms(title, text_)
        p, contrib = m.score(d)
        assert m.score(d, explain=False) == (p, [])
        assert contrib or p < 0.5


def _distinct_by_lists(names: list[str]) -> list[str]:
    """``tags._distinct`` as it was written, comparing word-list slices (``tags._nested``)."""
    kept: list[str] = []
    kept_words: list[list[str]] = []
    for name in names:
        words = name.lower().split()
        for i, other in enumerate(kept_words):
            if _nested(words, other):
                if len(words) < len(other):
                    kept[i], kept_words[i] = name, words
                break
        else:
            kept.append(name)
            kept_words.append(words)
    return kept


def test_distinct_names_match_the_word_list_formulation() -> None:
    """The substring tests on space-padded names keep the same names, in the same places, as the
    word-list comparison: also for names without words, repeated words, other whitespace and
    words that are prefixes or suffixes of others."""
    rng = random.Random(11)
    pieces = ["Snoop", "Dogg", "Rapper", "snoop", "Dog", "Doggy", "of", "Bank", "England", "", " ", "\u00a0", "\t",
              "İ", "a", "ab", "b", "New York", "York"]
    cases = [[" ".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(0, 10))]
             for _ in range(3000)]
    cases += [["Rapper Snoop Dogg", "Snoop Dogg", "Dogg"], ["", "A"], ["A", ""], ["a b a", "b a", "a b"],
              ["ab", "a b", "b"], ["Understanding Google AdWords", "Google AdWords", "Google"]]
    for names in cases:
        assert _distinct(names) == _distinct_by_lists(names), names
