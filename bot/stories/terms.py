"""Integer ids and document frequencies of the window's terms, mirrored in numpy.

The story vectors (cosine, norms) are scored with numpy over integer term ids instead
of per-term Python dict look-ups. Ids are recycled when a term leaves the window, so
they depend on history; every sum over them is therefore taken with ``math.fsum`` (exact,
independent of order), which keeps a restored clusterer bit-identical to an
uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["TermTable"]


class TermTable:
    """``df`` (term -> articles in the window using it) and ``dfa`` (the same by id)."""

    __slots__ = ("_free", "_next", "df", "dfa", "ids")

    def __init__(self) -> None:
        self.df: dict[str, int] = {}
        self.ids: dict[str, int] = {}
        self.dfa = np.zeros(4096, dtype=np.int64)
        self._free: list[int] = []
        self._next = 0

    def add(self, terms: Iterable[str]) -> np.ndarray:
        """Count one article's distinct ``terms``; return their ids in the same order."""
        df, ids, free = self.df, self.ids, self._free
        out: list[int] = []
        for t in terms:
            c = df.get(t)
            if c is None:
                df[t] = 1
                if free:
                    i = free.pop()
                else:
                    i = self._next
                    self._next += 1
                ids[t] = i
                out.append(i)
            else:
                df[t] = c + 1
                out.append(ids[t])
        arr = np.array(out, dtype=np.int64)
        if self._next > len(self.dfa):
            grown = np.zeros(max(self._next, 2 * len(self.dfa)), dtype=np.int64)
            grown[: len(self.dfa)] = self.dfa
            self.dfa = grown
        self.dfa[arr] += 1
        return arr

    def remove(self, terms: Iterable[str], arr: np.ndarray) -> None:
        """Forget one article's terms (``arr``: the ids :meth:`add` returned)."""
        self.dfa[arr] -= 1
        df, ids, free = self.df, self.ids, self._free
        for t in terms:
            c = df[t] - 1
            if c:
                df[t] = c
            else:
                del df[t]
                free.append(ids.pop(t))
