"""``signals classify --explain`` with and without the compiled core on the shared evaluation texts.

The core (``classifiers/_core.c``) must change speed only: this scores BBC, Reuters, AG News and
ECB+ articles (plus fuzz-like variants of them: upper-cased, curly quotes, mojibake, no line
breaks, and a few hostile texts: name runs, abbreviations, NULs, astral characters, 100k
characters) through the real command twice, once with ``SIGNALS_PURE_PYTHON=1``, with five
topics and without any, and compares the output lines byte for byte. Reads ``../shared/data`` (a developer's checkout);
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


def hostile() -> list[tuple[str, str, str]]:
    """Texts aimed at the core's corners: tags' name runs and merging, sentence ends and
    abbreviations, stems and counts, odd characters, length."""
    names = "Boris Johnson met Mr Johnson. TimeWarner and Time Warner of Bank of England & Co de Paris du Nord. "
    return [("hostile", "Boris Johnson and Time Warner", names * 40),
            ("hostile", "Mr. Smith vs. U.S. Co. Ltd.", "Mr. Smith met Dr. Jones vs. the U.S. Co. in 2004. It rose 5%.\n" * 50),
            ("hostile", "NUL\x00 title 😀", "Text\x00 with NUL. And 😀 astral İstanbul K\u212a. “Quoted.” (Bracket.) " * 30),
            ("hostile", "Long " * 2000, ("The oil price rose. Opec met. " * 3500)[:100_000]),
            ("hostile", "", "\n\n. ! ? \t\u00a0\u2029 ..."), ("hostile", "A" * 5000, "B " * 5000)]


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
    items += hostile()
    stdin = "".join(json.dumps({"id": str(i), "title": t, "text": x}) + "\n" for i, (_, t, x) in enumerate(items))
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for label, topics in (("5 topics", TOPICS), ("no topics", "")):
            cfg = Path(tmp) / "config.yaml"
            cfg.write_text("sources: []\n" + topics + "channels:\n  - name: c\n    console: true\n")
            pure, compiled = classify(stdin, cfg, True), classify(stdin, cfg, False)
            assert len(pure) == len(compiled) == len(items)
            per_set: dict[str, list[int]] = {}
            for (src, _, _), a, b in zip(items, pure, compiled, strict=True):
                n = per_set.setdefault(src, [0, 0])
                n[0] += 1
                n[1] += a != b
            for src, (n, differ) in per_set.items():
                print(f"{label:9s} {src:16s} {n:6d} articles, {differ} differ")
            bad += sum(b for _, b in per_set.values())
    print(f"compared {len(items)} articles twice (pure Python vs compiled core, --explain, 5 topics and none): "
          f"{bad} differ")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
