"""``signals classify --explain`` with and without the compiled core on the shared evaluation texts.

The core (``classifiers/_core.c``) must change speed only: this scores BBC, Reuters, AG News and
ECB+ articles (plus fuzz-like variants of them: upper-cased, curly quotes, mojibake, no line
breaks) through the real command twice, once with ``SIGNALS_PURE_PYTHON=1``, with five topics,
and compares the output lines byte for byte. Reads ``../shared/data`` (a developer's checkout);
not part of the test suite (which pins the same on small texts of its own).

Last line: how many articles were compared and how many differ.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
TOPICS = ("topics:\n  energy:\n    keywords: [oil, opec, crude]\n  chips:\n    keywords: [gpu, semiconductor, nvidia]\n"
          "  rates:\n    keywords: [interest rate, central bank]\n  deals:\n    keywords: [merger, acquisition]\n"
          "  football:\n    keywords: [football, premier league]\n")


def articles() -> list[tuple[str, str, str]]:
    """(data set, title, text) of every article of the four sets."""
    csv.field_size_limit(10**9)

    def rows(name: str) -> list[dict[str, str]]:
        with (DATA / name).open(encoding="utf-8") as f:
            return list(csv.DictReader(f))

    out = [("bbc", r["title"], r["article"]) for r in rows("bbc_news_summary/bbc_news_summary.csv")]
    out += [("reuters", r["title"], r["body"]) for r in rows("reuters21578/train.csv")]
    out += [("ag", r["title"], r["description"]) for r in rows("ag_news/dev.csv")]
    out += [("ecb+", r["text"].split("\n", 1)[0], r["text"]) for r in rows("ecbplus/docs.csv")]
    return out


def variants(title: str, text: str) -> list[tuple[str, str]]:
    return [(title.upper(), text.upper()), (title.replace("'", "’"), text.replace("'", "’").replace('"', "“")),
            (title, text.encode("utf-8").decode("latin-1")), (title, text.replace("\n", " "))]


def classify(stdin: str, cfg: Path, pure: bool) -> list[str]:
    env = {**os.environ, "SIGNALS_PURE_PYTHON": "1" if pure else ""}
    p = subprocess.run([sys.executable, "-m", "bot", "classify", "--explain", "--config", str(cfg)], input=stdin,
                       env=env, capture_output=True, text=True, timeout=3600, cwd=ROOT, check=True)
    return p.stdout.splitlines()


def main() -> None:
    from classifiers import _fast

    if not _fast.COMPILED:
        sys.exit("the compiled core is not built (or SIGNALS_PURE_PYTHON is set): nothing to compare")
    arts = articles()
    items = list(arts)
    items += [(f"{s} variant", vt, vx) for s, t, x in arts[::10] for vt, vx in variants(t, x)]
    stdin = "".join(json.dumps({"id": str(i), "title": t, "text": x}) + "\n" for i, (_, t, x) in enumerate(items))
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "topics.yaml"
        cfg.write_text("sources: []\n" + TOPICS + "channels:\n  - name: c\n    console: true\n")
        pure, compiled = classify(stdin, cfg, True), classify(stdin, cfg, False)
    assert len(pure) == len(compiled) == len(items)
    per_set: dict[str, list[int]] = {}
    for (src, _, _), a, b in zip(items, pure, compiled, strict=True):
        n = per_set.setdefault(src, [0, 0])
        n[0] += 1
        n[1] += a != b
    for src, (n, bad) in per_set.items():
        print(f"{src:16s} {n:6d} articles, {bad} differ")
    total, bad = len(items), sum(b for _, b in per_set.values())
    print(f"compared {total} articles (pure Python vs compiled core, --explain, 5 topics): {bad} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
