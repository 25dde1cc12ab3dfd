"""The mistakes a new user makes in their first config, as ``signals config check`` reports them.

Each must say what is wrong, where (file:line: key) and what to do, and only that: a knock-on
error beside the real one sends the reader after a problem they do not have.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

BASE = """\
sources:
  - name: Ars
    url: https://feeds.arstechnica.com/arstechnica/index
topics:
  chips:
    keywords: [nvidia]
channels:
  - name: ai
"""


def check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    code = main(["config", "check", str(path)])
    out = capsys.readouterr()
    return code, out.err + out.out


@pytest.mark.parametrize("value", ['"#news"', "news", "ai-news"])
def test_a_slack_channel_given_by_name_says_to_use_its_id(tmp_path: Path, value: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """``slack: "#news"`` loaded, and every post then failed with Slack's channel_not_found (or went
    to a channel the reconciliation could not read back): the config takes the channel's id."""
    code, text = check(tmp_path, BASE + f"    slack: {value}\n", capsys)
    assert code == 2
    assert "c.yaml:9: channels[0].slack:" in text
    assert "channel id" in text and "C0123ABCD" in text and "channel details" in text


def test_a_discord_channel_id_must_be_a_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = check(tmp_path, BASE + "    discord: general\n", capsys)
    assert code == 2
    assert "c.yaml:9: channels[0].discord:" in text
    assert "Copy Channel ID" in text and "Developer Mode" in text


def test_slack_and_discord_ids_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = check(tmp_path, BASE + "    slack: C0123ABCD\n  - name: d\n    discord: 1234567890123\n", capsys)
    assert code == 0, text


@pytest.mark.parametrize(("written", "meant"), [("1h30", "1h30m"), ("1d12", "1d12h"), ("15 mn", None),
                                               ("soon", None)])
def test_a_duration_not_written_as_the_config_reads_it_says_how_to_write_it(
        tmp_path: Path, written: str, meant: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    """The message named the value twice ('got '1h30' (got '1h30')') and not the form to use."""
    text = BASE.replace("index\n", f"index\n    every: {written}\n") + "    console: true\n"
    code, out = check(tmp_path, text, capsys)
    assert code == 2
    assert "c.yaml:4: sources[0].every: expected a duration such as 30s, 15m, 2h, 7d or 1h30m" in out
    assert out.count(repr(written)) == 1
    if meant:
        assert f"write {meant}" in out


@pytest.mark.parametrize(("written", "seconds"), [("1h30m", 5400), ("2h 15m", 8100), ("15 minutes", 900),
                                                  ("1 hour", 3600), ("2 days", 172800), ("1d12h", 129600)])
def test_durations_a_person_writes_are_read(written: str, seconds: int) -> None:
    """'15 minutes' and '1h30m' were refused: a demanding user writes them and means the obvious."""
    from bot.settings import parse_duration

    assert parse_duration(written).total_seconds() == seconds


def test_two_channels_with_one_name_point_at_the_second(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The error was 'c.yaml:1: channel names must be unique', at the file's first line."""
    code, text = check(tmp_path, BASE + "    console: true\n  - name: ai\n    console: true\n", capsys)
    assert code == 2
    assert "c.yaml:10: channels[1].name: another channel is already named 'ai' (line 8)" in text
    assert "c.yaml:1:" not in text


def test_two_sources_with_one_name_point_at_the_second(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = BASE.replace("topics:", "  - name: Ars\n    url: https://example.com/feed\ntopics:") + "    console: true\n"
    code, out = check(tmp_path, text, capsys)
    assert code == 2
    assert "c.yaml:4: sources[1].name: another source is already named 'Ars' (line 2)" in out


def test_an_unset_variable_is_the_only_problem_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """``slack: ${SLACK_CHANNEL}`` unset also gave 'a channel needs a destination', which it has."""
    monkeypatch.delenv("SLACK_CHANNEL", raising=False)
    code, text = check(tmp_path, BASE + "    slack: ${SLACK_CHANNEL}\n", capsys)
    assert code == 2
    assert "1 problem found" in text
    assert "c.yaml:9: channels[0].slack: environment variable SLACK_CHANNEL is not set" in text
    assert "export SLACK_CHANNEL=" in text and "${SLACK_CHANNEL:-" in text


def test_a_key_indented_too_far_says_to_check_the_indentation(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, text = check(tmp_path, BASE + "    console: true\n     min_importance: 5\n", capsys)
    assert code == 2
    assert "c.yaml:10: invalid YAML:" in text and "check this line's indentation" in text


def test_a_topic_without_keywords_says_what_to_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = check(tmp_path, BASE.replace("keywords: [nvidia]", "threshold: 0.5") + "    console: true\n",
                       capsys)
    assert code == 2
    assert "c.yaml:5: topics.chips.keywords:" in text and "keywords: [" in text
    assert "Field required" not in text


def test_quiet_hours_without_a_timezone_are_said_to_be_read_in_utc(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """'quiet_hours: 22:00-07:00' with no timezone anywhere is UTC: a team in New York got alerts
    from 17:00 held and 02:00 ones posted, and config check said 'ok'. It is valid (UTC may be
    meant), so a note, with the exit code unchanged."""
    code, text = check(tmp_path, BASE + "    console: true\n    quiet_hours: 22:00-07:00\n", capsys)
    assert code == 0
    assert "note: " in text and "c.yaml:10: channels[0].quiet_hours: read in UTC" in text and "timezone:" in text
    code, text = check(tmp_path, "timezone: America/New_York\n" + BASE + "    console: true\n"
                       "    quiet_hours: 22:00-07:00\n", capsys)
    assert code == 0 and "note" not in text
    code, text = check(tmp_path, BASE + "    console: true\n    timezone: UTC\n    quiet_hours: 22:00-07:00\n",
                       capsys)
    assert code == 0 and "note" not in text


@pytest.mark.parametrize("url", ["https://arstechnica.com/", "https://www.theverge.com", "https://example.com/index.html"])
def test_a_source_url_that_is_a_home_page_gets_a_note(tmp_path: Path, url: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A site's home page as a source passed config check; the first poll then failed ('got an
    HTML page ...'), minutes later in a log. The check reads no network, so the address's form
    is what it can go on: a note naming the command that finds the feed."""
    text = BASE.replace("https://feeds.arstechnica.com/arstechnica/index", url) + "    console: true\n"
    code, out = check(tmp_path, text, capsys)
    assert code == 0
    assert "note: " in out and "c.yaml:3: sources[0].url:" in out and f"signals sources discover {url}" in out


def test_a_feed_url_gets_no_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(tmp_path, BASE + "    console: true\n", capsys)
    assert code == 0 and "note" not in out


def test_a_list_written_as_a_string_says_how_to_write_the_list(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """'keywords: nvidia, gpu' gave pydantic's 'Input should be a valid list'."""
    text = BASE.replace("keywords: [nvidia]", "keywords: nvidia, ai chip") + "    console: true\n    topics: chips\n"
    code, out = check(tmp_path, text, capsys)
    assert code == 2
    assert "c.yaml:6: topics.chips.keywords: expected a list: write keywords: [nvidia, ai chip]" in out
    assert "c.yaml:10: channels[0].topics: expected a list: write topics: [chips]" in out
    assert "Input should be" not in out


def test_a_missing_config_file_says_where_to_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["config", "check", str(tmp_path / "team.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and "file not found" in err and "cp config/signals.yaml" in err
