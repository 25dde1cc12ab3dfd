"""Full scoring of 10,000 BBC-length articles through ``signals classify``'s own code path.

Articles come from ``../shared/data/bbc_news_summary`` when present (a developer's checkout),
else are synthesised from the repository's demo feed pages, repeated to BBC length (~2,300
characters). Five topics are configured, as a real deployment would. Runs on one core.

Last line: articles/s, model load s, model size MB, peak RSS MB (and CPU-seconds per 1k
articles, which is stable when the machine is busy). ``--n`` scores fewer or more articles: the
difference of two callgrind runs (e.g. 1,200 and 200) is the per-article cost without start-up.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
N = 10_000


def articles(n: int = N) -> list[dict[str, str]]:
    shared = ROOT.parent / "shared" / "data" / "bbc_news_summary" / "bbc_news_summary.csv"
    if shared.exists():
        csv.field_size_limit(10**9)
        with shared.open(encoding="utf-8") as f:
            base = [{"title": r["title"], "text": r["article"]} for r in csv.DictReader(f)]
    else:
        texts = []
        for p in sorted((ROOT / "bot" / "demo").rglob("*.htm*")) + sorted((ROOT / "bot" / "demo").rglob("*.xml")):
            t = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", p.read_text(encoding="utf-8", errors="ignore")))
            if len(t) > 200:
                texts.append(t)
        texts = texts or ["Markets rose on Monday after the central bank held interest rates. " * 10]
        base = [{"title": t[:80], "text": (t + " ") * max(1, 2300 // len(t) + 1)} for t in texts]
        base = [{"title": b["title"], "text": b["text"][:2300]} for b in base]
    return [{"id": str(i), **base[i % len(base)]} for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=N, help=f"articles to score (default {N:,})")
    n_docs = ap.parse_args().n
    from bot.cli.classify import stream
    from classifiers import Scorer, TopicSpec
    from classifiers.models import MODEL_DIR

    topics = [TopicSpec("energy", ["oil", "opec", "crude"]), TopicSpec("chips", ["gpu", "semiconductor", "nvidia"]),
              TopicSpec("rates", ["interest rate", "central bank"]), TopicSpec("deals", ["merger", "acquisition"]),
              TopicSpec("football", ["football", "premier league"])]
    items = articles(n_docs)
    data = "".join(json.dumps(x) + "\n" for x in items)
    t0 = time.perf_counter()
    scorer = Scorer.load(topics=topics)
    load_s = time.perf_counter() - t0
    gc.freeze()  # as ``signals classify`` does once the models are loaded (bot/cli/classify.py)
    out = io.StringIO()
    w0, c0 = time.perf_counter(), time.process_time()
    n = stream(scorer, io.StringIO(data), out)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    assert n == n_docs and out.getvalue().count("\n") == n_docs
    size_mb = sum(p.stat().st_size for p in MODEL_DIR.glob("*")) / 1e6
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n_docs} articles, {len(data) / n_docs:.0f} chars each, {len(topics)} topics; wall {wall:.2f} s, CPU {cpu:.2f} s")
    print(f"classify: {n_docs / wall:.0f} articles/s (CPU-bound {n_docs / cpu:.0f}/s), model load {load_s:.2f} s, "
          f"model size {size_mb:.1f} MB, peak RSS {rss_mb:.0f} MB, {1000 * cpu / n_docs:.2f} CPU-s per 1k")


if __name__ == "__main__":
    main()
