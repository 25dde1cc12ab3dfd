"""``signals cluster`` with and without the compiled story core, on real and synthetic streams.

The story core (``bot/stories/_core.c``) must change speed only. This streams three sets through
the real command, once with ``SIGNALS_PURE_PYTHON=1`` and once without, and compares the output
lines byte for byte:

* ECB+ documents as the ``stories-ecb`` contract sends them (no times: nothing expires);
* Reuters-21578 TRAIN with synthetic ``published_at`` ten minutes apart and five outlets, so the
  72 h window (about 430 articles) expires members and whole stories all along;
* the synthetic stream of ``benchmarks/bench_stories.py`` (``--n`` articles, default 30,000).

Reads ``../shared/data`` (a developer's checkout); not part of the test suite (which pins the
same on small texts of its own). ``--save DIR`` also writes each output, to compare two commits.
Last line: how many articles were compared and how many differ.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


def _rows(name: str) -> list[dict[str, str]]:
    csv.field_size_limit(10**9)
    with (DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def ecb() -> Iterator[dict[str, object]]:
    for r in _rows("ecbplus/docs.csv"):
        yield {"id": r["doc_id"], "title": r["text"].split("\n", 1)[0][:200], "text": r["text"], "source": r["doc_id"]}


def reuters() -> Iterator[dict[str, object]]:
    for i, r in enumerate(_rows("reuters21578/train.csv")):
        yield {"id": r["newid"], "title": r["title"], "text": r["body"], "source": f"wire{i % 5}",
               "published_at": 1_700_000_000 + 600 * i}


def synthetic(n: int) -> Iterator[dict[str, object]]:
    from benchmarks.bench_stories import articles

    for it, _ in articles(n):
        assert it.published_at is not None
        yield {"id": it.id, "title": it.title, "text": it.text, "source": it.source,
               "published_at": it.published_at.timestamp()}


def cluster(stdin: str, pure: bool) -> str:
    env = {**os.environ, "SIGNALS_PURE_PYTHON": "1" if pure else ""}
    p = subprocess.run([sys.executable, "-m", "bot", "cluster"], input=stdin, env=env, capture_output=True,
                       text=True, timeout=7200, cwd=ROOT, check=True)
    return p.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=30_000, help="synthetic articles")
    ap.add_argument("--save", type=Path, default=None, help="also write each output here")
    ap.add_argument("--pure-only", action="store_true", help="run the pure-Python code only (an older commit)")
    args = ap.parse_args()
    from bot.stories import _fast

    if not args.pure_only and not _fast.COMPILED:
        sys.exit("the story core is not built (or SIGNALS_PURE_PYTHON is set): nothing to compare")
    total = bad = 0
    for name, items in (("ecb+", ecb()), ("reuters", reuters()), ("synthetic", synthetic(args.n))):
        stdin = "".join(json.dumps(x) + "\n" for x in items)
        pure = cluster(stdin, True)
        got = pure if args.pure_only else cluster(stdin, False)
        a, b = pure.splitlines(), got.splitlines()
        assert len(a) == len(b) == stdin.count("\n"), name
        differ = sum(x != y for x, y in zip(a, b, strict=True))
        total, bad = total + len(a), bad + differ
        digest = hashlib.sha256(pure.encode()).hexdigest()[:16]
        print(f"{name:10s} {len(a):6d} articles, {len(set(json.loads(x)['story_id'] for x in a))} stories, "
              f"{differ} differ (pure output sha256 {digest})", flush=True)
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / f"{name}.pure.jsonl").write_text(pure)
            (args.save / f"{name}.compiled.jsonl").write_text(got)
    print(f"compared {total} articles (pure Python vs compiled story core, signals cluster): {bad} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
