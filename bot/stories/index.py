"""The clusterer's window index: document frequencies, postings, story vectors, candidates.

Why this shape: matching an article used to cost about a millisecond, most of it in
per-term dict look-ups: a story's norm depends on the window's IDF, which changes with
every article, so it was recomputed term by term for each candidate, and the candidate
search walked ~700 postings in Python. Here every term gets a small integer id while an
article in the window uses it, document frequencies also live in an array indexed by id,
a story keeps its term ids as an array (built when first needed after a change), so a
story norm is a few array operations; the candidate overlaps are one ``bincount``.
Counts are updated with C-level ``map``/``zip`` chains instead of Python loops.
:class:`CompiledIndex` does the same in C (``bot/stories/_core.c``, when built): what was left
of the cost here was per-term interpreter work and small numpy calls. :func:`new_index` picks.

Exactness (``Clusterer.restore`` must rebuild the state of an uninterrupted run): term
ids and story slots are recycled, so they depend on history, but no result does: sums
over a story's terms use ``math.fsum`` (exact, so order-free), a candidate's overlap adds
the query's weights in query order whatever its slot, and ties are broken by story id.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Iterable, Mapping
from functools import partial
from itertools import compress, repeat
from operator import add, eq, ge, is_not, not_, sub

import numpy as np

from bot.stories import _fast
from bot.stories.scoring import Params, Scorer, tf_idf

__all__ = ["CompiledIndex", "StoryTerms", "TermIds", "WindowIndex", "new_index"]

_I = np.int64
TermIds = np.ndarray | bytes  # an article's term ids: an array (WindowIndex) or int64 bytes (CompiledIndex)


def _consume(it: Iterable[object]) -> None:
    deque(it, maxlen=0)


_tracked = partial(is_not, None)


class StoryTerms:
    """A story's term counts: ``profile`` (term -> members using it) and ``core`` (those
    used by two or more), plus the id arrays of its vector, rebuilt lazily after a change."""

    __slots__ = ("_vec", "core", "profile", "slot")

    def __init__(self, slot: int) -> None:
        self.slot = slot
        self.profile: dict[str, int] = {}
        self.core: dict[str, int] = {}
        # WindowIndex: (ids, counts) arrays; CompiledIndex: the core's bytes of (id, count) pairs
        self._vec: tuple[np.ndarray, np.ndarray] | bytes | None = None


class _Slots:
    """Story slots: a story's place in the postings, recycled when it leaves the window."""

    def __init__(self) -> None:
        self._sids: list[str] = []  # slot -> story id
        self._slots: list[StoryTerms | None] = []  # slot -> story terms
        self._free_slots: list[int] = []

    def new_story(self, sid: str) -> StoryTerms:
        story = StoryTerms(self._free_slots.pop() if self._free_slots else len(self._sids))
        if story.slot == len(self._sids):
            self._sids.append(sid)
            self._slots.append(story)
        else:
            self._sids[story.slot] = sid
            self._slots[story.slot] = story
        return story

    def drop_story(self, story: StoryTerms) -> None:
        self._sids[story.slot] = ""
        self._slots[story.slot] = None
        self._free_slots.append(story.slot)


class WindowIndex(_Slots):
    """Document frequencies and postings of the articles in the window (the pure-Python
    reference; :class:`CompiledIndex` does the same in C).

    Postings (term id -> slots of the stories using it) are kept only for terms that could
    be query terms: a term used by more than ``track_limit`` articles (several times the
    query's cap) drops its postings, the bulk of the upkeep, and gets them back by a scan
    of the stories in the rare case that it is queried again. Whether a term is tracked
    changes the cost only, never a result.
    """

    def __init__(self, background: Mapping[str, int] | None = None) -> None:
        super().__init__()
        # term -> documents using it, the window's on top of the background corpus's (what scoring looks up)
        self._bg: Mapping[str, int] = background or {}
        self.df: dict[str, int] = dict(self._bg)
        self._tid: dict[str, int] = {}  # term -> id, while the window uses it
        self._free: list[int] = []
        self._dfa = np.zeros(4096, _I)  # id -> window df (what "too common" and postings go by)
        self._bga = np.zeros(4096, _I)  # id -> background df
        self._w = np.zeros(4096)  # id -> weight in the article being matched
        self._post: list[array[int] | None] = [None] * 4096  # id -> story slots; None: not tracked
        self._logs = np.zeros(0)  # k -> log1p(k), as Scorer.idf memoises it

    # -- documents ----------------------------------------------------------------------
    def add_doc(self, terms: Mapping[str, int], track_limit: float) -> np.ndarray:
        """Count an article in; return the ids of its terms (in ``terms`` order)."""
        tid = self._tid
        keys = list(terms)
        ids = list(map(tid.get, keys))
        if None in ids:
            free = self._free
            bg = self._bg.get
            for i in [i for i, x in enumerate(ids) if x is None]:
                n = free.pop() if free else self._grow()  # may replace _post and _bga
                tid[keys[i]] = ids[i] = n
                self._post[n] = array("q")
                self._bga[n] = bg(keys[i], 0)
        arr = np.array(ids, _I)
        dfa = self._dfa
        dfa[arr] += 1
        counts = dfa[arr]
        self.df.update(zip(keys, (counts + self._bga[arr]).tolist(), strict=True))
        if counts.size and counts.max() > track_limit:  # no terms: a text in a script we don't tokenise
            post = self._post
            for i in arr[counts > track_limit].tolist():
                if post[i] is not None:
                    post[i] = None
        return arr

    def remove_doc(self, terms: Mapping[str, int], ids: np.ndarray) -> None:
        """Count an article out (after :meth:`leave`)."""
        dfa = self._dfa
        dfa[ids] -= 1
        window = dfa[ids]
        left = window.tolist()
        df = self.df
        df.update(zip(terms, (window + self._bga[ids]).tolist(), strict=True))
        if 0 in left:
            tid, free, post, bg = self._tid, self._free, self._post, self._bg
            for t in compress(terms, map(not_, left)):
                if t not in bg:
                    del df[t]
                i = tid.pop(t)
                free.append(i)
                post[i] = None

    def _grow(self) -> int:
        n = len(self._tid) + len(self._free)
        size = len(self._dfa)
        if n >= size:
            self._dfa = np.concatenate([self._dfa, np.zeros(size, _I)])
            self._bga = np.concatenate([self._bga, np.zeros(size, _I)])
            self._w = np.concatenate([self._w, np.zeros(size)])
            self._post = self._post + [None] * size
            size *= 2
        self._free.extend(range(size - 1, n, -1))
        return n

    # -- stories ------------------------------------------------------------------------
    def join(self, story: StoryTerms, terms: Mapping[str, int], id_array: np.ndarray) -> None:
        """A member using ``terms`` (ids ``id_array``) joins ``story``."""
        ids = id_array.tolist()
        prof, core = story.profile, story.core
        if prof:
            old = list(map(prof.get, terms, repeat(0)))
            new = list(map(add, old, repeat(1)))
            prof.update(zip(terms, new, strict=True))
            core.update(zip(compress(terms, old), compress(new, old), strict=True))
            posts = filter(_tracked, map(self._post.__getitem__, compress(ids, map(not_, old))))
        else:  # the first member: all its terms are new to the story
            story.profile = dict.fromkeys(terms, 1)
            posts = filter(_tracked, map(self._post.__getitem__, ids))
        _consume(map(array.append, posts, repeat(story.slot)))
        story._vec = None

    def leave(self, story: StoryTerms, terms: Mapping[str, int], id_array: np.ndarray, last: bool) -> None:
        """A member using ``terms`` (ids ``id_array``) leaves ``story`` (``last``: its last one)."""
        ids = id_array.tolist()
        if last:  # the story goes: no counts to keep
            posts = filter(_tracked, map(self._post.__getitem__, ids))
            _consume(map(array.remove, posts, repeat(story.slot)))
            story.profile, story._vec = {}, None
            return
        prof, core = story.profile, story.core
        new = list(map(sub, map(prof.__getitem__, terms), repeat(1)))
        prof.update(zip(terms, new, strict=True))
        two = list(map(ge, new, repeat(2)))
        core.update(zip(compress(terms, two), compress(new, two), strict=True))
        _consume(map(core.__delitem__, compress(terms, map(eq, new, repeat(1)))))
        if 0 in new:
            gone = list(map(not_, new))
            _consume(map(prof.__delitem__, compress(terms, gone)))
            posts = filter(_tracked, map(self._post.__getitem__, compress(ids, gone)))
            _consume(map(array.remove, posts, repeat(story.slot)))
        story._vec = None

    def _postings(self, term: str, i: int) -> array[int]:
        """The slots of the stories using ``term`` (id ``i``), rebuilt by a scan if not tracked."""
        post = self._post[i]
        if post is None:
            post = self._post[i] = array("q", [s.slot for s in self._slots if s is not None and term in s.profile])
        return post

    def idf(self, ids: np.ndarray, n_docs: int, base: float) -> list[float]:
        """The IDF ``base - log1p(df)`` of terms (as :class:`bot.stories.scoring.Scorer` has it)."""
        if n_docs >= len(self._logs):
            self._logs = np.array([math.log1p(k) for k in range(2 * n_docs + 64)])
        return (base - self._logs[self._dfa[ids] + self._bga[ids]]).tolist()

    def weigh(self, terms: Mapping[str, int], ids: np.ndarray, n_docs: int, base: float) -> tuple[dict[str, float], float]:
        """``(w, norm)``: an article's TF-IDF weights (:func:`bot.stories.scoring.tf_idf`) and
        their norm, also spread by term id for matching it (:meth:`start`)."""
        w = tf_idf(terms, self.idf(ids, n_docs, base))
        self.start(ids, w)
        return w, Scorer.norm(w)

    def start(self, ids: np.ndarray, w: Mapping[str, float]) -> None:
        """Before matching an article: spread its weights ``w`` (in ``ids`` order) by term id."""
        self._w[ids] = list(w.values())

    def finish(self, ids: np.ndarray) -> None:
        self._w[ids] = 0.0

    def story_vector(self, story: StoryTerms, member_ids: Iterable[np.ndarray], n_members: int,
                     base: float) -> tuple[float, float, float, float]:
        """(norm of the story's vector, its dot product with the article's weights, and the join
        guard's sum and largest of :func:`bot.stories.scoring.shared_products`) under the current
        IDF ``base - log1p(df)``: what :meth:`bot.stories.scoring.Scorer.features` and
        :meth:`~bot.stories.scoring.Scorer.residual` compute from ``core`` (three members or more)
        or ``profile``. The guard's parts come with the vector because they are the same walk:
        computed apart, in Python, per candidate above the threshold, they were the clusterer's
        largest pure-Python cost."""
        vec = story._vec
        if vec is None:
            arrays = list(member_ids)
            if len(arrays) == 1:
                ids, counts = arrays[0], np.ones(len(arrays[0]), _I)
            else:
                ids, counts = np.unique(np.concatenate(arrays), return_counts=True)
                if n_members >= 3:  # the vector is ``core``
                    keep = counts >= 2
                    ids, counts = ids[keep], counts[keep]
            vec = story._vec = (ids, counts)
        ids, counts = vec
        idfs = base - self._logs[self._dfa[ids] + self._bga[ids]]
        x = counts * idfs
        w = self._w[ids]
        shared = w != 0.0  # the article's weights are IDFs, at least 1: zero means not the article's
        parts = (w[shared] * counts[shared]) * idfs[shared]  # shared_products: w * count * idf
        return (math.sqrt(math.fsum((x * x).tolist())) or 1.0, math.fsum((w * x).tolist()),
                math.fsum(parts.tolist()), float(parts.max()) if parts.size else 0.0)

    # -- candidate search ---------------------------------------------------------------
    def candidates(self, w: Mapping[str, float], ids: np.ndarray, base: float, params: Params,
                   n_background: int = 0) -> list[str]:
        """A few stories sharing the article's most distinctive terms, best first.

        The query is the article's ``params.query_terms`` heaviest terms that are not too
        common in the window (window counts only: they are what the postings hold); a story qualifies with at least ``min_overlap`` of the
        query's weight and ``min_relative`` of the best story's overlap.
        ``w`` is in the order of ``ids``; ``base`` is the IDF's ``log1p(n_docs) + 1``, ``n_docs``
        counting ``n_background`` background documents.
        """
        p = params
        cap = max(p.common_floor, p.common_df * (math.exp(base - 1.0) - 1.0 - n_background))
        rare = np.flatnonzero(self._dfa[ids] <= cap).tolist()
        keys, vals, idl = list(w), list(w.values()), ids.tolist()
        query = sorted([(-vals[i], keys[i], idl[i]) for i in rare])[: p.query_terms]
        post = self._post
        posts = [post[i] for _, _, i in query]
        if None in posts:
            posts = [p or self._postings(t, i) for p, (_, t, i) in zip(posts, query, strict=True)]
        lens = list(map(len, posts))
        hits = sum(lens)
        if not hits:
            return []
        slots = np.frombuffer(b"".join(posts), np.int64)  # arrays of slots: no int objects
        qw = [-q[0] for q in query]
        acc = np.bincount(slots, np.repeat(np.array(qw), lens))
        total = sum(qw)
        floor = max(p.min_overlap * total, p.min_relative * float(acc.max()))
        good = np.flatnonzero(acc >= floor)
        sids = self._sids
        ranked = sorted(zip((-acc[good]).tolist(), [sids[s] for s in good.tolist()], strict=True))
        return [s for _, s in ranked[: p.candidates]]


class CompiledIndex(_Slots):
    """:class:`WindowIndex` with its per-term work in C (``bot/stories/_core.c``): the same
    document frequencies (``df``), story profiles and cores, candidates and story vectors. Term
    ids are ``bytes`` of int64 here, opaque to the clusterer as the arrays are."""

    def __init__(self, background: Mapping[str, int] | None = None) -> None:
        super().__init__()
        assert _fast.core is not None
        self._c = _fast.core.Index(dict(background or {}), self._sids, self._slots)
        self.df: dict[str, int] = self._c.df

    def add_doc(self, terms: Mapping[str, int], track_limit: float) -> bytes:
        return self._c.add_doc(terms, track_limit)  # type: ignore[no-any-return]

    def remove_doc(self, terms: Mapping[str, int], ids: bytes) -> None:
        self._c.remove_doc(terms, ids)

    def join(self, story: StoryTerms, terms: Mapping[str, int], ids: bytes) -> None:
        self._c.join(story, terms, ids)

    def leave(self, story: StoryTerms, terms: Mapping[str, int], ids: bytes, last: bool) -> None:
        self._c.leave(story, terms, ids, last)

    def idf(self, ids: bytes, n_docs: int, base: float) -> list[float]:
        return self._c.idf(ids, n_docs, base)  # type: ignore[no-any-return]

    def weigh(self, terms: Mapping[str, int], ids: bytes, n_docs: int, base: float) -> tuple[dict[str, float], float]:
        return self._c.weigh(terms, ids, n_docs, base)  # type: ignore[no-any-return]

    def start(self, ids: bytes, w: Mapping[str, float]) -> None:
        self._c.start(ids, w)

    def finish(self, ids: bytes) -> None:
        self._c.finish(ids)

    def story_vector(self, story: StoryTerms, member_ids: Iterable[bytes], n_members: int,
                     base: float) -> tuple[float, float, float, float]:
        return self._c.story_vector(story, member_ids, n_members, base)  # type: ignore[no-any-return]

    def candidates(self, w: Mapping[str, float], ids: bytes, base: float, params: Params,
                   n_background: int = 0) -> list[str]:
        return self._c.candidates(w, ids, base, params, n_background)  # type: ignore[no-any-return]


def new_index(background: Mapping[str, int] | None = None) -> WindowIndex | CompiledIndex:
    """The compiled index when the story core is in use (``bot.stories._fast``), else the pure one."""
    return CompiledIndex(background) if _fast.core is not None else WindowIndex(background)
