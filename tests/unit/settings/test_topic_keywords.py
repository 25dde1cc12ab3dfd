"""A topic's keywords, exclude words and examples the topic model cannot use are config errors
with file:line, not a topic that silently never matches (or always vetoes itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings

CHANNELS = """\
channels:
  - name: news
    console: true
"""


def problems(tmp_path: Path, topics: str) -> list[tuple[int | None, str, str]]:
    p = tmp_path / "signals.yaml"
    p.write_text("topics:\n" + topics + CHANNELS)
    with pytest.raises(ConfigError) as err:
        load_settings(p)
    assert all(i.file.endswith("signals.yaml") for i in err.value.issues)
    return [(i.line, i.key, i.message) for i in err.value.issues]


def test_keywords_the_model_cannot_read_are_errors_with_their_line(tmp_path: Path) -> None:
    issues = problems(tmp_path, """\
  ai:
    keywords:
      - nvidia
      - ""
      - "нефть"
      - "/gpu|tpu/"
      - "!!!"
""")
    assert [(line, key) for line, key, _ in issues] == [
        (5, "topics.ai.keywords[1]"), (6, "topics.ai.keywords[2]"), (7, "topics.ai.keywords[3]"),
        (8, "topics.ai.keywords[4]")]
    assert "empty" in issues[0][2]
    assert "a-z" in issues[1][2] and "нефть" in issues[1][2]  # the model reads English words only
    assert "regex" in issues[2][2] and "include" in issues[2][2]  # regexes belong to a channel's include/exclude
    assert "a-z" in issues[3][2]


def test_a_repeated_keyword_and_a_keyword_also_excluded_are_errors(tmp_path: Path) -> None:
    issues = problems(tmp_path, """\
  ai:
    keywords: [gpu, nvidia, GPU, "AI  chip", ai chip]
    exclude: [gaming, Nvidia]
""")
    assert [(line, key) for line, key, _ in issues] == [
        (3, "topics.ai.keywords[2]"), (3, "topics.ai.keywords[4]"), (4, "topics.ai.exclude[1]")]
    assert "“gpu”" in issues[0][2] and "repeat" in issues[0][2]
    assert "keywords" in issues[2][2]  # excluded and a keyword: every story with it would be vetoed


def test_an_example_may_be_a_text_or_a_url(tmp_path: Path) -> None:
    """Examples are "a few texts or URLs": a URL's page is fetched by the bot
    (tests/scenario/test_topic_examples.py), so it is no config error."""
    p = tmp_path / "signals.yaml"
    p.write_text("topics:\n  ai:\n    keywords: [nvidia]\n    examples:\n"
                 "      - Nvidia's new GPU doubles training speed for large language models.\n"
                 "      - https://example.com/nvidia-gpu-story\n" + CHANNELS)
    assert load_settings(p).topics["ai"].examples[1] == "https://example.com/nvidia-gpu-story"


def test_phrases_hyphens_and_accented_words_are_fine(tmp_path: Path) -> None:
    p = tmp_path / "signals.yaml"
    p.write_text("topics:\n  ai:\n    keywords: [ai chip, zero-day, Zürich, C++, 5G]\n    exclude: [gaming]\n"
                 "    examples: ['Nvidia ships chips']\n" + CHANNELS)
    assert load_settings(p).topics["ai"].keywords == ["ai chip", "zero-day", "Zürich", "C++", "5G"]


def test_the_check_reads_keywords_with_the_topic_models_tokeniser() -> None:
    from bot.settings import topics
    from classifiers import text

    assert topics._TOKEN.pattern == text._TOKEN.pattern
