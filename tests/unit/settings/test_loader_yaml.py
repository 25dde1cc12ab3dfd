"""YAML a person might write: empty values, repeated keys, typos, tags, a BOM, merge keys.

Each must load or fail with ``file:line: key: message``, never with a raw PyYAML traceback
(which also stopped the hot-reload job from saying where the problem was).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings

BASE = """\
topics:
  ai:
    keywords: [nvidia]
channels:
  - name: news
    console: true
    min_importance: 5
"""


def load(tmp_path: Path, text: str | bytes) -> object:
    p = tmp_path / "signals.yaml"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return load_settings(p)


def problems(tmp_path: Path, text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    assert all(i.file.endswith("signals.yaml") for i in err.value.issues)
    return [(i.line, i.key, i.message) for i in err.value.issues]


def test_an_empty_value_is_a_config_error_with_its_line(tmp_path: Path) -> None:
    # ``ai:`` with nothing under it (a half-finished edit) crashed with yaml ParserError
    (issue,) = problems(tmp_path, BASE.replace("    keywords: [nvidia]\n", ""))
    assert issue[:2] == (2, "topics.ai") and "the value is empty" in issue[2]
    (issue,) = problems(tmp_path, BASE + "watchlist:\n")
    assert issue[:2] == (8, "watchlist") and "the value is empty" in issue[2]
    assert load(tmp_path, BASE + "database_url:\n").database_url is None  # type: ignore[attr-defined]


def test_repeated_keys_are_reported_with_both_lines(tmp_path: Path) -> None:
    # the second ``min_importance`` silently won; a second ``topics:`` dropped the first block
    (issue,) = problems(tmp_path, BASE + "    min_importance: 8\n")
    assert issue[:2] == (8, "channels[0].min_importance") and "line 7" in issue[2]
    (issue,) = problems(tmp_path, BASE + "topics:\n  space:\n    keywords: [nasa]\n")
    assert issue[:2] == (8, "topics") and "line 1" in issue[2]


def test_a_misspelt_key_suggests_the_right_one(tmp_path: Path) -> None:
    (issue,) = problems(tmp_path, BASE.replace("keywords: [nvidia]", "keywords: [nvidia]\n    treshold: 0.7"))
    assert issue[:2] == (4, "topics.ai.treshold") and "did you mean “threshold”" in issue[2]
    (issue,) = problems(tmp_path, BASE.replace("min_importance", "min_importnace"))
    assert issue[:2] == (7, "channels[0].min_importnace") and "did you mean “min_importance”" in issue[2]
    (issue,) = problems(tmp_path, BASE + "zzz: 1\n")
    assert issue[2] == "unknown key (check its spelling and indentation)"


def test_python_and_unknown_tags_are_refused_with_a_line(tmp_path: Path) -> None:
    (issue,) = problems(tmp_path, BASE + "watchlist: !!python/object/apply:os.system [id]\n")
    assert issue[0] == 8 and "invalid YAML" in issue[2]
    (issue,) = problems(tmp_path, BASE.replace("[nvidia]", "!secret nvidia"))
    assert issue[0] == 3 and "invalid YAML" in issue[2]


def test_a_complex_key_is_refused_with_a_line(tmp_path: Path) -> None:
    (issue,) = problems(tmp_path, BASE + "? [a, b]\n: 1\n")
    assert issue[0] == 8 and "key" in issue[2]


def test_bom_tabs_and_merge_keys(tmp_path: Path) -> None:
    assert load(tmp_path, b"\xef\xbb\xbf" + BASE.encode()).channels[0].min_importance == 5  # type: ignore[attr-defined]
    (issue,) = problems(tmp_path, BASE.replace("    keywords", "\tkeywords"))
    assert issue[0] == 3 and "tab" in issue[2].lower()
    merged = BASE.replace("channels:\n", "channels:\n  - &base\n    name: first\n    console: true\n"
                                        "    min_importance: 7\n  - <<: *base\n    name: second\n", 1)
    s = load(tmp_path, merged)
    assert [(c.name, c.min_importance) for c in s.channels] == [  # type: ignore[attr-defined]
        ("first", 7), ("second", 7), ("news", 5)]
