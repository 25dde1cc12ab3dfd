"""A topic example given as a URL: the bot reads the article page behind it (served on loopback,
fetched by the real fetcher) and compares stories with that text, not with the URL's words."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.pipeline import Pipeline
from bot.settings import settings_from_mapping
from bot.store import Store
from classifiers import Document
from tests.feedserver import FeedServer, Reply

PAGE = b"""<!doctype html><html><head><title>Fab news</title></head><body><nav>Home | World</nav>
<article><h1>Foundry starts volume production at its new fab</h1>
<p>The foundry began volume production of 2-nanometre wafers at its new fabrication plant, using extreme
ultraviolet lithography tools for the critical layers of the chips.</p>
<p>Yields at the fab are ahead of plan, the company said, and wafer output will double next year as more
lithography scanners are installed in the clean rooms.</p></article></body></html>"""

ON_TOPIC = Document("d1", "Chipmaker adds lithography scanners", "The company installed more extreme ultraviolet "
                    "lithography scanners in its clean rooms to raise wafer output at the fabrication plant.")


def _settings(examples: list[str], url: str) -> object:
    return settings_from_mapping({
        "sources": [{"name": "wire", "url": url}],
        "topics": {"fabs": {"keywords": ["semiconductor plant"], "examples": examples}},
        "channels": [{"name": "news", "console": True}],
        "fetch": {"allow_hosts": ["127.0.0.1"], "retries": 0, "timeout": 5}})


async def test_a_url_example_is_read_as_its_page_and_a_dead_one_is_logged(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    with FeedServer() as server:
        page = server.add("/fab.html", Reply(body=PAGE, content_type="text/html; charset=utf-8"))
        dead = server.url("/gone.html")  # 404
        settings = _settings([page, dead], server.url("/feed.xml"))
        store = Store.open(f"sqlite:///{tmp_path}/s.db")
        try:
            with caplog.at_level(logging.WARNING):
                async with Pipeline(settings, store, {}) as p:
                    _, scorer = p.load_models()
                    model = scorer.scorer.topics["fabs"]
                    assert len(model.examples_) == 1  # the page; the dead link is left out
                    words = set(model.examples_[0])
                    assert {"lithographi", "wafer"} & words or {"lithography", "wafer"} & words, sorted(words)[:20]
                    assert "html" not in words and "127" not in words  # not the URL's own words
                    with_page = scorer.scorer.score([ON_TOPIC])[0].relevance["fabs"]

                    # a reload that drops the page example: the model no longer has it
                    await p.apply_settings(_settings([dead], server.url("/feed.xml")))
                    _, scorer = p.load_models()
                    assert scorer.scorer.topics["fabs"].examples_ == []
                    without = scorer.scorer.score([ON_TOPIC])[0].relevance["fabs"]
            assert with_page > without  # the page's text made the on-topic story more relevant
            gone = [r for r in caplog.records if "topic example left out" in r.getMessage()]
            assert gone and gone[0].topic == "fabs" and gone[0].url == dead  # type: ignore[attr-defined]
            assert server.hits["/fab.html"] == 1  # fetched once, not again at the reload
        finally:
            store.close()
