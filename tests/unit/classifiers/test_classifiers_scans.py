"""Cheaper scans give exactly what the formulations they replaced gave.

``signals classify`` must score 2,000 articles a second on one core, so scans that cost more than
they need were narrowed (see ``docs/measurements.md``: instructions per article under callgrind).
These pin that each still answers as its plain formulation: the hyphenated compounds of the
fill-word tags.
"""

from __future__ import annotations

import random

from classifiers.tags import _COMPOUND, _compounds

_PIECES = ["zero-day", "-", "--", "a-b-c", "well-known ", "x_y-z", "_-a", "9-11", "\u2028", "\x1c", "\t-", "é-è",
           "naïve-ish ", "日本-語", " ", "\n", "abc", "ABC-", "-def", "co-op's", "’", "Ã©-t", "\u212a-x",
           "state-of-the-art", "İ", "x", "1.5", "\u00a0-", "-\u3000"]


def _texts(n: int = 600) -> list[str]:
    rng = random.Random(11)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 50))) for _ in range(n)]


def test_compounds_are_found_as_by_the_pattern_over_the_whole_text() -> None:
    for t in [*_texts(), "", "-", "a-", "-a", "a-b", "x" * 500 + "-y", "ab_cd-ef", "1-2-3 4-5", "a-\x1cb-c", "a\u3000-b"]:
        for s in (t, t.lower()):
            assert _compounds(s) == _COMPOUND.findall(s)

