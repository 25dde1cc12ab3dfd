"""The store: articles, sources' fetch state, stories, decisions, feedback and overrides.

One ``Store`` wraps one SQLAlchemy engine. SQLite (the embedded default) runs in WAL
mode with a busy timeout so the web process can read while the worker writes; FTS5
indexes article titles and text for ``/signals search``. Outbox rows live in the same
database (see :mod:`bot.outbox`), so routing and enqueueing commit together.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError
from bot.models import Article, FetchState
from bot.store import schema as t
from bot.store.engine import make_engine, where
from bot.store.query import PG_TSV, parse_query

__all__ = ["DEFAULT_DB", "SearchHit", "Store", "StoryRow"]

log = logging.getLogger(__name__)
DEFAULT_DB = "sqlite:///var/signals.db"



@dataclass(slots=True)
class StoryRow:
    """A stored story with its scores (``scores`` is ``classifiers.Scores.to_dict()``)."""

    id: str
    first_seen: datetime
    updated_at: datetime
    representative_id: int
    title: str
    n_sources: int
    importance: float
    category: str
    topics: list[str]
    scores: dict[str, Any] | None


@dataclass(slots=True)
class SearchHit:
    article: Article
    rank: float


_STATE_FIELDS = [f.name for f in fields(FetchState) if f.name != "source"]
_UPDATE_STATE = (update(t.sources).where(t.sources.c.name == bindparam("b_name"))
                 .values({f: bindparam(f) for f in _STATE_FIELDS}))


def _article(row: Any) -> Article:
    m = row._mapping
    return Article(**{f.name: m[f.name] for f in fields(Article)})


class Store:
    """Typed access to the database. Create with :meth:`open`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- lifecycle -----------------------------------------------------------------
    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (and create) the database at ``url``, ``$SIGNALS_DATABASE_URL`` or the default file."""
        store = cls(make_engine(url or os.environ.get("SIGNALS_DATABASE_URL") or DEFAULT_DB))
        try:
            store.create()
        except BaseException:
            store.engine.dispose()
            raise
        return store

    def create(self) -> None:
        """Create or upgrade the schema with the Alembic revisions (see :mod:`bot.store.migrate`)."""
        from bot.store.migrate import ensure

        ensure(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction; database errors come out as :class:`StoreError`."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database error ({where(self.engine)}): {exc.__class__.__name__}: {exc}") from exc

    # -- sources -------------------------------------------------------------------
    def fetch_state(self, name: str, url: str) -> FetchState:
        with self.begin() as c:
            row = c.execute(select(t.sources).where(t.sources.c.name == name)).first()
        if row is None:
            return FetchState(source=name, url=url, config_url=url)
        m = row._mapping
        return FetchState(source=name, **{f.name: m[f.name] for f in fields(FetchState)
                                          if f.name != "source"}).for_url(url)

    def fetch_states(self) -> list[FetchState]:
        with self.begin() as c:
            rows = c.execute(select(t.sources).order_by(t.sources.c.name)).all()
        return [FetchState(source=r.name, **{f.name: r._mapping[f.name] for f in fields(FetchState)
                                             if f.name != "source"}) for r in rows]

    def save_fetch_state(self, state: FetchState, conn: Connection | None = None) -> None:
        self.save_fetch_states([state], conn)

    def save_fetch_states(self, states: Sequence[FetchState], conn: Connection | None = None) -> None:
        """Upsert many sources' fetch state with one compiled UPDATE (and one INSERT for new ones)."""
        if not states:
            return
        rows = [{"b_name": st.source, **{f: getattr(st, f) for f in _STATE_FIELDS}} for st in states]
        with self._conn(conn) as c:
            known = set(c.execute(select(t.sources.c.name).where(
                t.sources.c.name.in_([st.source for st in states]))).scalars())
            old = [r for r in rows if r["b_name"] in known]
            new = [{"name": r["b_name"], **{f: r[f] for f in _STATE_FIELDS}} for r in rows if r["b_name"] not in known]
            if old:
                c.execute(_UPDATE_STATE, old)
            if new:
                c.execute(insert(t.sources), new)

    @contextmanager
    def _conn(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.begin() as c:
                yield c

    # -- articles ------------------------------------------------------------------
    def unknown(self, items: Sequence[Article], conn: Connection | None = None) -> list[Article]:
        """The articles not stored yet (nor repeated earlier in ``items``).

        An article is already known when its (source, guid), its canonical URL or its
        content hash is stored: a restart or a re-published entry never makes a second alert.
        Two keys name no one article and are not used: a site's home page URL (feeds that link
        every entry there) and the hash of a title without text (a recurring "Open thread").
        """
        if not items:
            return []
        a = t.articles
        keys = {(x.source, x.guid) for x in items}
        urls = {u for x in items if (u := _url_key(x))}
        hashes = {h for x in items if (h := _hash_key(x))}
        match = and_(a.c.guid.in_({g for _, g in keys}), a.c.source.in_({src for src, _ in keys}))
        if urls:
            match = or_(match, a.c.canonical_url.in_(urls))
        if hashes:
            match = or_(match, a.c.content_hash.in_(hashes))
        with self._conn(conn) as c:  # one query (each condition has its index); a row may match several
            rows = c.execute(select(a.c.source, a.c.guid, a.c.canonical_url, a.c.content_hash).where(match)).all()
        seen_guid = {k for r in rows if (k := (r.source, r.guid)) in keys}
        seen_url = {r.canonical_url for r in rows if r.canonical_url in urls}
        seen_hash = {r.content_hash for r in rows if r.content_hash in hashes}
        new: list[Article] = []
        for x in items:
            url, digest = _url_key(x), _hash_key(x)
            if (x.source, x.guid) in seen_guid or url in seen_url or digest in seen_hash:
                continue
            seen_guid.add((x.source, x.guid))
            if url:
                seen_url.add(url)
            if digest:
                seen_hash.add(digest)
            new.append(x)
        return new

    def add_articles(self, items: Sequence[Article], conn: Connection | None = None) -> list[Article]:
        """Insert the articles not seen before (see :meth:`unknown`); return those, with ids."""
        with self._conn(conn) as c:
            if c.dialect.name == "postgresql" and items:
                _lock_keys(c, [x.canonical_url for x in items] + [x.content_hash for x in items])
            new = self.unknown(items, c)
            if new:  # multi-row INSERT ... RETURNING; ids matched by (source, guid), unique among ``new``
                a = t.articles
                rows = [{**{f.name: getattr(x, f.name) for f in fields(Article) if f.name != "id"}, "processed": False}
                        for x in new]
                # (not sort_by_parameter_order: on SQLite that made SQLAlchemy insert row by row, a
                # statement per article; the key is the table's unique index anyway)
                ids = {(r.source, r.guid): r.id for r in c.execute(insert(a).returning(a.c.id, a.c.source, a.c.guid),
                                                                    rows)}
                for x in new:
                    x.id = ids[(x.source, x.guid)]
        return new

    def unprocessed_articles(self, limit: int = 1000) -> list[Article]:
        a = t.articles
        with self.begin() as c:
            rows = c.execute(select(a).where(a.c.processed.is_(False)).order_by(a.c.id).limit(limit)).all()
        return [_article(r) for r in rows]

    def mark_processed(self, conn: Connection, assignments: Iterable[tuple[int, str | None]]) -> None:
        """Record each article's story. An article processed already is refused (:class:`StoreError`), which
        rolls back the caller's whole batch: a worker whose ``process`` lease expired mid-batch (Redis away,
        a stall past the TTL) while another took over must not cluster, decide and route it a second time
        (it queued a follow-up for a source already counted)."""
        a = t.articles
        for article_id, story_id in assignments:
            done = conn.execute(update(a).where(a.c.id == article_id, a.c.processed.is_(False))
                                .values(processed=True, story_id=story_id)).rowcount
            if done != 1:
                raise StoreError(f"article {article_id} was already processed (another worker took the batch "
                                 "over); this batch is dropped and the clusterer rebuilt from the store")

    def processed_since(self, since: datetime) -> list[Article]:
        """Processed articles fetched since ``since``, in arrival order: replayed into the clusterer."""
        a = t.articles
        with self.begin() as c:
            rows = c.execute(select(a).where(a.c.processed.is_(True), a.c.story_id.is_not(None),
                                             a.c.fetched_at >= since).order_by(a.c.id)).all()
        return [_article(r) for r in rows]

    def newest_processed(self, limit: int) -> list[Article]:
        """The newest ``limit`` processed articles that belong to a story, newest first: the recent
        news the scorer's self-training draws pseudo-labels from (``bot.scoring``)."""
        a = t.articles
        with self.begin() as c:
            rows = c.execute(select(a).where(a.c.processed.is_(True), a.c.story_id.is_not(None))
                             .order_by(a.c.id.desc()).limit(limit)).all()
        return [_article(r) for r in rows]

    def article(self, article_id: int) -> Article | None:
        with self.begin() as c:
            row = c.execute(select(t.articles).where(t.articles.c.id == article_id)).first()
        return _article(row) if row else None

    def story_articles(self, story_id: str, conn: Connection | None = None) -> list[Article]:
        a = t.articles
        with self._conn(conn) as c:
            rows = c.execute(select(a).where(a.c.story_id == story_id).order_by(a.c.id)).all()
        return [_article(r) for r in rows]

    def count_articles(self) -> int:
        with self.begin() as c:
            return int(c.execute(select(func.count()).select_from(t.articles)).scalar_one())

    # -- stories -------------------------------------------------------------------
    def save_story(self, conn: Connection, row: StoryRow) -> None:
        values = {f.name: getattr(row, f.name) for f in fields(StoryRow) if f.name != "id"}
        done = conn.execute(update(t.stories).where(t.stories.c.id == row.id).values(**values)).rowcount
        if not done:
            conn.execute(insert(t.stories).values(id=row.id, **values))

    def story(self, story_id: str) -> StoryRow | None:
        s = t.stories
        with self.begin() as c:
            row = c.execute(select(s).where(s.c.id == story_id)).first()
            for key in dict.fromkeys((story_id, story_id.lower())):  # ids are lower case; people type S3F2…
                if row is not None or len(key) < 4:
                    break
                # a unique prefix, as users type short ids; % and _ are literal (they matched any story)
                pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                rows = c.execute(select(s).where(s.c.id.like(pattern, escape="\\")).limit(2)).all()
                row = rows[0] if len(rows) == 1 else None
        return StoryRow(**row._mapping) if row else None

    def stories_since(self, since: datetime, limit: int = 200) -> list[StoryRow]:
        s = t.stories
        with self.begin() as c:
            rows = c.execute(select(s).where(s.c.updated_at >= since)
                             .order_by(s.c.first_seen.desc()).limit(limit)).all()
        return [StoryRow(**r._mapping) for r in rows]

    # -- search --------------------------------------------------------------------
    def search(self, query: str, limit: int = 10, offset: int = 0) -> list[SearchHit]:
        """Ranked full-text search over article titles and text (FTS5 on SQLite), in the query
        language of :mod:`bot.store.query`; ``offset`` skips that many of the best (paging)."""
        q = parse_query(query)
        if q.empty or limit <= 0:
            return []
        with self.begin() as c:
            if self.is_sqlite:
                rows = c.execute(text(
                    "SELECT a.*, bm25(articles_fts, 3.0, 1.0) AS rank FROM articles_fts "
                    "JOIN articles a ON a.id = articles_fts.rowid WHERE articles_fts MATCH :q "
                    "ORDER BY rank, a.id DESC LIMIT :n OFFSET :o"), {"q": q.fts5(), "n": limit, "o": offset}).all()
                return [SearchHit(_article(r), float(r.rank)) for r in rows]
            tsq, params = q.tsquery()
            rows = c.execute(text(  # PG_TSV matches the GIN index ix_articles_tsv
                f"SELECT a.*, ts_rank({PG_TSV}, {tsq}) AS rank FROM articles a "
                f"WHERE {PG_TSV} @@ {tsq} ORDER BY rank DESC, a.id DESC LIMIT :n OFFSET :o"),
                {**params, "n": limit, "o": offset}).all()
            return [SearchHit(_article(r), -float(r.rank)) for r in rows]


_HOME_PAGE = re.compile(r"^https?://[^/?#]+/?$")


def _url_key(x: Article) -> str | None:
    """The canonical URL as an article's identity; ``None`` for a site's home page."""
    return None if not x.canonical_url or _HOME_PAGE.match(x.canonical_url) else x.canonical_url


def _hash_key(x: Article) -> str | None:
    """The content hash as an identity; ``None`` when it hashes a title alone (no text)."""
    return x.content_hash if x.text else None


def _lock_keys(conn: Connection, keys: Sequence[str]) -> None:
    """Serialise concurrent inserts of the same URL/hash across workers (PostgreSQL, until commit).

    The dedupe in :meth:`Store.unknown` is read-then-insert; two workers storing the same
    article from two outlets at the same moment would both see it as new. Locks are taken
    in sorted order, so two transactions never wait on each other in a cycle.
    """
    ids = sorted({int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "big", signed=True)
                  for k in keys})
    conn.execute(text("SELECT count(pg_advisory_xact_lock(k)) FROM "
                      "(SELECT unnest(CAST(:ids AS bigint[])) AS k ORDER BY 1) AS s"), {"ids": ids})
