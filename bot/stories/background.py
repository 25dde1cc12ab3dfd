"""Background document frequencies: a prior for the clusterer's IDF.

The clusterer's IDF comes from the articles in its window. A fresh or quiet window
(after a restart, a small deployment, an evaluation file) holds too few articles to
tell a rare name from a common word, so every term looks distinctive. Counting the
window's articles on top of a fixed background corpus fixes that: IDF is
``log((1 + N_bg + N) / (1 + df_bg + df)) + 1``, and a busy window still dominates
the terms it is full of.

The background is built by a command from news texts (not from the data the
clusterer is measured on) and ships as a small gzip'd TSV next to the models::

    python -m bot.stories.make_background ../shared/data

Only terms in at least ``--min-df`` documents are kept (the rest count as unseen,
which is what a rare term is anyway). A missing file means no background.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.errors import ModelError
from classifiers.models import MODEL_DIR

__all__ = ["BACKGROUND_FILE", "build", "load", "main", "write"]

BACKGROUND_FILE = MODEL_DIR / "stories_df.tsv.gz"

# (file under the data folder, title column, text column): news texts, none of them
# the same-story evaluation set (ECB+) or the Lee pairs
SOURCES = (
    ("reuters21578/train.csv", "title", "body"),
    ("ag_news/dev.csv", "title", "description"),
    ("bbc_news_summary/bbc_news_summary.csv", "title", "article"),
)


def _texts(data: Path) -> Iterator[tuple[str, str]]:
    csv.field_size_limit(2**31 - 1)
    for name, title_col, text_col in SOURCES:
        with open(data / name, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                yield row.get(title_col) or "", row.get(text_col) or ""


def build(data: Path, min_df: int = 3) -> tuple[int, dict[str, int]]:
    """``(number of documents, term -> documents using it)`` over the background texts."""
    from bot.stories.text import extract

    df: dict[str, int] = {}
    n = 0
    for title, text in _texts(data):
        n += 1
        for t in extract(title, text).terms:
            df[t] = df.get(t, 0) + 1
    return n, {t: c for t, c in df.items() if c >= min_df}


def write(n_docs: int, df: dict[str, int], path: Path = BACKGROUND_FILE) -> None:
    """Sorted lines, fixed gzip time stamp: the same data give the same bytes."""
    lines = [f"#documents\t{n_docs}"] + [f"{t}\t{c}" for t, c in sorted(df.items())]
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(("\n".join(lines) + "\n").encode("utf-8"))


@functools.cache
def load(path: Path = BACKGROUND_FILE) -> tuple[int, dict[str, int]]:
    """The shipped background, read once per process; ``(0, {})`` without the file.
    A damaged file is a ``ModelError`` naming the file and line, like the other shipped models."""
    lineno = 1
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            head = fh.readline().rstrip("\n").split("\t")
            if head[0] != "#documents" or len(head) != 2:
                raise ValueError("not a background document-frequency file")
            n_docs = int(head[1])
            df: dict[str, int] = {}
            for lineno, line in enumerate(fh, start=2):  # noqa: B007 (lineno is read by the error message)
                term, count = line.rstrip("\n").split("\t")
                df[sys.intern(term)] = int(count)
    except FileNotFoundError:
        return 0, {}
    except (OSError, ValueError, EOFError) as exc:  # gzip, UTF-8 and number errors included
        raise ModelError(f"{path}:{lineno}: unreadable background document frequencies ({exc}); "
                         "rebuild with `python -m bot.stories.make_background DATA`") from exc
    return n_docs, df


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot.stories.make_background", description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path, help="the shared data folder (reuters21578, ag_news, bbc_news_summary)")
    ap.add_argument("--min-df", type=int, default=3)
    ap.add_argument("--out", type=Path, default=BACKGROUND_FILE)
    args = ap.parse_args(argv)
    n, df = build(args.data, args.min_df)
    write(n, df, args.out)
    print(f"background: {n} documents, {len(df)} terms -> {args.out} ({args.out.stat().st_size} bytes)")
    return 0

