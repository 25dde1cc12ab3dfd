"""How well the clusterer's similarity tracks people's: the Lee et al. (2005) news pairs.

Run ``python -m bot.stories.calibrate ../shared/data/lee``. The 50 articles of
``lee.cor`` form the window (their document frequencies give the IDF); for each of the
1,225 rated pairs we compute

* ``cosine``: the TF-IDF cosine the clusterer uses (article against a one-article story),
* ``p_same``: the clusterer's join score for that pair, squashed to 0-1 with a logistic
  around the join threshold (the model's belief that both report one event),

and print Pearson and Spearman correlations with the mean human rating. Human ratings
measure topical relatedness, so ``cosine`` is expected to track them better than
``p_same``, which is built to say "same event" only.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.stories.scoring import Params, Scorer, is_year
from bot.stories.text import Features, extract

__all__ = ["main", "pair_scores"]


def _pearson(x: Sequence[float], y: Sequence[float]) -> float:
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else 0.0


def _ranks(x: Sequence[float]) -> list[float]:
    order = sorted(range(len(x)), key=lambda i: x[i])
    ranks = [0.0] * len(x)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def _as_story(f: Features) -> tuple[dict[str, int], ...]:
    one = dict.fromkeys
    return one(f.terms, 1), {}, one(f.names, 1), one(f.lead, 1), one((t for t in f.numbers if is_year(t)), 1)


def pair_scores(docs: Sequence[str], pairs: Sequence[tuple[int, int]],
                params: Params | None = None) -> tuple[list[float], list[float]]:
    """``(cosine, p_same)`` for each pair of documents (the first line of each is its title)."""
    scorer = Scorer(params or Params())
    feats = [extract(d.split(". ", 1)[0][:200], d) for d in docs]
    n_bg = scorer.n_background
    df: dict[str, int] = dict(scorer.background)  # as the clusterer counts: background plus the window
    for f in feats:
        for t in f.terms:
            df[t] = df.get(t, 0) + 1
    idf = scorer.idf(df, len(docs) + n_bg)
    weights = [scorer.weights(f, idf) for f in feats]
    norms = [scorer.norm(w) for w in weights]
    cos, p_same = [], []
    for i, j in pairs:
        story = _as_story(feats[j])
        fv = scorer.features(feats[i], weights[i], norms[i], *story, 1, idf)
        cos.append(fv[0])
        z = scorer.score(fv) - scorer.params.threshold
        p_same.append(1.0 / (1.0 + math.exp(-z)))
    return cos, p_same


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot.stories.calibrate", description=__doc__.split("\n")[0])
    ap.add_argument("path", help="folder with lee.cor and lee_pairs.csv")
    args = ap.parse_args(argv)
    folder = Path(args.path)
    docs = [line.strip() for line in (folder / "lee.cor").read_text(encoding="latin-1").splitlines() if line.strip()]
    with open(folder / "lee_pairs.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    pairs = [(int(r["doc_i"]), int(r["doc_j"])) for r in rows]
    human = [float(r["human_similarity"]) for r in rows]
    cos, p_same = pair_scores(docs, pairs)
    for name, xs in (("cosine", cos), ("p_same", p_same)):
        print(f"lee: {name:7s} Pearson {_pearson(xs, human):.3f} Spearman {_pearson(_ranks(xs), _ranks(human)):.3f} "
              f"({len(pairs)} pairs, {len(docs)} articles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
