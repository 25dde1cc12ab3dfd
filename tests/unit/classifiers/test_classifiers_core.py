"""The optional compiled core (``classifiers/_core.c``) against the pure-Python code it mirrors.

Pinned: the token pattern over every Unicode code point (the core knows the only three above
127 that lower-case into something the pattern reads), the name-run pattern of the tags over
every code point, fuzzed texts, sentence word lists and name texts (hypothesis), hostile texts, ``SIGNALS_PURE_PYTHON`` choosing the fallback, and ``signals classify`` giving
byte-identical output either way on varied articles.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from itertools import chain
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers import linear_text, relevance, sentences, summary, tags, text
from classifiers.summary import _py_word_stats
from classifiers.text import _TOKEN, STOPWORDS

_PLAIN = re.compile(linear_text.WORD_PATTERN)
_CHARS = st.sampled_from([*"aZz09 '’\n\t.!?()[]\"\x01İK\u212aÉé£$€“”‘-БбΣς。！？」』）।؟۔אª", "\u2029", "\u3000", "\u0307", "ß", "ﬁ", "日", "😀", "\u00a0"])
_FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _core() -> ModuleType:
    try:
        from classifiers import _core
    except ImportError:
        pytest.skip("the compiled core (classifiers._core) is not built here")
    return _core


def test_every_code_point_tokenises_as_the_pattern(impl: str) -> None:
    """Each character of Unicode between two letters (where an apostrophe joins them)."""
    s = "".join(f"a{chr(c)}b " for c in range(0x110000))
    assert text.tokens(s) == _TOKEN.findall(s.lower())
    assert linear_text._word_tokens(s) == _PLAIN.findall(s.lower())


def test_every_code_point_around_a_sentence_end() -> None:
    """Each character as a closing quote, whitespace, opening quote and sentence start after ".",
    and after "。" (with and without a closer before it): the core's end marks are the patterns'
    (the pure route tries the patterns themselves)."""
    s = "".join(f"x.{c} Bx.{c}Bx. {c}Bx. {c}x x。{c}x x。」{c}\n" for c in map(chr, range(0x110000)))
    assert _core().mark_ends(s) == sentences.mark_ends_reference(s)


def test_sentence_marks(impl: str) -> None:
    sents = ["", "x?", "“Hi", "‘a", "'b", '"c', "”no", "1", "é٣ Arabic-Indic", "plain.", "¹ superscript", "?"]
    want = [(len(s), s[:1] in "\"'“‘", re.search(r"\d", s) is not None, s.endswith("?")) for s in sents]
    got = np.frombuffer(summary._sentence_marks(sents), dtype=np.float64).reshape(-1, 4)
    assert got.tolist() == np.array(want, dtype=np.float64).tolist()


def test_core_digit_mark_over_every_code_point() -> None:
    """The core's digit test is ``re``'s \\d for every code point (the pure route runs the regex)."""
    chars = list(map(chr, range(0x110000)))
    digits = set(re.findall(r"\d", "".join(chars)))
    got = np.frombuffer(_core().sentence_marks(chars), dtype=np.float64).reshape(-1, 4)
    assert got[:, 2].tolist() == [float(c in digits) for c in chars]
    assert set(got[:, 0].tolist()) == {1.0}


@_FUZZ
@given(st.text(_CHARS, max_size=80) | st.text(max_size=40))
def test_fuzzed_tokens_match_the_patterns(impl: str, s: str) -> None:
    assert text._line_tokens(s) == [_TOKEN.findall(line) for line in s.lower().split("\n")]
    assert text.tokens(s) == _TOKEN.findall(s.lower())
    assert linear_text._word_tokens(s) == _PLAIN.findall(s.lower())
    assert sentences._mark_ends(s) == sentences.mark_ends_reference(s)
    if "\x01" not in s:  # (else the plain splitter runs, on the regex tokens)
        assert list(chain.from_iterable(sentences.split_sentences(s)[2])) == _TOKEN.findall(s.lower())


_SPLIT = st.sampled_from([*"aZ9 \t\n.!?\"'()[]“”‘’£$€\x00。！」।Бб", ". Б", "。 x", "Mr", "Dr", "vs", "U.S", "Co", "abc", "İ", "\u00a0",
                           "\u2029", "\u3000", "ǅ", "ß", "😀", "\ud800", ". The", "! 5", "? “A", "Mr. Smith", "x'y"])


def _pure_split(monkeypatch: pytest.MonkeyPatch, s: str, with_tokens: bool) -> object:
    with monkeypatch.context() as m:
        m.setattr(sentences, "_mark_ends", sentences._py_mark_ends)
        m.setattr(text, "_line_tokens", text._py_line_tokens)
        return sentences._py_split_text(s, with_tokens, sentences._is_abbrev)


@_FUZZ
@given(st.lists(_SPLIT, max_size=60).map("".join), st.booleans())
def test_fuzzed_split_text_matches(monkeypatch: pytest.MonkeyPatch, s: str, with_tokens: bool) -> None:
    """The core's one-pass split gives the marked-text splitter's sentences, paragraph starts and tokens."""
    assert _core().split_text(s, with_tokens, sentences._is_abbrev) == _pure_split(monkeypatch, s, with_tokens)


def test_split_text_hostile_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    core = _core()
    for s in ["", "\n", ".", "A. B", "\x00. A\x00", "\ud800. \udfff", "😀. 😀 A. Mr. B", "x" * 100_000,
              "Mr. Smith went. He said. " * 5000, ("İ. K\u212a! “Q? ”R.’ S" * 300)]:
        for with_tokens in (True, False):
            assert core.split_text(s, with_tokens, sentences._is_abbrev) == _pure_split(monkeypatch, s, with_tokens)
    with pytest.raises(ZeroDivisionError):
        core.split_text("Mr. Smith", True, lambda s: 1 / 0)
    with pytest.raises(TypeError):
        core.split_text(b"bytes", True, sentences._is_abbrev)


def test_shared_token_strings_survive_the_table_filling_up(impl: str) -> None:
    """The core shares one string per distinct token in a bounded table, emptied when half full:
    more distinct tokens than that, twice over, still come out right (and long ones unshared)."""
    s = " ".join(f"w{i}" for i in range(150_000)) + " " + "y" * 300
    assert text.tokens(s) == text.tokens(s) == _TOKEN.findall(s)


_WORDS = st.lists(st.lists(st.sampled_from(["the", "bank", "rates", "a", "oil", "said", "up", "bank's", "x"]),
                           max_size=12), max_size=8)


@settings(max_examples=300, deadline=None)
@given(_WORDS, st.sets(st.sampled_from(["bank", "oil", "x", "gold"])))
def test_fuzzed_word_stats_are_the_same_floats(words: list[list[str]], title: set[str]) -> None:
    assert _core().word_stats(words, STOPWORDS, title) == _py_word_stats(words, STOPWORDS, title)


def test_word_stats_cases() -> None:
    core = _core()
    for words, title in [([], set()), ([[]], {"x"}), ([["bank", "bank"]], {"bank"}),
                         ([["oil"] * 3000 + [f"w{i}" for i in range(3000)], ["oil", "the"]] * 40, {"oil", "w7"}),
                         ([[f"w{i}" for i in range(40_000)], ["w1", "w1".join("ab")]], {"w1"})]:  # table grows, freed
        assert core.word_stats(words, STOPWORDS, title) == _py_word_stats(words, STOPWORDS, title)
    with pytest.raises(TypeError):
        core.word_stats([["a", 1]], STOPWORDS, set())
    with pytest.raises(TypeError):
        core.word_stats([["a"]], ["not", "a", "set"], set())
    with pytest.raises(TypeError):
        core.tokens(b"bytes")


def _stem_counts(fn: Any, title: list[str], lines: list[list[str]]) -> tuple[Any, list[tuple[str, int]]]:
    counts: Counter[str] = Counter()
    return fn(title, lines, counts, {}, text._stem), list(counts.items())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["oil", "oils", "bank's", "banks", "taxes", "the", "x", "s", "’s", "b’s", ""]),
                max_size=6),
       st.lists(st.lists(st.sampled_from(["oil", "oils", "bank", "banks", "the", "taxes", "tax", "w"]), max_size=8),
                max_size=5))
def test_fuzzed_stem_counts_match(title: list[str], lines: list[list[str]]) -> None:
    """Stems, the title's repeat dropped from the text's, and the counts in first-occurrence order."""
    if lines and title:  # (the text often repeats the title)
        lines[0] = title + lines[0]
    assert _stem_counts(_core().stem_count, title, lines) == _stem_counts(text._py_stem_count, title, lines)


def test_stem_count_cases() -> None:
    core = _core()
    many = [[f"w{i}s" for i in range(50_000)], ["w1", "w1s", "".join(["w", "1"])]]
    for title, lines in [([], []), ([], [[]]), (["a"], [["a"]]), (["a", "b"], [["a"], ["b", "a"]]), (["x"], many)]:
        assert _stem_counts(core.stem_count, title, lines) == _stem_counts(text._py_stem_count, title, lines)
    full = {f"w{i}": f"w{i}" for i in range(500_001)}
    assert core.stem_count(["oils"], [], Counter(), full, text._stem) == (["oil"], []) and full == {"oils": "oil"}
    with pytest.raises(TypeError):  # stems must be str (they are)
        core.stem_count(["a"], [["b", 1]], Counter(), {}, lambda w: w)
    with pytest.raises(TypeError):
        core.stem_count(["a"], [["b"]], Counter(), {}, lambda w: 1)
    with pytest.raises(ZeroDivisionError):
        core.stem_count(["a"], [], Counter(), {}, lambda w: 1 / 0)


def test_stem_count_memo_follows_the_cache_and_the_stemmer() -> None:
    """The core remembers stems by token object for one (cache, stem) pair: another pair, a full
    memo, or a stemmer that changes the token lists while it runs still give the stemmer's stems."""
    core = _core()
    words = text.tokens("the oils and banks of the taxes")
    assert core.stem_count(words, [], Counter(), {}, text._stem)[0] == [text._stem(w) for w in words]
    assert core.stem_count(words, [], Counter(), {}, str.upper)[0] == [w.upper() for w in words]
    many = [f"word{i}s" for i in range(100_000)]
    assert core.stem_count(many, [], Counter(), {}, text._stem)[0] == [w[:-1] for w in many]
    lines = [["oils", "banks"], ["taxes"]]

    def shrink(w: str) -> str:  # (a line emptied under the core: its remaining tokens are not read)
        if lines:
            lines[0].clear()
            lines.clear()
        return text._stem(w)

    assert core.stem_count([], lines, Counter(), {}, shrink)[1] == ["oil", "tax"]

    def nested(w: str) -> str:  # a stemmer that calls the core with another stemmer (the memo is rebound)
        core.stem_count([w], [], Counter(), {}, str.upper)
        return text._stem(w)

    cache: dict[str, str] = {}
    assert core.stem_count(["oils", "banks"], [["oils", "banks", "taxes"]], Counter(), cache, nested) == (
        ["oil", "bank"], ["tax"])
    assert core.stem_count(["oils"], [], Counter(), cache, nested)[0] == ["oil"]


_STEMS = st.sampled_from(["oil", "crude", "price", "bank", "rate", "the", "opec", "barrel", "x"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_STEMS, max_size=40), st.integers(0, 12), st.lists(_STEMS | st.just("oil price") | st.just("x y"),
                                                                 max_size=4),
       st.lists(_STEMS | st.just("bank rate"), max_size=2), st.dictionaries(_STEMS, st.floats(0.01, 1.0), max_size=6))
def test_fuzzed_cold_features_are_the_same_floats(stems: list[str], n_title: int, keys: list[str], excl: list[str],
                                                  expansion: dict[str, float]) -> None:
    from classifiers.relevance import _py_cold_features

    d = relevance.doc_terms(" ".join(stems[:n_title]), " ".join(stems))
    rank = {t: i for i, t in enumerate(expansion)}
    args = (d.counts, d.title, d.lead, d.joined, d.title_joined, d.n, keys, excl, expansion, rank)
    got, want = _core().cold_features(*args), _py_cold_features(*args)
    assert list(got.items()) == list(want.items())


def test_cold_features_errors() -> None:
    core = _core()
    d = relevance.doc_terms("oil", "oil price")
    with pytest.raises(TypeError):
        core.cold_features(d.counts, d.title, d.lead, d.joined, d.title_joined, d.n, [1], [], {}, {})
    with pytest.raises(ValueError):
        core.cold_features(d.counts, d.title, d.lead, d.joined, d.title_joined, 0, ["oil"], [], {}, {})
    with pytest.raises(TypeError):
        core.cold_features({"oil": "many"}, d.title, d.lead, d.joined, d.title_joined, d.n, ["oil"], [], {}, {})


def _runs_seen(title: str, head: str) -> set[str]:
    """The capitalised runs the core read: the keys it adds to an empty cache."""
    cache: dict[str, tuple[str, str] | None] = {}
    _core().name_tags(title, head, 5, cache, lambda run: None)
    return set(cache)


def test_every_code_point_in_and_around_a_name_run() -> None:
    """Each character inside a capitalised word, between two, and after a connector ("of", "&",
    "de"): the core's runs are ``tags._NAME``'s matches."""
    for lo in range(0, 0x110000, 0x10000):
        s = "".join(f"Ab{c}c D{c}E Fof{c}G H &{c}I J de{c}K " for c in map(chr, range(lo, lo + 0x10000)))
        assert _runs_seen(s, "") == set(tags._NAME.findall(s))


_NAME_CHARS = st.sampled_from([*"ABZaoz09 \t\n&'’-_.,", "of ", "de ", "du ", "& ", "Mr ", "The ", "'s ", "’s ",
                               "Bank", "Boris", "Johnson", "TimeWarner", "Time Warner", "İ", "É", "é", "日", "😀",
                               "\u00a0", "\u2029", "\x00", "\ud800", "\u0307"])


@_FUZZ
@given(st.lists(_NAME_CHARS, max_size=60).map("".join), st.lists(_NAME_CHARS, max_size=120).map("".join),
       st.integers(-1, 6))
def test_fuzzed_name_tags_match(title: str, head: str, k: int) -> None:
    assert _runs_seen(title, head) == set(tags._NAME.findall(title) + tags._NAME.findall(head))
    want = tags._py_name_tags(title, head, k, {}, tags._phrase)
    assert _core().name_tags(title, head, k, {}, tags._phrase) == want


def test_name_tags_hostile_inputs() -> None:
    core = _core()
    long_names = " ".join(f"Name{i % 977} Of{i % 13}" for i in range(20_000))
    for title, head in [("", ""), ("\x00", "\x00A\x00"), ("\ud800A \udfffB", "A\ud800 B"), ("😀Ab 😀Ab", "Ab😀 Ab"),
                        ("A" * 100_000, "B " * 750), (long_names, long_names[:1500]), ("Ab\tCd of\u2029Ef", "Ab Cd")]:
        for k in (0, 5):
            assert core.name_tags(title, head, k, {}, tags._phrase) == tags._py_name_tags(title, head, k, {},
                                                                                             tags._phrase)
    with pytest.raises(TypeError):
        core.name_tags("Ab Cd", "", 5, {}, lambda run: ("only a key",))
    with pytest.raises(TypeError):
        core.name_tags("Ab Cd", "", 5, [], tags._phrase)
    with pytest.raises(ZeroDivisionError):
        core.name_tags("Ab Cd", "", 5, {}, lambda run: 1 / 0)


_STEM_CHARS = st.sampled_from([*"aesxyhcuiz'’", "ies", "ches", "shes", "sses", "xes", "ss", "us", "is", "'s", "’s",
                               "İ", "é", "日", "😀", "\ud800"])


@_FUZZ
@given(st.lists(_STEM_CHARS, max_size=8).map("".join))
def test_fuzzed_stems_match(word: str) -> None:
    """The core's stem of a word the cache has not seen: the pure-Python stemmer's, suffix rules
    and lengths in code points."""
    assert _core().stem(word) == text._py_stem(word)


def test_stem_cases() -> None:
    core = _core()
    for w in ["", "s", "'s", "’s", "is", "axes", "taxes", "boxes", "ies", "pies", "currencies", "currencies's",
              "churches", "dishes", "glasses", "class", "bus", "bonus", "this", "vessels", "sony's", "bank’s",
              "sonys's", "café's", "naïves", "日本s", "😀😀ies", "x" * 10_000 + "ies"]:
        assert core.stem(w) == text._py_stem(w), w
    with pytest.raises(TypeError):
        core.stem(b"bytes")


@_FUZZ
@given(st.lists(st.sampled_from([*"ab z9'’", "İ", "é", "日", "😀", "\ud800"]), max_size=12).map("".join),
       st.integers(1, 6), st.integers(0, 3))
def test_fuzzed_word_grams_match(word: str, lo: int, extra: int) -> None:
    """The core's char n-gram ids of a head word: the pure-Python ones (same ids, same order)."""
    vocab = {g: i for i, g in enumerate([" a", "a ", "ab", " ab", "b ", "9", " z9 ", "日", "😀 ", "é", "İ",
                                         "ab ", " ab ", "'", "’", "a'", "\ud800", "z", " "])}
    want = linear_text._py_word_grams(word, vocab, lo, lo + extra)
    assert _core().word_grams(word, vocab, lo, lo + extra) == want
    assert _core().word_grams(word, vocab, lo, lo + extra, _core().gram_table(vocab)) == want


def test_word_grams_cases() -> None:
    core = _core()
    vocab = {" a": 0, "ab": 7, "b ": 2**31 - 1, " ab ": 3}
    for w, lo, hi in [("ab", 2, 5), ("", 1, 3), ("", 2, 5), ("ab", 5, 2), ("ab" * 500, 2, 5), ("ab", 0, 2)]:
        assert core.word_grams(w, vocab, lo, hi) == linear_text._py_word_grams(w, vocab, lo, hi), (w, lo, hi)
        assert core.word_grams(w, vocab, lo, hi, None) == linear_text._py_word_grams(w, vocab, lo, hi)
    for w, lo, hi in [("ab", 2, 5), ("", 0, 3), ("ab" * 500, 1, 5), ("日😀é", 1, 4)]:  # with the snapshot
        for v in [vocab, {"ab": 1, "ab ": 2, " 日": 3, "😀é ": 4, "": 5, "b": 6}]:
            assert core.word_grams(w, v, lo, hi, core.gram_table(v)) == linear_text._py_word_grams(w, v, lo, hi)
    table = core.gram_table(vocab)
    grown = {**vocab, "b": 9}  # another dict, or the same one grown: the dict is looked up, not the snapshot
    assert core.word_grams("ab", grown, 1, 2, table) == linear_text._py_word_grams("ab", grown, 1, 2)
    vocab["b"] = 9
    assert core.word_grams("ab", vocab, 1, 2, table) == linear_text._py_word_grams("ab", vocab, 1, 2)
    for odd in [{"ab": 2**31}, {"ab": "x"}, {1: 2, "ab": 7}]:  # no usable snapshot: the dict's own errors
        assert core.word_grams("xy", odd, 2, 2, core.gram_table(odd)) == b""
    assert core.word_grams("ab", {1: 2, "ab": 7}, 2, 2, core.gram_table({1: 2, "ab": 7})) == b"\x07\0\0\0"
    with pytest.raises(OverflowError):
        core.word_grams("ab", {"ab": 2**31}, 2, 2)
    with pytest.raises(OverflowError):
        core.word_grams("ab", {"ab": 2**31}, 2, 2, core.gram_table({"ab": 2**31}))
    with pytest.raises(ValueError):
        core.word_grams("ab", vocab, -1, 2)
    with pytest.raises(ValueError):
        linear_text._py_word_grams("ab", vocab, -1, 2)
    with pytest.raises(TypeError):
        core.word_grams("ab", vocab, 2, 2, "not a table")
    with pytest.raises(TypeError):
        core.gram_table(["ab"])
    with pytest.raises(TypeError):
        core.word_grams("ab", {"ab": "x"}, 2, 2)
    with pytest.raises(TypeError):
        core.word_grams("ab", ["ab"], 2, 2)


def test_summary_features_agree(impl: str) -> None:
    sents = ["Shares in the Bank rose 5% on Monday.", "“Rates will rise,” the bank’s chief said.",
             "Oil fell; the bank's shares did not.", "Plain sentence with no overlap at all here."]
    X = summary.sentence_features("Bank shares rise", [(s, i == 0) for i, s in enumerate(sents)])
    assert X[:, 7].tolist() == [2 / 3, 1 / 3, 1 / 3, 0.0]
    assert X[0, 6] > 0 and X[3, 6] == 0.0


def test_pure_python_is_chosen_by_the_environment() -> None:
    code = ("from classifiers import _fast, text, summary; "
            "print(_fast.COMPILED, text.tokens is text._py_tokens, summary._word_stats is summary._py_word_stats)")
    env = {**os.environ, "SIGNALS_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "True", "True"], out.stderr


_ARTICLES = [
    ("Nvidia’s chip sales jump 50%", "Nvidia’s revenue rose to $3.2bn. Mr. Huang said: “We’re sold out.”\n\n"
     "Analysts at J.P. Morgan expect £1.5bn more. The U.S. firm's shares hit a record."),
    ("Ã©tÃ© mojibake title", "Ã©tÃ© and naÃ¯ve text. Ça va? Oui! Straße, İstanbul, \u212aelvin.\n" * 3),
    ("", ""), ("Numbers only", "1 2 3. 4,000,000 dlrs. 5.5 mln stg! 7'8\" tall?"),
    ("Long", ("The central bank raised interest rates again. Oil prices fell sharply on Tuesday. " * 300)),
    ("Punctuation", "!!! ??? ... '' ’’ -- (( )) [] ; : , \x01 \x00 end."),
    ("日本 news 😀", "東京 markets rose. Sony's shares jumped 3% in Tokyo; the yen fell.\n“Quote” here."),
]


def test_classify_output_is_identical_with_and_without_the_core(tmp_path: Path) -> None:
    _core()
    cfg = tmp_path / "t.yaml"
    cfg.write_text("sources: []\ntopics:\n  rates:\n    keywords: [interest rate, central bank]\n"
                   "  chips:\n    keywords: [nvidia, chip]\nchannels:\n  - name: c\n    console: true\n")
    stdin = "".join(json.dumps({"id": i, "title": t, "text": x}) + "\n" for i, (t, x) in enumerate(_ARTICLES))
    outs = []
    for pure in ("1", ""):
        env = {**os.environ, "SIGNALS_PURE_PYTHON": pure}
        p = subprocess.run([sys.executable, "-m", "bot", "classify", "--explain", "--config", str(cfg)],
                           input=stdin, env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout)
    assert outs[0] == outs[1] and outs[0].count("\n") == len(_ARTICLES)
