"""search_articles: exact bm25 ranking for narrow queries, newest candidates only for broad ones."""

from __future__ import annotations

from bot.commands.search import search_articles

from .conftest import add_story


def test_ranked_like_store_search(store):
    assert [h.article.story_id for h in search_articles(store, "nvidia earnings")] == \
           [h.article.story_id for h in store.search("nvidia earnings")]
    assert search_articles(store, "   ") == [] and search_articles(store, "zzzz") == []
    hit = search_articles(store, "nvidia")[0]
    assert hit.article.published_at is not None and hit.article.published_at.tzinfo is not None


def test_broad_query_ranks_only_newest_candidates(store):
    for i in range(5):
        add_story(store, f"c{i}", f"Chip story {i}" + " chip" * (5 - i), 5.0, ["chips"])
    exact = [h.article.story_id for h in search_articles(store, "chip", limit=5)]
    assert exact[0] == "c0"  # most occurrences wins when everything is ranked
    newest = [h.article.story_id for h in search_articles(store, "chip", limit=5, candidates=2)]
    assert sorted(newest) == ["c3", "c4"]
