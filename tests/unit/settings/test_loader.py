"""Config errors name the file, the line and the key; secrets come from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ConfigError
from bot.settings import load_settings, parse_duration

GOOD = """\
sources:
  - name: Example Tech
    url: https://example.com/feed.xml
    every: 15m
    weight: 1.0
topics:
  ai-chips:
    keywords: [trainium, nvidia, gpu, accelerator]
    exclude: [gaming]
channels:
  - name: ai-infra
    console: true
    topics: [ai-chips]
    min_importance: 6
"""


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_issue_example_loads(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, GOOD))
    assert s.sources[0].every == timedelta(minutes=15)
    assert s.topics["ai-chips"].exclude == ["gaming"]
    assert s.rules(s.channels[0]).min_importance == 6


def test_bad_value_names_file_line_and_key(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD.replace("min_importance: 6", "min_importance: eleven"), "broken.yaml")
    with pytest.raises(ConfigError) as err:
        load_settings(p)
    (issue,) = err.value.issues
    assert issue.file.endswith("broken.yaml") and issue.line == 14 and issue.key == "channels[0].min_importance"
    assert "eleven" in str(issue)


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = GOOD.replace("every: 15m", "every: often").replace("topics: [ai-chips]", "topics: [ai-chip]")
    text = text.replace("url: https://example.com/feed.xml", "url: ftp://example.com/feed.xml")
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    keys = {i.key: i.line for i in err.value.issues}
    assert keys["sources[0].every"] == 4
    assert keys["sources[0].url"] == 3


def test_unknown_topic_reference_points_at_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, GOOD.replace("topics: [ai-chips]", "topics: [ai-chip]")))
    (issue,) = err.value.issues
    assert issue.line == 13 and "unknown topic 'ai-chip'" in issue.message


def test_unknown_source_names_are_reported_under_defaults_and_channels(tmp_path: Path) -> None:
    """``defaults: {sources: [...]}`` was not checked: a misspelt name there silently emptied every
    channel that inherits it (a source filter no article passes)."""
    text = GOOD.replace("channels:\n", "defaults:\n  sources: [Example Tech, Exampel Tech]\nchannels:\n")
    text += "    exclude_sources: [Nowhere]\n"
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    issues = {i.key: i for i in err.value.issues}
    assert set(issues) == {"defaults.sources[1]", "channels[0].exclude_sources[0]"}
    assert issues["defaults.sources[1]"].line == 11
    assert "unknown source 'Exampel Tech'" in issues["defaults.sources[1]"].message
    assert "did you mean 'Example Tech'" in issues["defaults.sources[1]"].message
    assert issues["channels[0].exclude_sources[0]"].line == 17


def test_unknown_key_and_yaml_syntax(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, GOOD.replace("    weight: 1.0", "    wieght: 1.0")))
    assert err.value.issues[0].line == 5 and "unknown key" in err.value.issues[0].message
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, "sources: [\n  - bad"))
    assert err.value.issues[0].line is not None and "invalid YAML" in err.value.issues[0].message


def test_secrets_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = GOOD.replace("console: true", "webhook: ${HOOK_URL}")
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    assert "HOOK_URL is not set" in str(err.value) and err.value.issues[0].line == 12
    monkeypatch.setenv("HOOK_URL", "https://hooks.example/abc")
    assert load_settings(write(tmp_path, text)).channels[0].webhook == "https://hooks.example/abc"


@pytest.mark.parametrize(("key", "url"), [("webhook", "hooks.example/abc"), ("webhook", "http://[::1/hook"),
                                           ("discord_webhook", "discord.com/api/webhooks/1/x"),
                                           ("webhook", "https://hooks.example/a b")])
def test_webhook_urls_are_checked_at_load_time_without_echoing_them(tmp_path: Path, key: str, url: str) -> None:
    """Not at the first alert (a retry loop, or a crash on ``http://[::1``); webhook URLs hold secrets."""
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, GOOD.replace("console: true", f"{key}: '{url}'")))
    (issue,) = err.value.issues
    assert issue.line == 12 and issue.key == f"channels[0].{key}" and "http:// or https:// URL" in issue.message
    assert url not in str(err.value)


def test_channel_needs_a_destination(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, GOOD.replace("    console: true\n", "")))
    assert "destination" in str(err.value)


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("72h") == timedelta(hours=72)
    assert parse_duration(30) == timedelta(seconds=30)
    with pytest.raises(ValueError):
        parse_duration("soon")


@pytest.mark.parametrize(("edit", "key", "line"), [
    ("every: 0", "sources[0].every", 4), ("every: 15m\n    min_every: 0s", "sources[0].min_every", 5),
    ("every: 15m\n    max_every: 2s", "sources[0].max_every", 5)])
def test_poll_intervals_under_ten_seconds_are_refused(tmp_path: Path, edit: str, key: str, line: int) -> None:
    """``every: 0`` (a YAML slip) was accepted: the source was polled every second, and a
    ``max_every`` of 0 made adaptive polling (and a paused source's retries) do the same."""
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, GOOD.replace("every: 15m", edit)))
    (issue,) = err.value.issues
    assert (issue.key, issue.line) == (key, line) and "at least 10s between polls" in str(issue)
    with pytest.raises(ConfigError, match=r"fetch\.max_every: at least 10s"):
        load_settings(write(tmp_path, GOOD + "fetch:\n  max_every: 0\n"))


def test_cli_config_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(write(tmp_path, GOOD))]) == 0
    bad = write(tmp_path, GOOD.replace("min_importance: 6", "min_importance: eleven"), "broken.yaml")
    assert main(["config", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "broken.yaml:14" in err and "min_importance" in err
    assert main(["run", "--once", "--config", str(bad)]) == 2


def test_shipped_configs_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(__file__).resolve().parents[3]
    monkeypatch.setenv("SIGNALS_DEMO_PORT", "8080")
    for name in ("signals.yaml", "demo.yaml"):
        if (root / "config" / name).exists():
            load_settings(root / "config" / name)


DIGEST = GOOD + "    digest:\n      schedule: \"{schedule}\"\n"


@pytest.mark.parametrize(("schedule", "why"), [
    ("0 9 * * MON-FRY", "FRY"), ("0 9 * * 8", "8"), ("0 9 * * MONDAY", "MONDAY"),
    ("0 9 31 2 *", "never fires")])
def test_digest_schedule_weekday_is_checked_at_load_time(tmp_path: Path, schedule: str, why: str) -> None:
    """The weekday field was not checked: ``MON-FRY`` loaded, then every digest run failed and
    the first story over a cap crashed the routing of its whole batch (again each cycle)."""
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, DIGEST.format(schedule=schedule)))
    (issue,) = err.value.issues
    assert (issue.key, issue.line) == ("channels[0].digest.schedule", 16) and why in str(issue)


@pytest.mark.parametrize("schedule", ["0 9 * * MON-FRI", "0 9 * * 0", "0 9 * * 7", "30 8 * * 1-5", "0 9 29 2 *"])
def test_digest_schedules_that_cron_reads_load(tmp_path: Path, schedule: str) -> None:
    s = load_settings(write(tmp_path, DIGEST.format(schedule=schedule)))
    assert s.channels[0].digest is not None and s.channels[0].digest.schedule == schedule


def test_category_event_and_default_topic_names_no_story_has_are_errors(tmp_path: Path) -> None:
    """Rules compare names exactly: ``categories: [tech]`` (the badge says Tech) matched no story, so
    the channel silently got nothing; likewise an event or a topic under ``defaults:`` misspelt."""
    p = tmp_path / "signals.yaml"
    p.write_text("topics:\n  ai:\n    keywords: [nvidia]\n"
                 "defaults:\n  topics: [ai, a1]\n  exclude_events: [layoff]\n"
                 "channels:\n  - name: news\n    console: true\n    categories: [tech, Funding & M&A]\n"
                 "    events: [acquisition, product-launch]\n")
    with pytest.raises(ConfigError) as err:
        load_settings(p)
    got = [(i.line, i.key, i.message) for i in err.value.issues]
    assert [(line, key) for line, key, _ in got] == [
        (5, "defaults.topics[1]"), (6, "defaults.exclude_events[0]"), (10, "channels[0].categories[0]"),
        (11, "channels[0].events[1]")]
    assert "did you mean 'Tech'?" in got[2][2] and "did you mean 'layoffs'?" in got[1][2]
    assert "did you mean 'product_launch'?" in got[3][2]


def test_the_configs_label_lists_are_the_classifiers() -> None:
    from bot.settings.labels import CATEGORIES, EVENTS
    from classifiers.events import CATEGORY_BY_DOMAIN, CATEGORY_BY_EVENT
    from classifiers.types import EVENTS as MODEL_EVENTS

    assert set(CATEGORIES) == set(CATEGORY_BY_EVENT.values()) | set(CATEGORY_BY_DOMAIN.values())
    assert tuple(MODEL_EVENTS) == EVENTS
