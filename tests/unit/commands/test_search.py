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


# -- one query language on both databases ------------------------------------------------------
import pytest  # noqa: E402

from bot.commands import CommandService, Invocation  # noqa: E402
from bot.settings import settings_from_mapping  # noqa: E402
from bot.store import Store  # noqa: E402

from .conftest import CONFIG, NOW  # noqa: E402

ARTICLES = {"s-cafe": "The café on Main Street reopens", "s-nv": "Nvidia beats estimates",
            "s-tsmc": "TSMC opens Arizona fab", "s-both": "Nvidia and TSMC sign chip deal",
            "s-bank": "Bank of America raises outlook", "s-zur": "Zürich exchange lists chip designer"}


@pytest.fixture
def mixed(store_url: str) -> Store:
    s = Store.open(store_url)
    for sid, title in ARTICLES.items():
        add_story(s, sid, title, 6.0, ["ai"])
    yield s
    s.close()


@pytest.mark.parametrize(("query", "found"), [
    ("cafe", {"s-cafe"}), ("Café", {"s-cafe"}), ("CAFE main", {"s-cafe"}), ("zurich", {"s-zur"}),
    ("nvidia OR tsmc", {"s-nv", "s-tsmc", "s-both"}), ("nvidia or tsmc", {"s-nv", "s-tsmc", "s-both"}),
    ("nvidia | tsmc", {"s-nv", "s-tsmc", "s-both"}), ("chip nvidia OR zurich", {"s-both", "s-zur"}),
    ("nvidia tsmc", {"s-both"}), ("nvidia -tsmc", {"s-nv"}), ('chip -"sign chip"', {"s-zur"}),
    ('"bank of america"', {"s-bank"}), ('“bank of america”', {"s-bank"}), ('"america bank"', set()),
    ("the", set()), ("the of and", set()), ("the nvidia", {"s-nv", "s-both"}), ("-nvidia", set()),
])
def test_both_databases_read_a_query_alike(mixed: Store, query: str, found: set[str]) -> None:
    """Before: "the" found every article on SQLite and none on PostgreSQL; "cafe" found "café" on
    SQLite only; "nvidia OR tsmc" gave 0 results on SQLite ("or" was a required word) and 1 on
    PostgreSQL; quotes and -exclusion meant nothing."""
    assert {h.article.story_id for h in search_articles(mixed, query)} == found


def _ask(store: Store, text: str) -> str:
    r = CommandService(settings_from_mapping(CONFIG), store, clock=lambda: NOW).run(
        Invocation(text=text, user="U1", platform="slack", platform_channel="C1"))
    return ("ERROR " if r.error else "") + r.text


def test_a_query_of_only_common_words_says_so(mixed: Store) -> None:
    reply = _ask(mixed, "search the of")
    assert reply.startswith("ERROR “the of” has only common words") and "add a word" in reply, reply


def test_search_pages_through_every_match(mixed: Store) -> None:
    """There was no way past the first five results: "more match: add words to narrow it"."""
    for i in range(12):
        add_story(mixed, f"s-item-{i:02d}", f"Gadget item {i}", 5.0, ["ai"])
    first = _ask(mixed, "search gadget item")
    assert first.startswith("First 5 results for “gadget item” (more match: add words to narrow it):"), first
    assert first.endswith("More: `search gadget item page 2`"), first
    second = _ask(mixed, "search gadget item page 2")
    assert second.startswith("Results 6–10 for “gadget item” (more match):"), second
    assert second.endswith("More: `search gadget item page 3`")
    third = _ask(mixed, "search gadget item PAGE 3")
    assert third.startswith("Results 11–12 for “gadget item”:") and "More:" not in third, third
    shown = [line for page in (first, second, third) for line in page.splitlines() if line.startswith("• ")]
    assert len(shown) == len(set(shown)) == 12
    assert _ask(mixed, "search gadget item page 4") == "No more results for “gadget item” (12 on pages 1–3)."
    assert _ask(mixed, "search gadget item page 0").startswith("ERROR ")
