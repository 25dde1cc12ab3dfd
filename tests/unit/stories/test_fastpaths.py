"""The compiled story core gives exactly what the pure-Python code gives.

``bot/stories/_core.c`` mirrors the extractor's token loop (``text._py_scan``, the ``_TOKEN``
regex), the window index (``index.WindowIndex``) and ``scoring._py_share_cover``. These pin
that the two agree token for token, dict for dict and bit for bit: on hostile text (NUL, lone
surrogates, astral and combining characters, other scripts' digits, 100k characters), under
hypothesis fuzzing, and over whole streams with window expiry, duplicates and restores, where
every assignment and the index state after each article (document frequencies, story profiles
and cores) are compared. Tests with ``impl`` run on each implementation; the others compare the
two directly and are skipped when the core is not built.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.stories import Clusterer, ClusterItem, index, scoring, text
from tests.unit.stories.conftest import BACKGROUND, CLOUD_CHIPS, EARNINGS, core_module, item, use

_PIECES = ["Nvidia ", "Jensen Huang ", "said. ", "The ", "Bank of Japan ", "0 ", "0,5 ", "1,234.5 ", "3D ", "x2 ",
           "rock’n’roll ", "company's ", "O'Neil ", "well-known ", "-x ", "x- ", "'s ", "’s ", "2'b ", "a'1 ",
           "İstanbul ", "K\u212a ", "Ⅻ ", "²³ ", "٣٤ ", "१२ ", "日本 ", "ข่าว ", "😀 ", "𝐀𝐁 ", "é ", "e\u0301 ", "ﬁ ",
           "\x00", "\ud800", "\udfff ", "\t", "\u00a0", "\u2028", "\n", ". ", "! ", "? ", ": ", "; ", '" ', "“", "” ",
           "( ", ") ", "_x_ ", "Ünïcödé ", "ΣΊΣΥΦΟΣ ", "Straße ", "U.S. ", "STG ", "Mr ", "s ", "News "]


def _texts(n: int = 300, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = ["".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 80))) for _ in range(n)]
    return [*out, "", " ", ".", "\x00", "\ud800", "A" * 100_000, ("Big Name " * 40 + ". ") * 300,
            "1" * 5000 + ",5", "x'" * 5000, "a-" * 5000 + "b"]


def _need_core() -> Any:
    core = core_module()
    if core is None:
        pytest.skip("the compiled story core (bot.stories._core) is not built here")
    return core


def _features(s: str, impl: str) -> tuple[list[tuple[str, int]], type, frozenset[str], frozenset[str], frozenset[str]]:
    with use(impl):
        terms, numbers, names, lead = text._scan(s, text._CACHE, text._fill)
    return list(terms.items()), type(terms), numbers, names, lead


def test_tokens_match_the_regex() -> None:
    core = _need_core()  # the tokeniser the compiled scan reads with
    for t in _texts():
        assert core.tokens(t) == text._TOKEN.findall(t)


def test_scan_matches_the_python_loop_on_hostile_text() -> None:
    _need_core()
    for t in _texts():
        assert _features(t, "compiled") == _features(t, "pure")  # same terms in the same order, same sets
    text._CACHE.clear()  # also with every token missing from the cache (``fill`` runs)
    for t in _texts(50, seed=8):
        text._CACHE.clear()
        got = _features(t, "compiled")
        text._CACHE.clear()
        assert got == _features(t, "pure")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=300), st.text(max_size=40))
def test_tokens_and_scan_agree_on_any_text(body: str, title: str) -> None:
    core = _need_core()
    s = title + "\n" + body
    assert core.tokens(s) == text._TOKEN.findall(s)
    assert _features(s, "compiled") == _features(s, "pure")
    with use("compiled"):
        fast = text.extract(title, body)
    with use("pure"):
        assert fast == text.extract(title, body)


def test_share_cover_is_bit_identical() -> None:
    core = _need_core()
    rng = random.Random(4)
    vocab = [f"t{i}" for i in range(40)] + ["Zed", "ä", "~x~y"]
    logs = [math.log1p(k) for k in range(200)]
    for _ in range(500):
        df = {t: rng.randint(0, 150) for t in rng.sample(vocab, 20)}
        idf = scoring.Idf(df, 150, logs)
        terms = rng.sample(vocab, rng.randint(0, 12))
        counts = {t: rng.randint(0, 5) for t in rng.sample(vocab, 15)}
        scale, empty = rng.choice([0.5, 1.0, 2 / 3, 0.25]), rng.choice([0.0, 0.5])
        assert core.share_cover(terms, counts, scale, idf, empty) == scoring._py_share_cover(terms, counts, scale, idf,
                                                                                             empty)
        assert core.share_cover(frozenset(terms), counts, scale, idf) == scoring._py_share_cover(terms, counts, scale, idf)


def test_features_are_bit_identical_on_random_stories() -> None:
    """Every feature, on random profiles: names missing from the story, ties in weight (the key
    names), phrases, years (and a year profile without the article's), one to five members."""
    core = _need_core()
    rng = random.Random(6)
    vocab = ["nvidia", "huang", "jensen~huang", "amazon", "aws~trainium", "2024", "1999", "2031", "22.1", "x~y~z",
             "bank", "japan", "bank~of~japan", "ueda", "tokyo", "20", "1", "ä~ö"]
    logs = [math.log1p(k) for k in range(200)]
    for _ in range(400):
        df = {t: rng.randint(0, 150) for t in rng.sample(vocab, 12)}
        idf = scoring.Idf(df, 150, logs)
        terms = {t: rng.randint(1, 3) for t in rng.sample(vocab, rng.randint(0, 10))}
        pick = [t for t in terms if rng.random() < 0.6]
        feats = text.Features(terms, frozenset(pick), frozenset(t for t in terms if t[0].isdigit()),
                              frozenset(t for t in pick if rng.random() < 0.5))
        w = {t: rng.choice([1.5, 2.0, 2.0, 3.25, rng.uniform(1, 9)]) for t in terms}
        n = rng.randint(1, 5)
        prof = {t: rng.randint(1, n) for t in rng.sample(vocab, rng.randint(0, 12))}
        core_prof = {t: c for t, c in prof.items() if c >= 2}
        names = {t: rng.randint(1, n) for t in rng.sample(vocab, rng.randint(0, 6))}
        lead = {t: rng.randint(1, n) for t in rng.sample(vocab, rng.randint(0, 6))}
        years = {t: 1 for t in rng.sample(["1999", "2024", "2031"], rng.randint(0, 2))}
        args = (feats, w, rng.uniform(1, 20), rng.uniform(1, 20), rng.uniform(0, 50), prof, core_prof, names, lead,
                years, n, idf)
        assert core.features(*args) == scoring._py_features(*args)


def _stream(n: int = 160, seed: int = 11) -> list[ClusterItem]:
    """Real news sentences shuffled into articles, plus hostile ones, 20 minutes apart (the 3 h
    window below expires members and whole stories), with repeated URLs and ids."""
    rng = random.Random(seed)
    pool = [*BACKGROUND, *((t, x) for _, t, x in EARNINGS), CLOUD_CHIPS[1:]]
    out = []
    for i in range(n):
        if i % 17 == 5:
            out.append(item(f"h{i}", rng.choice(_texts(20, seed=i)), rng.choice(_texts(20, seed=i + 1)),
                            rng.choice(["x", None]), hours=i / 3))
            continue
        title, body = rng.choice(pool)
        sentences = body.split(". ")
        rng.shuffle(sentences)
        url = f"https://example.com/{rng.randint(0, 30)}" if rng.random() < 0.3 else None
        out.append(item(f"a{i}", title, ". ".join(sentences[: rng.randint(1, len(sentences))]),
                        f"outlet{rng.randint(0, 4)}", hours=i / 3, url=url))
        if i % 23 == 0:
            out.append(out[rng.randrange(len(out))])  # an id already seen
    return out


def _state(c: Clusterer) -> tuple[object, ...]:
    """Everything the index keeps that a result can depend on."""
    stories = sorted((sid, dict(s.terms.profile), dict(s.terms.core), list(s.members)) for sid, s in c._stories.items())
    return dict(c._index.df), stories


def _run(impl: str, stream: list[ClusterItem], window: timedelta) -> list[tuple[object, ...]]:
    with use(impl):
        c = Clusterer(window=window)
        return [(c.add(it), _state(c)) for it in stream]


def test_whole_streams_give_the_same_assignments_and_index_state() -> None:
    _need_core()
    stream = _stream()
    for window in (timedelta(hours=3), timedelta(hours=72)):
        pure, fast = _run("pure", stream, window), _run("compiled", stream, window)
        assert len(pure) == len(fast)
        for k, (a, b) in enumerate(zip(pure, fast, strict=True)):
            assert a == b, f"article {k} ({stream[k].id})"
        assert len({a.story_id for a, _ in pure}) > 5 and any(a.duplicate_of for a, _ in pure)


def test_candidate_features_are_bit_identical() -> None:
    """The feature rows (what the decision and ``tune`` see) agree to the last bit, not just the
    decisions."""
    _need_core()
    stream = _stream(80, seed=2)
    rows = {}
    for impl in ("pure", "compiled"):
        with use(impl):
            c = Clusterer(window=timedelta(hours=6))
            got = []
            for it in stream:
                if it.id in c._members:
                    continue
                feats = text.extract(it.title, it.text)
                c._advance(it)
                c._expire()
                ids = c._index.add_doc(feats.terms, c._track_limit())
                m = c._candidates(feats, ids)
                got.append((m.rows, m.guard, m.w, m.dnorm))
                c._insert(it, feats, ids, m.rows[0][0] if m.rows else f"new-{it.id}", it.published_at.timestamp())
            rows[impl] = got
    assert rows["pure"] == rows["compiled"]
    assert sum(len(r) for r, _, _, _ in rows["pure"]) > 50


@pytest.mark.parametrize("limit", [math.inf, 0.5, 3.0])
def test_untracked_postings_and_weights_agree(limit: float) -> None:
    """Candidates with every term's postings kept, none, or some (rebuilt by a scan when queried),
    and the article weights, agree between the two indexes."""
    with use("compiled"):  # CompiledIndex runs on the core that _fast holds (None under SIGNALS_PURE_PYTHON)
        params = scoring.Params()
        docs = [text.extract(it.title, it.text) for it in _stream(60, seed=3)]
        got = []
        for cls in (index.WindowIndex, index.CompiledIndex):
            idx = cls()
            stories = [idx.new_story(f"s{k}") for k in range(7)]
            members: list[list[Any]] = [[] for _ in stories]
            out = []
            for k, f in enumerate(docs):
                ids = idx.add_doc(f.terms, limit)
                base = math.log1p(k + 1) + 1.0
                w, dnorm = idx.weigh(f.terms, ids, k + 1, base)
                vectors = [idx.story_vector(s, m, len(m), base) for s, m in zip(stories, members, strict=True) if m]
                out.append((w, dnorm, idx.candidates(w, ids, base, params), vectors))
                idx.finish(ids)
                idx.join(stories[k % 7], f.terms, ids)
                members[k % 7].append(ids)
                if k % 5 == 4 and len(members[k % 7]) > 1:  # and some leave again
                    idx.leave(stories[k % 7], f.terms, members[k % 7].pop(), last=False)
                    idx.remove_doc(f.terms, ids)
            got.append(out)
        assert got[0] == got[1]
        assert any(len(c) > 1 for _, _, c, _ in got[0]) and any(len(m) >= 3 for m in members)


def test_scan_counts_equal_terms_held_by_distinct_objects() -> None:
    """The core counts terms by address first; a cache whose equal terms are distinct (not
    interned) objects must still give Counter's counts, keys and order."""
    _need_core()
    one, two = "".join(["chi", "p"]), "".join(["ch", "ip"])
    assert one == two and one is not two
    for s in ("Chip chip x chip. Chip", "x chip Chip", "chip", "Chip Chip chip x"):
        got = []
        for impl in ("pure", "compiled"):
            cache = {"Chip": (1, one), "chip": (2, two), "x": (2, None)}
            with use(impl):
                terms, numbers, names, lead = text._scan(s, cache, text._fill)
            got.append((list(terms.items()), type(terms), [id(k) for k in terms], numbers, names, lead))
        assert got[0] == got[1]


def test_compiled_story_vector_is_kept_until_a_member_changes() -> None:
    """The core keeps a story's counted vector between calls; after every join and leave it
    equals a fresh count from the members' ids."""
    _need_core()
    with use("compiled"):
        docs = [text.extract(it.title, it.text) for it in _stream(50, seed=4)]
        idx = index.CompiledIndex()
        stories = [idx.new_story(f"s{k}") for k in range(4)]
        members: list[list[Any]] = [[] for _ in stories]
        for k, f in enumerate(docs):
            ids = idx.add_doc(f.terms, math.inf)
            base = math.log1p(k + 1) + 1.0
            idx.weigh(f.terms, ids, k + 1, base)
            for s, m in zip(stories, members, strict=True):
                if m:
                    kept = idx.story_vector(s, m, len(m), base)
                    assert s._vec is not None and idx.story_vector(s, [], len(m), base) == kept  # not recounted
                    s._vec = None
                    assert idx.story_vector(s, m, len(m), base) == kept
            idx.finish(ids)
            idx.join(stories[k % 4], f.terms, ids)
            assert stories[k % 4]._vec is None
            members[k % 4].append(ids)
            if k % 3 == 2 and len(members[k % 4]) > 2:
                idx.leave(stories[k % 4], f.terms, members[k % 4].pop(), last=False)
                idx.remove_doc(f.terms, ids)
                assert stories[k % 4]._vec is None
        assert any(len(m) >= 3 for m in members)


def test_compiled_index_rejects_bad_input_without_crashing() -> None:
    core = _need_core()
    with use("compiled"):  # CompiledIndex runs on the core that _fast holds (None under SIGNALS_PURE_PYTHON)
        idx = index.CompiledIndex()
        ids = idx.add_doc({"alpha": 1, "beta": 2}, math.inf)
        story = idx.new_story("s1")
        for bad in (b"", b"\x00" * 7, (10**6).to_bytes(8, "little"), (-1).to_bytes(8, "little", signed=True) * 2,
                    "ab", None, [0, 1]):
            with pytest.raises((TypeError, ValueError)):
                idx.join(story, {"alpha": 1, "beta": 2}, bad)
            with pytest.raises((TypeError, ValueError)):
                idx.remove_doc({"alpha": 1, "beta": 2}, bad)
            if bad != b"":  # (an article without terms is a valid member)
                with pytest.raises((TypeError, ValueError)):
                    idx.story_vector(story, [ids, bad], 2, 2.0)
        with pytest.raises(TypeError):
            idx.add_doc(["alpha"], math.inf)
        with pytest.raises(ValueError):
            idx.join(story, {"alpha": 1}, ids)  # fewer terms than ids
        with pytest.raises(KeyError):
            idx.leave(story, {"alpha": 1, "beta": 2}, ids, False)  # never joined
        with pytest.raises(TypeError):
            core.scan("x", {"x": "not a pair"}, text._fill)
        with pytest.raises(ZeroDivisionError):
            core.scan("x", {}, lambda tok: 1 / 0)
        idx.join(story, {"alpha": 1, "beta": 2}, ids)  # still usable after the errors
        assert story.profile == {"alpha": 1, "beta": 1} and idx.df == {"alpha": 1, "beta": 1}


def test_assignments_do_not_depend_on_hash_seed_or_implementation() -> None:
    code = (
        "from tests.unit.stories.test_fastpaths import _stream\n"
        "from datetime import timedelta\n"
        "from bot.stories import Clusterer, _fast\n"
        "c = Clusterer(window=timedelta(hours=3))\n"
        "print(_fast.COMPILED, [c.add(i) for i in _stream(90)])\n"
    )
    outs = set()
    for pure in ("1", ""):
        for seed in ("1", "2"):
            env = {**os.environ, "PYTHONHASHSEED": seed, "SIGNALS_PURE_PYTHON": pure}
            p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            compiled, out = p.stdout.split(" ", 1)
            assert compiled == str(not pure and core_module() is not None)
            outs.add(out)
    assert len(outs) == 1
