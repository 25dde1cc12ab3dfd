"""Search latency at scale: seed N articles (default 100,000) into SQLite, run 200 queries
through ``Store.search`` (the code ``/signals search`` and ``signals search`` use), and print
p50/p99 in ms on the last line. Goal: p99 < 300 ms at 100k articles.

Text is synthetic: a Zipf-distributed vocabulary (a few very common words, a long tail),
so queries mix terms that match half the corpus with rare ones, like real news search.

    .venv/bin/python benchmarks/bench_search.py [--articles 100000] [--queries 200] [--db PATH]
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bot.commands.search import search_articles
from bot.store import Store
from bot.store import schema as t

NEWS = ["nvidia", "openai", "apple", "google", "microsoft", "amazon", "tesla", "meta", "chips", "earnings", "revenue", "profit", "merger", "acquisition", "funding", "startup", "regulation", "court", "lawsuit", "security", "breach", "ransomware", "layoffs", "ceo", "launch", "model", "ai", "cloud", "bank", "rates", "inflation", "election", "minister", "climate", "energy", "oil", "gas", "market", "shares", "billion", "million", "deal"]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words = list(NEWS)
    while len(words) < size:
        words.append("".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 10))))
    return words


def seed(store: Store, n: int, rng: random.Random, vocab: list[str], weights: list[float]) -> float:
    start = time.perf_counter()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    batch = 5000
    for lo in range(0, n, batch):
        rows = []
        for i in range(lo, min(n, lo + batch)):
            words = rng.choices(vocab, cum_weights=weights, k=130)
            title, text = " ".join(words[:10]).capitalize(), " ".join(words[10:])
            rows.append({"source": f"src{i % 200}", "guid": f"g{i}", "url": f"https://news{i % 200}.example/{i}",
                         "canonical_url": f"https://news{i % 200}.example/{i}", "title": title, "text": text,
                         "published_at": base + timedelta(minutes=i), "fetched_at": base + timedelta(minutes=i),
                         "content_hash": f"{i:016x}", "story_id": f"story{i // 3}", "processed": True})
        with store.begin() as c:
            c.execute(insert(t.articles), rows)
    return time.perf_counter() - start


def timed(fn: Callable[[str], object], queries: list[str]) -> list[float]:
    out = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def pct(sorted_ms: list[float], p: int) -> float:
    if p == 50:
        return statistics.median(sorted_ms)
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p / 100))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--baseline", type=int, default=40, help="queries also run through Store.search")
    ap.add_argument("--db", default=None, help="reuse/keep this SQLite file (default: a temp file)")
    args = ap.parse_args()
    rng = random.Random(7)
    vocab = vocabulary(rng, 30_000)
    acc, weights = 0.0, []
    for rank in range(1, len(vocab) + 1):
        acc += 1 / rank
        weights.append(acc)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "bench.db"
        store = Store.open(f"sqlite:///{path}")
        have = store.count_articles()
        if have < args.articles:
            secs = seed(store, args.articles - have, rng, vocab, weights)
            print(f"seeded {args.articles - have} articles in {secs:.1f}s")
        queries = []
        for _ in range(args.queries):
            k = rng.choice([1, 1, 2, 2, 3])
            pool = vocab[:60] if rng.random() < 0.5 else vocab[:5000]  # half common-word queries
            queries.append(" ".join(rng.sample(pool, k)))
        search_articles(store, "warm up")
        base = timed(lambda q: store.search(q, limit=10), queries[: args.baseline])
        print(f"baseline Store.search (bm25 over every match), {args.baseline} queries: "
              f"p50_ms={pct(base, 50):.1f} p99_ms={pct(base, 99):.1f}")
        times = timed(lambda q: search_articles(store, q, limit=10), queries)
        p50, p99 = pct(times, 50), pct(times, 99)
        print(f"search_articles (used by /signals search): max {times[-1]:.1f} ms")
        print(f"articles={store.count_articles()} queries={len(queries)} p50_ms={p50:.1f} p99_ms={p99:.1f} "
              f"goal_p99_ms=300 {'ok' if p99 < 300 else 'FAIL'}")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
