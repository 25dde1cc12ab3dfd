"""The window index computes what scoring would compute from the plain counts."""

from __future__ import annotations

import math
import random

import pytest

from bot.stories import Clusterer, ClusterItem
from bot.stories.scoring import Params, Scorer, shared_products, vector_terms
from tests.unit.stories.conftest import BACKGROUND, CLOUD_CHIPS, EARNINGS, item


def _stream(n: int = 80, seed: int = 5) -> list[ClusterItem]:
    rng = random.Random(seed)
    pool = [*BACKGROUND, *((t, x) for _, t, x in EARNINGS), CLOUD_CHIPS[1:]]
    out = []
    for i in range(n):
        title, text = rng.choice(pool)
        sentences = text.split(". ")
        rng.shuffle(sentences)
        out.append(item(f"a{i}", title, ". ".join(sentences[: rng.randint(1, len(sentences))]),
                        f"outlet{rng.randint(0, 4)}", hours=i * 0.2))
    return out


def test_story_vector_matches_the_scoring_formula(impl: str) -> None:
    """Norm and dot product from the arrays equal scoring's own sums over the dicts."""
    c = Clusterer()
    for it in _stream():
        c.add(it)
    index, scorer = c._index, Scorer(c._scorer.params)
    probe = _stream(3, seed=9)[-1]
    from bot.stories.text import extract

    feats = extract(probe.title, probe.text)
    ids = index.add_doc(feats.terms, math.inf)
    n_docs = len(c) + 1 + c._n_bg  # the window on top of the shipped background corpus
    idf = scorer.idf(index.df, n_docs)
    w = scorer.weights(feats, idf)
    assert scorer.weights(feats, idf, index.idf(ids, n_docs, idf.base)) == w
    dnorm = scorer.norm(w)
    assert index.weigh(feats.terms, ids, n_docs, idf.base) == (w, dnorm)  # what matching uses (also starts)
    index.start(ids, w)
    checked = checked_guard = 0
    for story in c._stories.values():
        n = len(story.members)
        snorm, dot, shared, largest = index.story_vector(story.terms, [m.ids for m in story.members.values()], n,
                                                         idf.base)
        args = (feats, w, dnorm, story.terms.profile, story.terms.core, story.names, story.lead, story.years, n, idf)
        fast = scorer.features(*args, snorm=snorm, dot=dot)
        plain = scorer.features(*args)
        assert fast == pytest.approx(plain, rel=1e-12, abs=1e-12)
        # the join guard's parts: exactly what Scorer.residual computes from the dicts
        parts = shared_products(w, vector_terms(story.terms.profile, story.terms.core, n), idf)
        assert (shared, largest) == (math.fsum(parts), max(parts) if parts else 0.0)
        assert scorer.leave_one_out(fast[0], shared, largest) == scorer.residual(
            w, fast[0], vector_terms(story.terms.profile, story.terms.core, n), idf)
        checked_guard += bool(parts)
        checked += n >= 3
    index.finish(ids)
    assert checked  # stories whose vector is ``core`` were covered too
    assert checked_guard  # and stories sharing terms with the probe


def test_untracked_postings_are_rebuilt_exactly() -> None:
    """A term too common to keep postings for gets them back, exact, when it is queried."""
    from bot.stories.index import WindowIndex
    from bot.stories.text import extract

    params = Scorer(Clusterer()._scorer.params).params
    docs = [extract(it.title, it.text) for it in _stream(40)]
    results = []
    for limit in (math.inf, 0.5):  # keep every term's postings / keep none
        index = WindowIndex()
        stories = [index.new_story(f"s{k}") for k in range(7)]
        got = []
        for k, f in enumerate(docs):
            ids = index.add_doc(f.terms, limit)
            w = {t: float(len(t) % 5 + 1) for t in f.terms}
            got.append(index.candidates(w, ids, math.log1p(k + 1) + 1.0, params))
            index.join(stories[k % 7], f.terms, ids)
        results.append(got)
    assert results[0] == results[1]
    assert any(len(c) > 1 for c in results[0])


def test_residual_leaves_out_the_largest_shared_term() -> None:
    """The cosine without the part of the largest shared term (the join guard's similarity)."""
    scorer = Scorer(Params(background=False))
    idf = scorer.idf({"ai": 1, "chip": 2, "ipo": 1}, 10)
    w = {"ai": 2.0, "chip": 1.0, "ipo": 3.0}
    # one shared term: nothing is left
    assert scorer.residual(w, 0.4, {"ai": 1}, idf) == 0.0
    assert scorer.residual(w, 0.0, {"other": 1}, idf) == 0.0
    # two shared terms: the smaller one's share of the dot product remains
    parts = {t: w[t] * idf(t) for t in ("ai", "chip")}
    share = parts["chip"] / (parts["ai"] + parts["chip"])
    assert scorer.residual(w, 0.5, {"ai": 1, "chip": 1, "gpu": 3}, idf) == pytest.approx(0.5 * share)
