"""``impl``: run a test once on the pure-Python hot paths and once on the compiled core.

``classifiers._fast`` binds one implementation per hot path at import; this fixture rebinds every
module-level name that holds one, so a test sees exactly one implementation end to end. The
compiled run is skipped (with the reason) only when the core was not built on this machine.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest

from classifiers import events, linear_text, relevance, sentences, summary, tags, text


def core_module() -> ModuleType | None:
    try:
        return importlib.import_module("classifiers._core")
    except ImportError:
        return None


def _bindings(impl: str) -> dict[tuple[ModuleType, str], object]:
    if impl == "pure":
        tok, lines, stats, words = (text._py_tokens, text._py_line_tokens, summary._py_word_stats,
                                    linear_text._py_word_tokens)
        marks, ends, names = summary._py_sentence_marks, sentences._py_mark_ends, tags._py_name_tags
        stem_count, cold, split = text._py_stem_count, relevance._py_cold_features, sentences._py_split_text
        stem, grams, gram_table = text._py_stem, linear_text._py_word_grams, linear_text._py_gram_table
    else:
        core = core_module()
        if core is None:
            pytest.skip("the compiled core (classifiers._core) is not built here")
        tok, lines, stats, words = core.tokens, core.line_tokens, core.word_stats, core.plain_tokens
        marks, ends, names = core.sentence_marks, core.mark_ends, core.name_tags
        stem_count, cold, split = core.stem_count, core.cold_features, core.split_text
        stem, grams, gram_table = core.stem, core.word_grams, core.gram_table
    return {(text, "tokens"): tok, (text, "_line_tokens"): lines, (sentences, "_mark_ends"): ends,
            (text, "_stem_count"): stem_count, (relevance, "_cold_features"): cold, (sentences, "_split_text"): split,
            (summary, "tokens"): tok, (summary, "_word_stats"): stats, (summary, "_sentence_marks"): marks, (tags, "tokens"): tok,
            (tags, "_name_tags"): names,
            (relevance, "tokens"): tok, (events, "tokens"): tok, (linear_text, "_word_tokens"): words,
            (text, "_stem"): stem, (linear_text, "_word_grams"): grams, (linear_text, "_gram_table"): gram_table}


@pytest.fixture(params=["pure", "compiled"])
def impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for (module, name), fn in _bindings(request.param).items():
        monkeypatch.setattr(module, name, fn)
    yield request.param
