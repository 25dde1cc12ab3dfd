"""What people type: story ids in another case or with SQL wildcards, possessives in searches,
thresholds written as shown in alerts (``7/10``), topic names in another case."""

from __future__ import annotations

import pytest

from bot.commands import CommandService, Invocation
from bot.settings import Settings
from bot.store import Store

from .conftest import NOW, add_story


def ask(settings: Settings, store: Store, text: str, channel: str = "C1") -> str:
    r = CommandService(settings, store, clock=lambda: NOW).run(
        Invocation(text=text, user="U1", platform="slack", platform_channel=channel))
    return ("ERROR " if r.error else "") + r.text


@pytest.fixture
def lone(store_url: str) -> Store:
    """A store (SQLite and PostgreSQL) holding one story with a real-looking id."""
    s = Store.open(store_url)
    add_story(s, "s3f2a9c0d11e4b7a8", "Nvidia quarter beats estimates", 8.2, ["ai"],
              "Nvidia revenue rose on demand for AI chips")
    add_story(s, "s-other", "TSMC opens Arizona fab", 6.0, ["chips"])
    yield s
    s.close()


def test_why_takes_an_id_prefix_in_any_case_but_no_wildcards(settings: Settings, lone: Store) -> None:
    assert "Nvidia quarter" in ask(settings, lone, "why s3f2a9")
    assert "Nvidia quarter" in ask(settings, lone, "why S3F2A9C0")  # PostgreSQL: "No story"
    for pattern in ("s3f%", "s_f2", "%%%%", "s3f2a9c0d11e4b7a_"):  # SQL LIKE wildcards matched any story
        assert ask(settings, lone, f"why {pattern}") == f"ERROR No story with id “{pattern}”."


def test_a_possessive_in_a_search_finds_the_name(settings: Settings, lone: Store) -> None:
    for query in ("nvidia's revenue", "Nvidia’s revenue", "nvidia revenue"):  # SQLite: no match for the first two
        assert "Nvidia quarter beats estimates" in ask(settings, lone, f"search {query}"), query


def test_threshold_written_as_alerts_show_it(settings: Settings, store: Store) -> None:
    assert "now alerts on importance ≥ 7/10" in ask(settings, store, "threshold 7/10")
    assert "now alerts on importance ≥ 7.5/10" in ask(settings, store, "threshold 7,5")
    for bad in ("abc", "-1", "11", "7/5", "nan", "inf"):
        reply = ask(settings, store, f"threshold {bad}")
        assert reply.startswith("ERROR ") and f"“{bad}”" in reply and "between 0 and 10" in reply, bad


def test_topics_match_whatever_the_case(settings: Settings, store: Store) -> None:
    assert "now follows chips" in ask(settings, store, "subscribe CHIPS")
    assert "already follows chips" in ask(settings, store, "Subscribe Chips")
    assert "Top stories, last 24h · ai" in ask(settings, store, "top AI")
    assert "space is muted" in ask(settings, store, "mute Space")
    assert ask(settings, store, "subscribe nope").startswith("ERROR Unknown topic “nope”")


def test_typographic_quotes_group_words_like_straight_ones(settings: Settings, store: Store) -> None:
    """Phones and macOS turn "x" into “x”: the quotes stayed part of the topic name."""
    assert "now follows chips" in ask(settings, store, "subscribe “chips”")
    assert "now follows space" in ask(settings, store, "subscribe ‘space’")
    assert "Nvidia beats earnings estimates" in ask(settings, store, "why “s-nvidia-1”")


def test_words_with_hyphens_or_dots_are_found_on_both_databases(settings: Settings, store_url: str) -> None:
    """PostgreSQL indexes "GPT-4" as gpt-4, gpt and -4, and "U.S." as u.s; the search split them
    into gpt & 4, u & s, so on PostgreSQL "search GPT-4", "covid-19" or "U.S. tariffs" found
    nothing while SQLite found the article."""
    s = Store.open(store_url)
    try:
        add_story(s, "s-gpt", "OpenAI ships GPT-4 update as U.S. tariffs bite", 7.0, ["ai"],
                  "The covid-19 era demand for Wi-Fi chips faded.")
        for query in ("GPT-4", "gpt-4 update", "covid-19", "U.S. tariffs", "Wi-Fi", "openai's gpt-4"):
            assert "OpenAI ships GPT-4" in ask(settings, s, f"search {query}"), query
        assert "No stored article" in ask(settings, s, "search GPT-5")
    finally:
        s.close()


def test_an_unknown_topic_suggests_the_one_meant(settings: Settings, store: Store) -> None:
    """A typo got "Unknown topic" and the whole list; with many topics the one meant was hard to spot."""
    for text in ("subscribe chps", "unsubscribe chipz", "mute spcae", "top 7d Chipss"):
        reply = ask(settings, store, text)
        assert reply.startswith("ERROR Unknown topic") and ("Did you mean chips?" in reply
                                                            or "Did you mean space?" in reply), reply
    assert "Did you mean" not in ask(settings, store, "subscribe zzzz")


def test_a_search_with_more_matches_than_shown_says_so(settings: Settings, store: Store) -> None:
    """"5 results for “nvidia”" read as if five articles matched when 12 did; the answer now says
    that more match, and how to narrow it."""
    for i in range(12):
        add_story(store, f"s-more-{i}", f"Nvidia item {i}", 5.0, ["ai"])
    many = ask(settings, store, "search nvidia item")
    assert many.startswith("First 5 results for “nvidia item” (more match: add words to narrow it):"), many
    few = ask(settings, store, "search tsmc arizona")
    assert few.startswith("1 result for “tsmc arizona”:"), few


def test_a_settings_command_in_a_direct_message_says_to_run_it_in_the_channel(settings: Settings,
                                                                                store: Store) -> None:
    """In a DM the answer told the user to add the DM to the config under ``channels:``."""
    for platform, channel, workspace in (("slack", "D0123", "T1"), ("discord", "555", None)):
        r = CommandService(settings, store, clock=lambda: NOW).run(Invocation(
            text="threshold 7", user="U1", platform=platform, platform_channel=channel, workspace=workspace))
        assert r.error and "direct message" in r.text and "in the channel" in r.text and "channels:" not in r.text


def test_listed_stories_show_the_badge_rounded_half_up(settings: Settings, store: Store) -> None:
    """round() goes half to even: a 6.5 story was listed as 6/10 and a 7.5 one as 8/10."""
    add_story(store, "s-half-a", "Nvidia half story", 6.5, ["ai"], scores={"explanation": {"importance": [
        ["n_sources", 6.5]]}})
    add_story(store, "s-half-b", "Nvidia other half", 7.5, ["ai"])
    top = ask(settings, store, "top 24h")
    assert "7/10 Nvidia half story" in top and "8/10 Nvidia other half" in top, top
    assert "= 6.50 → 7/10" in ask(settings, store, "why s-half-a")
    r = CommandService(settings, store, clock=lambda: NOW).run(
        Invocation(text="top 24h", user="U1", platform="slack", platform_channel="C1"))
    assert {s.context.split(" · ")[0] for s in r.sections if s.title.startswith("Nvidia")} >= {"7/10", "8/10"}
    assert any(s.context.startswith("7/10 · Industry") for s in r.sections if s.title == "Nvidia half story")
