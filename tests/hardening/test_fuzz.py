"""Property-based fuzzing of everything feed text passes through: parser → cleaner → both renderers.

Properties, for random and mutated real feeds (the bundled demo feeds, damaged):

* the parser either returns entries or raises :class:`FeedParseError` — nothing else;
* every string it returns, and every cleaned article, is valid Unicode (encodable as
  UTF-8, which the database, hashing and chat APIs need), single-line titles of at most
  ``MAX_TITLE`` characters with no control, zero-width or bidi-override characters;
* Slack Block Kit and Discord embeds stay inside every platform limit and carry no
  mention, link or markup syntax built from feed text.

Example counts are modest and the profile is derandomized and database-less (see
:mod:`tests.hardening.hostile`), so this file runs in seconds and identically everywhere.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.adapters.discord.embeds import alert_payload, fit_embeds, render_followup_note
from bot.adapters.slack.blocks import render, render_alert
from bot.errors import FeedParseError
from bot.ingest import clean_entry, parse_feed
from bot.ingest.cleaner import MAX_TITLE
from bot.models import Alert, AlertKind, RawEntry, SourceRef
from tests.hardening.hostile import (
    FEW,
    FUZZ,
    INJECTIONS,
    NOW,
    alerts,
    any_text,
    check_discord,
    check_slack,
    demo_feeds,
    hostile_text,
    mutated_feed,
    rss,
    urls,
)

_BAD_IN_TITLE = re.compile(r"[\x00-\x1f\x7f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")
_BAD_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _parse(body: bytes, content_type: str | None = None) -> list[RawEntry]:
    try:
        feed = parse_feed(body, "Fuzz", url="https://fuzz.example/feed", content_type=content_type)
    except FeedParseError as exc:
        assert str(exc).startswith("Fuzz: ")
        return []
    for e in feed.entries:
        for value in (e.guid, e.url, e.title, e.summary, e.content, e.author or ""):
            assert isinstance(value, str)
            value.encode("utf-8")
    return feed.entries


def _check_article(entry: RawEntry) -> Alert:
    art = clean_entry(entry, "Fuzz", NOW)
    for value in (art.title, art.text, art.url, art.canonical_url, art.guid):
        value.encode("utf-8")
    assert len(art.title) <= MAX_TITLE and "\n" not in art.title
    assert not _BAD_IN_TITLE.search(art.title), repr(art.title)
    assert not _BAD_IN_TEXT.search(art.text), repr(art.text[:300])  # no terminal escapes for the console either
    return Alert(kind=AlertKind.ALERT, channel="news", story_id="s1", title=art.title, url=art.canonical_url or art.url,
                 importance=7, category="Industry", summary=art.text.split("\n")[:3],
                 sources=[SourceRef("Fuzz", art.url)], published_at=art.published_at)


def _render_both(alert: Alert) -> None:
    check_slack(*render(alert))
    check_discord(alert_payload(alert, "alert:s1:news"))


def test_demo_feeds_are_the_seed_corpus() -> None:
    feeds = demo_feeds()
    assert len(feeds) >= 5
    for body in feeds.values():
        entries = _parse(body)
        assert entries
        for e in entries:
            _render_both(_check_article(e))


@FUZZ
@given(mutated_feed())
def test_mutated_demo_feeds_parse_clean_and_render_within_limits(body: bytes) -> None:
    for entry in _parse(body)[:10]:
        _render_both(_check_article(entry))


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from([None, "application/rss+xml", "application/feed+json",
                                                   "text/html", "application/json; charset=latin-1"]))
def test_random_bytes_never_crash_the_parser(body: bytes, content_type: str | None) -> None:
    _parse(body, content_type)


@FUZZ
@given(hostile_text, hostile_text, urls)
@example("\ud800 lone", "\udfff", "https://a.example/\ud800")
@example("<script>alert(1)</script>@everyone", "<!channel> [x](https://evil.example)", "javascript:alert(1)")
def test_hostile_text_in_rss_and_json_feeds(title: str, summary: str, url: str) -> None:
    esc = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    x = "".join(esc.get(c, c) for c in title)
    item = f"<item><title>{x}</title><link>https://ok.example/1</link><description><![CDATA[{summary}]]></description></item>"
    items = {"id": title, "url": url, "title": title, "content_html": summary, "summary": summary}
    json_feed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [items]})
    for body, ctype in ((rss(item), None), (json_feed.encode("ascii"), "application/feed+json")):
        for entry in _parse(body, ctype):
            _render_both(_check_article(entry))


@FUZZ
@given(st.builds(RawEntry, guid=hostile_text, url=urls, title=any_text, summary=any_text, content=any_text))
@example(RawEntry(guid="", url="https://h.example/\x1f", title="", summary="", content=""))  # found by this test:
@example(RawEntry(guid="", url="https://x.example/" + "a" * 3000, title=""))  # the untitled fallback was raw
def test_cleaner_on_hostile_entries(entry: RawEntry) -> None:
    try:
        alert = _check_article(entry)
    except UnicodeEncodeError:
        # only the parser's output reaches the cleaner; lone surrogates cannot come out of it (asserted above)
        assume_surrogate = any(re.search("[\ud800-\udfff]", v) for v in (entry.guid, entry.url, entry.title,
                                                                         entry.summary, entry.content))
        assert assume_surrogate
        return
    _render_both(alert)


def _no_surrogates(alert: Alert) -> Alert:
    def fix(s: str) -> str:
        return re.sub("[\ud800-\udfff]", "\ufffd", s)

    for a in (alert, *alert.items):
        a.title, a.text, a.category, a.story_id, a.url = (fix(a.title), fix(a.text), fix(a.category),
                                                          fix(a.story_id), fix(a.url))
        a.summary, a.topics, a.tags = [fix(s) for s in a.summary], [fix(s) for s in a.topics], [fix(s) for s in a.tags]
        a.sources = [SourceRef(fix(s.name), fix(s.url)) for s in a.sources]
        if a.new_source:
            a.new_source = SourceRef(fix(a.new_source.name), fix(a.new_source.url))
    return alert


@FUZZ
@given(alerts())
def test_slack_blocks_within_limits_and_inert(alert: Alert) -> None:
    check_slack(*render(_no_surrogates(alert)))


@FUZZ
@given(alerts())
def test_discord_embeds_within_limits_and_inert(alert: Alert) -> None:
    alert = _no_surrogates(alert)
    check_discord(alert_payload(alert, "alert:s1:news"))
    check_discord({"embeds": fit_embeds([render_followup_note(alert, "ref x")]), "allowed_mentions": {"parse": []}})


@FEW
@given(st.integers(100_000, 120_000), st.sampled_from(["A", "@everyone ", "<!here> ", "\u202e", "&amp;", "🚀"]))
def test_100kb_titles_render_within_limits(n: int, piece: str) -> None:
    title = (piece * (n // len(piece)))[:n]
    alert = _check_article(RawEntry(guid="g", url="https://ok.example/1", title=title, summary=title))
    _render_both(alert)


@pytest.mark.parametrize("injection", INJECTIONS)
def test_each_known_injection_is_inert_end_to_end(injection: str) -> None:
    """Every injection string as a title, a summary and a source name, through parse → clean → render."""
    esc = injection.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\x00", "")
    body = rss(f"<item><title>{esc} title</title><link>https://ok.example/1</link>"
               f"<description>{esc} summary</description></item>")
    (entry,) = _parse(body)
    alert = _check_article(entry)
    alert.sources = [SourceRef(injection, "https://ok.example/1")]
    alert.tags, alert.topics = [injection], [injection]
    _render_both(alert)
    text, blocks = render_alert(alert)
    shown = [text] + [b["text"]["text"] for b in blocks if b["type"] == "section"] + [
        e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]  # button values are not shown
    assert not any(m in t for t in shown for m in ("<!channel>", "<!here>", "<!everyone>", "<@U", "<script"))


def test_the_output_checks_bite() -> None:
    """The contracts above would fail on an unescaped mention or an over-long field (no vacuous passes)."""
    ok_embed = {"title": "t", "footer": {"text": "f"}}
    with pytest.raises(AssertionError):
        check_slack("hi <!channel>", [])
    with pytest.raises(AssertionError):
        check_slack("x", [{"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}])
    with pytest.raises(AssertionError):
        check_slack("x", [{"type": "context", "elements": [{"type": "mrkdwn", "text": "<@U123>"}]}])
    with pytest.raises(AssertionError):
        check_discord({"embeds": [{**ok_embed, "title": "@everyone"}], "allowed_mentions": {"parse": []}})
    with pytest.raises(AssertionError):
        check_discord({"embeds": [{**ok_embed, "description": "• [x](https://e.example)"}],
                       "allowed_mentions": {"parse": []}})
    with pytest.raises(AssertionError):
        check_discord({"embeds": [{**ok_embed, "description": "d" * 4097}], "allowed_mentions": {"parse": []}})
    with pytest.raises(AssertionError):
        check_discord({"embeds": [ok_embed]})
    check_discord({"embeds": [ok_embed], "allowed_mentions": {"parse": []}})
    check_slack("fine &lt;!channel&gt; <https://a.example|a>", [])
