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
