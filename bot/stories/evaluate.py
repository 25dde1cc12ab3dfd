"""Measure the clusterer against labelled events: ``signals eval stories PATH.csv``.

The CSV has ``text`` and ``cluster`` (the true event) and optionally ``title``,
``source``, ``published_at`` and ``id``/``doc_id``. Rows are streamed in file order
through the same :class:`~bot.stories.Clusterer` the pipeline uses. Without a title the
first line of the text (200 characters at most) is used, as feeds often do.

Reported: pairwise precision/recall/F1 over article pairs, B-cubed F1, adjusted Rand
index and articles/s.
"""

from __future__ import annotations

import csv
import math
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.errors import CommandError
from bot.stories.clusterer import Clusterer, ClusterItem
from bot.stories.jsonl import parse_time
from bot.stories.scoring import Params

__all__ = ["Scores", "load_items", "main", "run", "score_clustering"]


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    bcubed_f1: float
    ari: float
    n_items: int
    n_stories: int
    n_events: int
    per_second: float = 0.0

    def line(self) -> str:
        return (f"pairwise P {self.precision:.3f} R {self.recall:.3f} F1 {self.f1:.3f} | "
                f"B3 F1 {self.bcubed_f1:.3f} | ARI {self.ari:.3f} | {self.n_stories} stories for "
                f"{self.n_events} events, {self.n_items} articles | {self.per_second:.0f} articles/s")


def _pairs(n: int) -> float:
    return n * (n - 1) / 2


def score_clustering(truth: Sequence[str], predicted: Sequence[str], per_second: float = 0.0) -> Scores:
    """Pairwise P/R/F1, B-cubed F1 and ARI of ``predicted`` labels against ``truth``."""
    if len(truth) != len(predicted) or not truth:
        raise ValueError("truth and predicted must be non-empty and of equal length")
    joint = Counter(zip(truth, predicted, strict=True))
    true_sizes = Counter(truth)
    pred_sizes = Counter(predicted)
    tp = sum(_pairs(c) for c in joint.values())
    same_true = sum(_pairs(c) for c in true_sizes.values())
    same_pred = sum(_pairs(c) for c in pred_sizes.values())
    p = tp / same_pred if same_pred else 1.0
    r = tp / same_true if same_true else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    n = len(truth)
    bp = sum(c * c / pred_sizes[k[1]] for k, c in joint.items()) / n
    br = sum(c * c / true_sizes[k[0]] for k, c in joint.items()) / n
    b3 = 2 * bp * br / (bp + br) if bp + br else 0.0
    expected = same_true * same_pred / _pairs(n) if n > 1 else 0.0
    top = (same_true + same_pred) / 2 - expected
    ari = (tp - expected) / top if top else 1.0
    return Scores(p, r, f, b3, ari, n, len(pred_sizes), len(true_sizes), per_second)


def _parse_time(value: str | None) -> datetime | None:
    try:
        return parse_time(value)
    except ValueError:
        return None


def load_items(path: str | Path) -> tuple[list[ClusterItem], list[str]]:
    """Read a labelled CSV into cluster items and their true event labels."""
    csv.field_size_limit(2**31 - 1)
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    if not rows or "text" not in rows[0] or "cluster" not in rows[0]:
        raise CommandError(f"{path}: expected a CSV with columns text and cluster")
    items, truth = [], []
    for i, r in enumerate(rows):
        text = r["text"] or ""
        title = r.get("title") or text.split("\n", 1)[0][:200]
        rid = r.get("id") or r.get("doc_id") or str(i)
        items.append(ClusterItem(rid, title, text, r.get("source") or None, _parse_time(r.get("published_at")), None))
        truth.append(r["cluster"])
    return items, truth


def run(items: Sequence[ClusterItem], truth: Sequence[str], params: Params | None = None) -> Scores:
    """Stream ``items`` through a fresh clusterer and score the result."""
    clusterer = Clusterer(params=params)
    t0 = time.perf_counter()
    labels = [clusterer.add(it).story_id for it in items]
    dt = time.perf_counter() - t0
    return score_clustering(truth, labels, len(items) / dt if dt > 0 else math.inf)


def main(path: str) -> int:
    """Entry point of ``signals eval stories PATH.csv``; prints the figures, returns 0."""
    items, truth = load_items(path)
    scores = run(items, truth)
    print(scores.line())
    sys.stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover - convenience for development
    sys.exit(main(sys.argv[1]))
