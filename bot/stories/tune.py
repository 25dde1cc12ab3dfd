"""Choose the feature weights and join threshold of :class:`~bot.stories.scoring.Params`.

Run ``python -m bot.stories.tune ../shared/data/ecbplus/docs.csv``. Nothing here runs
in the bot; the numbers it prints are copied into ``Params`` by hand.

1. Replay the articles in file order with the *true* stories (teacher forcing) and record
   the features of each article against its candidate stories; label = right story.
2. Fit a logistic regression (scikit-learn) on these rows: its coefficients are the
   weights, and ``-intercept`` a first threshold.
3. Pick the join threshold by streaming the training topics through the real clusterer
   and maximising pairwise F1 + B-cubed F1.

Step 2 and 3 run inside a grouped K-fold over *topics* (the held-out data has other
topics), and the fold scores on unseen topics are printed: those are the honest figures.
The final numbers are refitted on all topics.
"""

from __future__ import annotations

import argparse
import csv
import functools
import sys
from collections.abc import Sequence

from bot.stories import clusterer as _clusterer
from bot.stories.clusterer import Clusterer, ClusterItem
from bot.stories.evaluate import load_items, run
from bot.stories.scoring import FEATURES, Params
from bot.stories.text import extract

OFFSETS = [x / 4 for x in range(-6, 7)]  # thresholds tried around the regression's own


def teacher_rows(items: Sequence[ClusterItem], truth: Sequence[str]) -> tuple[list[list[float]], list[int]]:
    c = Clusterer(params=Params(candidates=8))
    xs: list[list[float]] = []
    ys: list[int] = []
    for it, y in zip(items, truth, strict=True):
        feats = _clusterer.extract(it.title, it.text)
        ids = c._index.add_doc(feats.terms, c._track_limit())
        for sid, x in c._candidates(feats, ids).rows:  # the rows the streaming decision sees
            xs.append(list(x))
            ys.append(int(sid == y))
        c._insert(it, feats, ids, y, 0.0)
    return xs, ys


def fit(items: Sequence[ClusterItem], truth: Sequence[str], c_reg: float) -> Params:
    from sklearn.linear_model import LogisticRegression

    xs, ys = teacher_rows(items, truth)
    lr = LogisticRegression(C=c_reg, max_iter=2000).fit(xs, ys)
    weights = tuple(round(float(w), 3) for w in lr.coef_[0])
    best = (-1.0, 0.0)
    th0 = -float(lr.intercept_[0])
    for th in (round(th0 + d, 3) for d in OFFSETS):
        s = run(items, truth, Params(weights=weights, threshold=th))
        best = max(best, (s.f1 + s.bcubed_f1, th))
    return Params(weights=weights, threshold=best[1])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot.stories.tune", description=__doc__.split("\n")[0])
    ap.add_argument("path", help="ECB+ docs.csv (columns doc_id, topic, cluster, text)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--C", type=float, default=1.0, dest="c_reg", help="inverse L2 strength")
    args = ap.parse_args(argv)
    _clusterer.extract = functools.cache(extract)  # the runs below re-read the same articles
    items, truth = load_items(args.path)
    with open(args.path, encoding="utf-8", newline="") as fh:
        topics = [r["topic"] for r in csv.DictReader(fh)]
    order = sorted(set(topics), key=lambda t: (len(t), t))
    f1s, b3s = [], []
    for k in range(args.folds):
        test = {t for i, t in enumerate(order) if i % args.folds == k}
        tr = [i for i, t in enumerate(topics) if t not in test]
        te = [i for i, t in enumerate(topics) if t in test]
        p = fit([items[i] for i in tr], [truth[i] for i in tr], args.c_reg)
        s = run([items[i] for i in te], [truth[i] for i in te], p)
        f1s.append(s.f1)
        b3s.append(s.bcubed_f1)
        print(f"fold {k}: test topics {sorted(test, key=int)} threshold {p.threshold:+.2f} -> {s.line()}")
    print(f"cross-validated over topics: pairwise F1 {sum(f1s) / len(f1s):.3f}, B3 F1 {sum(b3s) / len(b3s):.3f}")
    final = fit(items, truth, args.c_reg)
    print("features:", ", ".join(FEATURES))
    print(f"weights={final.weights} threshold={final.threshold}")
    print("all topics (in-sample):", run(items, truth, final).line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
