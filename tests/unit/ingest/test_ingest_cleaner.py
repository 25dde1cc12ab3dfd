"""Cleaning: mojibake repair, residue, invisible characters, HTML, boilerplate, titles, hashes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ingest import clean_entry, clean_text, clean_title, content_hash, html_to_text
from bot.ingest.cleaner import _PUNCT, MAX_TITLE, _hash_words_reference
from bot.models import RawEntry

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "clean"), [
    # mojibake repaired
    ("Great idea \u00f0\u0178\u2019\u00a1 for chips", "Great idea 💡 for chips"),
    ("Caf\u00c3\u00a9 culture", "Café culture"),
    ("It\u00e2\u20ac\u2122s here", "It’s here"),
    # residue of a lost emoji: lone characters of another script glued to English words
    ("Big news\u0e50 today", "Big news today"),
    ("\u0e50Big news today", "Big news today"),
    ("Launch day \u0e50\u0e1f is here", "Launch day is here"),
    ("Shares jump\u0440 after results", "Shares jump after results"),
    ("Chip prices fall\u03c0, analysts say", "Chip prices fall, analysts say"),
    # ... but real text in those scripts, and symbols, are kept
    ("Привет мир, это русский текст", "Привет мир, это русский текст"),
    ("Latency fell to 5 \u03bcs and \u03c0 is 3.14", "Latency fell to 5 \u03bcs and \u03c0 is 3.14"),
    ("Tokyo (東京) office opens", "Tokyo (東京) office opens"),
    ("Emoji stay 🚀 and 👩‍💻 too", "Emoji stay 🚀 and 👩‍💻 too"),
    # invisible characters
    ("zero\u200bwidth\u200c and \ufeffBOM", "zerowidth and BOM"),
    ("bidi \u202eevil\u202c override", "bidi evil override"),
    ("ctrl\x00\x07chars\x1b", "ctrlchars"),
    # HTML to text
    ("<p>One</p><p>Two &amp; three</p>", "One\nTwo & three"),
    ("<div>a<br>b</div><script>alert(1)</script><style>p{}</style>", "a\nb"),
    ("<ul><li>first</li><li>second</li></ul>", "• first\n• second"),
    ("Plain &lt;b&gt; entities &amp; text", "Plain <b> entities & text"),
    ("  lots   of \t spaces\u00a0here ", "lots of spaces here"),
    # boilerplate
    ("<p>Real text.</p><p>Share this:</p><p>Share on Twitter</p>", "Real text."),
    ("<p>Real text.</p><p>Sign up for our daily AI newsletter here.</p>", "Real text."),
    ("<p>Real text.</p><p>Disclosure: the author owns shares of Nvidia.</p>", "Real text."),
    ("<p>Real text.</p><p>The post Chips get faster appeared first on Tech Daily.</p>", "Real text."),
    ("<p>By Jane Doe, Reuters</p><p>Real text.</p>", "Real text."),
    ("<p>By Jane Doe and John Roe | Nov 24, 2026</p><p>Real text.</p>", "Real text."),
    ("<p>Real text. Read more</p>", "Real text."),
    ("<p>Real text […]</p><p>Continue reading →</p>", "Real text"),
    ("Real text... Continue reading", "Real text"),
    ("<p>Real text.</p><p>Read more at Tech Daily</p>", "Real text."),
    # ... sentences that merely start like boilerplate are kept
    ("By the end of 2027, Nvidia will ship more.", "By the end of 2027, Nvidia will ship more."),
    ("By Tuesday, the company will ship.", "By Tuesday, the company will ship."),
    ("Share this idea with your team, the CEO said.", "Share this idea with your team, the CEO said."),
    ("Read more about it in the filing.", "Read more about it in the filing."),
])
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_is_idempotent() -> None:
    raw = "<p>Big news\u0e50 today \u00f0\u0178\u2019\u00a1</p><p>Share this</p><p>Second &amp; last.</p>"
    once = clean_text(raw)
    assert clean_text(once) == once == "Big news today 💡\nSecond & last."


@pytest.mark.parametrize(("raw", "title"), [
    ("  A <b>bold</b>\n  title  ", "A bold title"),
    ("Nvidia \u00f0\u0178\u0161\u20ac ships", "Nvidia 🚀 ships"),
    ("AT&amp;T &amp; Verizon", "AT&T & Verizon"),
    ("Read more", "Read more"),  # titles keep every line
])
def test_clean_title(raw: str, title: str) -> None:
    assert clean_title(raw) == title


def test_long_title_is_cut_at_a_word() -> None:
    title = clean_title("word " * 200)
    assert len(title) <= MAX_TITLE and title.endswith("word…")


def test_html_to_text_handles_broken_markup() -> None:
    assert html_to_text("<p>unclosed <b>bold <i>and</p> more") == "unclosed bold and\nmore"
    assert html_to_text("") == ""


_HASH_CHARS = st.sampled_from([*_PUNCT, *"aZ09 \t\n\x1c\x85\u00a0\u2028\u3000ßİﬁ💡"])
_HASH_TEXT = st.text(_HASH_CHARS, max_size=60) | st.lists(st.sampled_from(["-a-", "a.b", "...", " ", "“x”", "ß."])).map("".join)


@given(_HASH_TEXT | st.text(max_size=40), _HASH_TEXT)
def test_content_hash_is_the_token_by_token_hash(title: str, text: str) -> None:
    """The one-regex normalisation hashes exactly what stripping each token did: stored hashes are
    the dedupe key of every article already in a database, so they must never change."""
    norm = "\n".join(" ".join(_hash_words_reference(s)) for s in (title, text))
    assert content_hash(title, text) == hashlib.sha256(norm.encode("utf-8")).hexdigest()


def test_content_hash_ignores_case_spacing_punctuation() -> None:
    a = content_hash("Nvidia ships H300", "It is fast.\nVery fast!")
    assert a == content_hash("NVIDIA ships  H300!", "it is fast very fast")
    assert a != content_hash("Nvidia ships H200", "It is fast.\nVery fast!")
    assert len(a) == 64


def entry(**kw: object) -> RawEntry:
    base: dict[str, object] = {"guid": "g1", "url": "https://Ex.com/a?utm_source=x#c", "title": "T"}
    base.update(kw)
    return RawEntry(**base)  # type: ignore[arg-type]


def test_clean_entry_builds_article() -> None:
    art = clean_entry(entry(title="Title \u00f0\u0178\u2019\u00a1", summary="<p>short</p>",
                            content="<p>Longer body.</p><p>Share this</p>",
                            published_at=datetime(2026, 11, 24, 11, 0)), "Src", NOW)
    assert (art.source, art.guid, art.title, art.text) == ("Src", "g1", "Title 💡", "Longer body.")
    assert art.canonical_url == "https://ex.com/a" and art.url == "https://Ex.com/a?utm_source=x#c"
    assert art.published_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC) and art.fetched_at == NOW
    assert art.content_hash == content_hash("Title 💡", "Longer body.")


def test_clean_entry_future_date_is_clamped_and_missing_title_derived() -> None:
    art = clean_entry(entry(title="", summary="First line here.\nSecond.", published_at=NOW + timedelta(days=2)),
                      "S", NOW)
    assert art.published_at == NOW
    assert art.title == "First line here."


def test_same_story_republished_has_same_hash() -> None:
    a = clean_entry(entry(title="Chip deal", content="<p>Body text.</p>"), "S", NOW)
    b = clean_entry(entry(guid="g2", title="Chip deal ", content="Body text. Read more"), "S", NOW)
    assert a.content_hash == b.content_hash
