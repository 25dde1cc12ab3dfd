"""OPML import/export on shapes real readers write: folders in folders, missing titles, categories."""

from __future__ import annotations

import pytest

from bot.settings import SourceSettings
from bot.sources.opml import OpmlError, parse_opml, to_opml, to_sources

# Feedly-style export: folders, title+text, htmlUrl.
FEEDLY = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions in feedly Cloud</title></head>
  <body>
    <outline text="Tech" title="Tech">
      <outline type="rss" text="Ars Technica" title="Ars Technica" xmlUrl="https://feeds.arstechnica.com/arstechnica/index" htmlUrl="https://arstechnica.com"/>
      <outline text="Chips" title="Chips">
        <outline type="rss" text="AnandTech" xmlUrl="https://www.anandtech.com/rss/"/>
      </outline>
    </outline>
    <outline text="Security">
      <outline type="rss" xmlUrl="https://krebsonsecurity.com/feed/"/>
      <outline type="rss" text="Ars Technica" xmlUrl="https://feeds.arstechnica.com/arstechnica/index"/>
    </outline>
    <outline type="rss" text="" xmlurl="https://example.org/blog/atom.xml" category="/AI/ML,Research"/>
    <outline text="not a feed, a link" url="https://example.org/"/>
  </body>
</opml>"""


def test_nested_outlines_missing_titles_and_categories() -> None:
    feeds = parse_opml(FEEDLY)
    assert [f.url for f in feeds] == [
        "https://feeds.arstechnica.com/arstechnica/index", "https://www.anandtech.com/rss/",
        "https://krebsonsecurity.com/feed/", "https://feeds.arstechnica.com/arstechnica/index",
        "https://example.org/blog/atom.xml"]
    assert feeds[0].title == "Ars Technica" and feeds[0].site_url == "https://arstechnica.com"
    assert feeds[1].title == "AnandTech" and feeds[1].categories == ("Tech", "Chips")
    assert feeds[2].title == "" and feeds[2].categories == ("Security",)
    assert feeds[4].categories == ("AI", "ML", "Research")


def test_to_sources_names_duplicates_and_topics() -> None:
    sources, notes = to_sources(parse_opml(FEEDLY), topics_from_categories=True, topic_names=["security", "ml"],
                                taken=["AnandTech"])
    by_url = {s.url: s for s in sources}
    assert len(sources) == 4 and any("already a source" in n for n in notes)  # Ars twice: once
    assert by_url["https://www.anandtech.com/rss/"].name == "AnandTech-2"  # name taken in the config
    assert by_url["https://krebsonsecurity.com/feed/"].name == "krebsonsecurity.com"  # no title: host
    assert by_url["https://krebsonsecurity.com/feed/"].topics == ["security"]
    assert by_url["https://example.org/blog/atom.xml"].name == "example.org-blog-atom"
    assert by_url["https://example.org/blog/atom.xml"].topics == ["ml"]  # only configured topics
    plain, _ = to_sources(parse_opml(FEEDLY))
    assert all(not s.topics for s in plain)


def test_round_trip() -> None:
    sources = [SourceSettings(name="Wire & Co", url="https://wire.example/rss?a=1&b=2", topics=["ai", "chips"]),
               SourceSettings(name="Plain", url="https://plain.example/feed")]
    text = to_opml(sources)
    again, notes = to_sources(parse_opml(text), topics_from_categories=True)
    assert not notes
    assert [(s.name, s.url, s.topics) for s in again] == [(s.name, s.url, s.topics) for s in sources]


@pytest.mark.parametrize("data", [b"<html><body/></html>", b"not xml at all <",
                                  b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><opml><body/></opml>'])
def test_not_opml_is_refused(data: bytes) -> None:
    with pytest.raises(OpmlError):
        parse_opml(data)


def test_feed_scheme_urls_and_the_same_feed_under_other_addresses() -> None:
    """``feed://`` / ``feed:https://`` xmlUrls were skipped as "not an http(s) URL"; ``http://`` vs
    ``https://``, a trailing slash or the host's case made one feed two sources."""
    data = b"""<?xml version="1.0"?><opml version="2.0"><body>
      <outline text="F" xmlUrl="feed://f.example/rss"/>
      <outline text="G" xmlUrl="feed:https://g.example/atom.xml"/>
      <outline text="E" xmlUrl="https://e.example/feed"/>
      <outline text="E again" xmlUrl="http://E.example/feed/"/>
      <outline text="Taken" xmlUrl="https://taken.example/rss/"/>
    </body></opml>"""
    sources, notes = to_sources(parse_opml(data), taken_urls=["http://taken.example/rss"])
    assert [(s.name, s.url) for s in sources] == [("F", "http://f.example/rss"), ("G", "https://g.example/atom.xml"),
                                                  ("E", "https://e.example/feed")]
    assert notes == ["http://E.example/feed/: already a source; skipped",
                     "https://taken.example/rss/: already a source; skipped"]


def test_html_entities_bare_ampersands_and_a_namespace_are_read() -> None:
    """Hand-edited and HTML-minded exports: ``&eacute;``, ``&nbsp;`` and ``?a=1&b=2`` made the whole
    file "not an OPML file: undefined entity / not well-formed"; a namespaced root was refused too."""
    data = (b'<?xml version="1.0"?><opml xmlns="http://opml.org/spec2" version="2.0"><body>'
            b'<outline text="Caf&eacute;&nbsp;Tech"><outline text="Q&amp;amp;A weekly" '
            b'xmlUrl="https://q.example/rss?a=1&b=2"/></outline>'
            b'<outline text="Tom & Jerry" xmlUrl="https://t.example/feed"/></body></opml>')
    notes: list[str] = []
    feeds = parse_opml(data, notes)
    assert [(f.title, f.url, f.categories) for f in feeds] == [
        ("Q&A weekly", "https://q.example/rss?a=1&b=2", ("Café\u00a0Tech",)),
        ("Tom & Jerry", "https://t.example/feed", ())]
    assert len(notes) == 1 and "repaired" in notes[0]
    sources, _ = to_sources(feeds, topics_from_categories=True)
    assert [(s.name, s.topics) for s in sources] == [("Q&A weekly", ["caf-tech"]), ("Tom & Jerry", [])]


def test_outlines_without_a_feed_address_are_reported() -> None:
    notes: list[str] = []
    parse_opml(FEEDLY, notes)
    assert notes == ["“not a feed, a link” has no xmlUrl (feed address), only https://example.org/; skipped — "
                     "`signals sources add https://example.org/` finds its feed"]  # folders are not reported
