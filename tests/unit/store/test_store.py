"""The store on a real SQLite file and a real PostgreSQL schema: dedupe, fetch state, stories, search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Article, FetchState
from bot.store import Store, StoryRow

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def art(n: int, source: str = "A", **kw: object) -> Article:
    base = dict(source=source, guid=f"g{n}", url=f"https://ex.com/{n}", canonical_url=f"https://ex.com/{n}",
                title=f"Title {n}", text=f"Body text number {n} about chips", published_at=NOW,
                fetched_at=NOW, content_hash=f"h{n}")
    base.update(kw)
    return Article(**base)  # type: ignore[arg-type]


@pytest.fixture
def store(store_url: str) -> Store:
    s = Store.open(store_url)
    yield s
    s.close()


def test_articles_are_unique_by_guid_url_and_hash(store: Store) -> None:
    assert len(store.add_articles([art(1), art(2)])) == 2
    again = [art(1), art(3, url="https://ex.com/2?x", canonical_url="https://ex.com/2"), art(4, content_hash="h2"),
             art(5, source="B", guid="g1", canonical_url="https://ex.com/5")]
    new = store.add_articles(again)
    assert [a.guid for a in new] == ["g1"] and new[0].source == "B"  # same guid, other outlet: a new article
    assert store.count_articles() == 3


def test_each_new_article_gets_its_own_rows_id(store: Store) -> None:
    """One multi-row INSERT for a batch: every article gets the id of the row that holds it, also
    when two outlets use the same guid (ids are matched by the (source, guid) key, not by order)."""
    batch = [art(n, source=src, canonical_url=f"https://{src}.ex/{n}", content_hash=f"{src}{n}")
             for n in range(40) for src in ("A", "B")]
    new = store.add_articles(batch)
    assert len(new) == 80 and len({a.id for a in new}) == 80
    for a in new:
        stored = store.article(a.id)  # type: ignore[arg-type]
        assert stored is not None and (stored.source, stored.guid, stored.content_hash) == (a.source, a.guid,
                                                                                            a.content_hash)


def test_processing_marks_and_replay(store: Store) -> None:
    store.add_articles([art(1), art(2)])
    todo = store.unprocessed_articles()
    assert [a.guid for a in todo] == ["g1", "g2"]
    with store.begin() as c:
        store.mark_processed(c, [(todo[0].id or 0, "s1")])
    assert [a.guid for a in store.unprocessed_articles()] == ["g2"]
    replay = store.processed_since(NOW - timedelta(hours=1))
    assert [(a.guid, a.story_id) for a in replay] == [("g1", "s1")]


def test_fetch_state_round_trip(store: Store) -> None:
    st = store.fetch_state("A", "https://ex.com/feed")
    assert st.etag is None and not st.paused
    assert st.config_url == "https://ex.com/feed"
    # moved permanently to /new while configured as /feed
    store.save_fetch_state(FetchState("A", "https://ex.com/new", etag='"v1"', failures=2, last_fetch_at=NOW,
                                      config_url="https://ex.com/feed"))
    st = store.fetch_state("A", "https://ex.com/feed")
    assert st.url == "https://ex.com/new" and st.etag == '"v1"' and st.failures == 2 and st.last_fetch_at == NOW


def test_fetch_state_starts_afresh_when_the_configured_url_changes(store: Store) -> None:
    store.save_fetch_state(FetchState("A", "https://ex.com/new", etag='"v1"', failures=2, paused=True,
                                      next_poll_at=NOW, config_url="https://ex.com/feed"))
    st = store.fetch_state("A", "https://other.example/rss")
    assert (st.url, st.config_url, st.etag, st.failures, st.paused, st.next_poll_at) == (
        "https://other.example/rss", "https://other.example/rss", None, 0, False, None)
    # a row from before config_url: adopted when it polls the configured URL, else fresh
    store.save_fetch_state(FetchState("B", "https://ex.com/b", etag='"b"'))
    assert store.fetch_state("B", "https://ex.com/b").etag == '"b"'
    assert store.fetch_state("B", "https://ex.com/b").config_url == "https://ex.com/b"
    store.save_fetch_state(FetchState("C", "https://ex.com/c-moved", etag='"c"'))
    assert store.fetch_state("C", "https://ex.com/c").url == "https://ex.com/c"


def test_story_round_trip_and_prefix(store: Store) -> None:
    (a,) = store.add_articles([art(1)])
    row = StoryRow(id="s-abcdef", first_seen=NOW, updated_at=NOW, representative_id=a.id or 0, title="T",
                   n_sources=1, importance=6.5, category="Industry", topics=["chips"], scores={"x": 1})
    with store.begin() as c:
        store.save_story(c, row)
        store.save_story(c, row)  # saving twice updates, never duplicates
    got = store.story("s-abc")
    assert got is not None and got.importance == 6.5 and got.topics == ["chips"] and got.scores == {"x": 1}
    assert [s.id for s in store.stories_since(NOW - timedelta(days=1))] == ["s-abcdef"]


def test_full_text_search_ranks_title_matches_first(store: Store) -> None:
    store.add_articles([
        art(1, title="Weather report", text="Nvidia mentioned once in passing"),
        art(2, title="Nvidia unveils new GPU", text="The accelerator doubles training speed"),
        art(3, title="Bakery opens", text="Bread and cakes"),
    ])
    hits = store.search("nvidia")
    assert [h.article.guid for h in hits] == ["g2", "g1"]
    assert store.search("gpus")[0].article.guid == "g2"  # stemming
    assert store.search('"; DROP TABLE articles; --') == []
    assert store.search("") == []
