"""Article search for ``/signals search`` and ``signals search``: ranked, and fast at scale.

``Store.search`` ranks every match with bm25; a word that half of 100,000 articles contain
then costs about a second. Here the ranking runs over the most recent ``candidates``
matches only (5,000 by default; FTS5 walks the posting list by rowid, i.e. arrival order,
without scoring it): a query with fewer matches is ranked exactly as before, and a very
broad one ranks the newest 5,000 — what a news search wants anyway. p99 stays far under
300 ms at 100k articles (``benchmarks/bench_search.py``). Other databases use ``Store.search``.
"""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import select, text

from bot.models import Article
from bot.store import SearchHit, Store
from bot.store import schema as t
from bot.store.query import parse_query

__all__ = ["CANDIDATES", "search_articles"]

CANDIDATES = 5000
_BOUND = text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q ORDER BY rowid DESC LIMIT 1 OFFSET :k")
_RANK = text("SELECT rowid AS id, bm25(articles_fts, 3.0, 1.0) AS r FROM articles_fts "
             "WHERE articles_fts MATCH :q AND rowid >= :lo ORDER BY r, rowid DESC LIMIT :n OFFSET :o")


def search_articles(store: Store, query: str, limit: int = 10, candidates: int = CANDIDATES,
                    offset: int = 0) -> list[SearchHit]:
    """Best ``limit`` articles for ``query`` (the language of :mod:`bot.store.query`: words all
    required, "phrases", OR, -exclusions), best first, after skipping ``offset`` (paging)."""
    if not store.is_sqlite:
        return store.search(query, limit, offset)
    q = parse_query(query)
    if q.empty or limit <= 0:
        return []
    match = q.fts5()
    with store.begin() as c:
        bound = c.execute(_BOUND, {"q": match, "k": max(0, candidates - 1)}).first()
        ranked = c.execute(_RANK, {"q": match, "lo": bound[0] if bound else 0, "n": limit, "o": offset}).all()
        if not ranked:
            return []
        a = t.articles
        rows = {r.id: r for r in c.execute(select(a).where(a.c.id.in_([r.id for r in ranked])))}
    names = [f.name for f in fields(Article)]
    return [SearchHit(Article(**{n: rows[r.id]._mapping[n] for n in names}), float(r.r))
            for r in ranked if r.id in rows]
