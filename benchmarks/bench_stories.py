"""Throughput and memory of the story clusterer on 100,000 synthetic articles.

Run: ``.venv/bin/python benchmarks/bench_stories.py [--n 100000]``.

The stream imitates a busy deployment: 100,000 articles over 20 days (about 15,000
in a 72 h window), each event covered by 1-8 outlets within a day, articles of
60-200 words mixing Zipf-distributed background vocabulary with the event's own
names, numbers and words. Only ``Clusterer.add`` is timed; the last line prints
articles/s (wall clock, and per CPU-second, which a busy machine does not distort)
and peak RSS (MB). The line before says how well the synthetic events were recovered.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.stories import Clusterer, ClusterItem
from bot.stories.evaluate import score_clustering

SYLLABLES = ["ka", "to", "ri", "men", "sa", "lo", "ver", "an", "ti", "pol", "du", "ne", "gra", "sho", "bel", "quin"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n))


def articles(n: int, seed: int = 7) -> Iterator[tuple[ClusterItem, str]]:
    """Yield ``(item, event id)`` in arrival order."""
    rng = random.Random(seed)
    vocab = list(dict.fromkeys(_word(rng, rng.randint(2, 4)) for _ in range(30_000)))
    weights = [1.0 / (r + 1) for r in range(len(vocab))]
    span = 20 * 86400.0
    pending: list[tuple[float, int, int]] = []  # (time, event, outlet)
    events: list[tuple[list[str], list[str], list[str]]] = []
    made = 0
    while made < n:
        # open a new event, its coverage spread over the next day
        start = made / n * span
        names = [_word(rng, 2).capitalize() + " " + _word(rng, 3).capitalize() for _ in range(rng.randint(1, 3))]
        words = rng.choices(vocab[2000:], k=12)
        nums = [str(rng.randint(2, 999)) for _ in range(rng.randint(0, 3))]
        events.append((names, words, nums))
        k = min(n - made, max(1, min(8, int(rng.expovariate(1 / 2.5)) + 1)))
        for outlet in range(k):
            pending.append((start + rng.uniform(0, 86400.0), len(events) - 1, outlet))
        made += k
    pending.sort()
    for i, (at, ev, outlet) in enumerate(pending):
        names, words, nums = events[ev]
        body_len = rng.randint(60, 200)
        body = rng.choices(vocab, weights=weights, k=body_len)
        for w in rng.sample(words, 8) + names + nums:
            body.insert(rng.randrange(len(body) + 1), w)
        title = " ".join([names[0], *rng.sample(words, 4)]).capitalize()
        text = " ".join(body) + "."
        yield ClusterItem(str(i), title, text, f"outlet{outlet}", T0 + timedelta(seconds=at)), f"e{ev}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    c = Clusterer(window=timedelta(hours=72))
    truth: list[str] = []
    labels: list[str] = []
    busy = 0.0
    cpu = 0.0
    peak_window = 0
    for i, (it, ev) in enumerate(articles(args.n)):
        t, p = time.perf_counter(), time.process_time()
        labels.append(c.add(it).story_id)
        busy += time.perf_counter() - t
        cpu += time.process_time() - p
        truth.append(ev)
        peak_window = max(peak_window, len(c))
        if (i + 1) % 20_000 == 0:
            print(f"{i + 1} articles, {(i + 1) / busy:.0f}/s wall, {(i + 1) / cpu:.0f}/s CPU, "
                  f"{len(c)} in window, {len(c.story_ids)} stories", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = score_clustering(truth, labels)
    print(f"synthetic events: pairwise F1 {s.f1:.3f}, B3 F1 {s.bcubed_f1:.3f}; peak window {peak_window} articles")
    print(f"bench_stories: {args.n} articles, {args.n / busy:.0f} articles/s wall "
          f"({args.n / cpu:.0f}/s per CPU-second), peak RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
