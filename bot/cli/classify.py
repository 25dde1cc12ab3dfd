"""``signals classify``: score JSON-lines articles from stdin with the shipped classifiers.

Input, one object per line: ``{"id", "title", "text", "source"?, "published_at"?}``. Output,
one line per input *in order*: ``id, domain, event, category, importance, relevance, topics,
tags, summary`` (``--explain`` adds the explanation). Streaming: lines are scored in small
batches as soon as input pauses, so output starts before input ends. A line that is not a
JSON object in UTF-8 yields ``{"id": null, "line": N, "error": ...}`` in its place; ``N`` counts
every input line, blank ones too (they give no output). Stdin is read as bytes and decoded line by
line, so one line in another encoding is that line's error, whatever the locale; a lone UTF-16
surrogate written as a JSON escape is replaced by U+FFFD, as the feed reader does.

Topics come from ``--config`` (or ``$SIGNALS_CONFIG``); without either, no topics are scored.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import sys
import threading
from collections import deque
from datetime import datetime
from typing import Any, BinaryIO, TextIO

__all__ = ["register", "stream"]

_BATCH = 256
_JSON = json.JSONEncoder(ensure_ascii=False)  # == json.dumps(..., ensure_ascii=False), built once


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="score JSON-lines articles from stdin (domain, topics, importance, ...)")
    p.add_argument("--config", default=None, help="config whose topics and watchlist to use (default: $SIGNALS_CONFIG)")
    p.add_argument("--format", choices=["jsonl", "text"], default="jsonl", help="output: one JSON line per article (default) or text")
    p.add_argument("--explain", action="store_true", help="include the explanation of every score")
    p.set_defaults(func=_classify)


class _Lines:
    """Lines handed from the reader thread to the scorer: a deque (appends and pops are atomic in
    C) plus two events that are only touched when a side has to wait. A ``queue.Queue`` woke the
    reader for every line taken once it was full, which cost more CPU than parsing the line."""

    def __init__(self, limit: int) -> None:
        self.items: deque[str | bytes | None] = deque()
        self.limit = limit
        self.ready = threading.Event()  # set when the consumer may have something to take
        self.room = threading.Event()  # set when the reader may add more
        self.room.set()

    def put(self, line: str | bytes | None) -> None:
        self.items.append(line)
        if not self.ready.is_set():
            self.ready.set()
        if len(self.items) >= self.limit:  # back-pressure: don't read ahead without bound
            self.room.clear()
            if len(self.items) >= self.limit:  # (the consumer may have taken some meanwhile)
                self.room.wait()

    def take(self, most: int) -> list[str | bytes | None]:
        """Wait for at least one item, then take what is there, up to ``most``."""
        while not self.items:
            self.ready.clear()
            if not self.items:  # (the reader may have added one meanwhile: then ready is set again)
                self.ready.wait()
        items = self.items
        out = [items.popleft() for _ in range(min(most, len(items)))]
        if not self.room.is_set():
            self.room.set()
        return out


def _reader(stream: TextIO | BinaryIO, lines: _Lines) -> None:
    try:
        for line in stream:
            lines.put(line)
    finally:
        lines.put(None)  # also when reading fails: the consumer must not wait forever


# JSON escapes can encode lone UTF-16 surrogates ("\ud800"): json.loads keeps them and writing the
# output line raised (see bot.ingest.jsonfeed, which replaces them the same way)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _field(value: Any, escaped: bool) -> str:
    """``str(value)``; its lone surrogates replaced when the line has ``\\u`` escapes (they come only from those)."""
    return _LONE_SURROGATE.sub("\ufffd", str(value)) if escaped else str(value)


def _parse(line: str | bytes, n: int) -> tuple[Any, str | None]:
    from classifiers import Document

    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"not UTF-8: byte 0x{line[exc.start]:02x} at byte {exc.start + 1} of the line"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg}"
    if not isinstance(obj, dict):
        return None, "expected a JSON object"
    published = None
    if isinstance(obj.get("published_at"), str):
        try:
            published = datetime.fromisoformat(obj["published_at"].replace("Z", "+00:00"))
        except ValueError:
            published = None
    doc_id, source = obj.get("id"), obj.get("source")
    esc = "\\u" in line  # (a scan of the line in C; the regex runs only on lines with escapes)
    return Document(id=_field(doc_id if doc_id is not None else n, esc), title=_field(obj.get("title") or "", esc),
                    text=_field(obj.get("text") or "", esc), source=None if source is None else _field(source, esc),
                    published_at=published), None


def _emit(out: TextIO, fmt: str, explain: bool, doc: Any, scores: Any) -> None:
    if fmt == "text":
        topics = ",".join(scores.topics) or "-"
        out.write(f"{doc.id}\t{scores.importance:.1f}/10 · {scores.category}\t{scores.domain}/{scores.event}\t"
                  f"topics={topics}\t{doc.title[:80]}\n")
        for b in scores.summary:
            out.write(f"    • {b}\n")
        return
    d = scores.to_dict(explanation=explain)
    out.write(_JSON.encode({"id": doc.id, **d}) + "\n")


def _classify(args: argparse.Namespace) -> int:
    from classifiers import Scorer, TopicSpec

    topics: list[TopicSpec] = []
    watchlist: list[str] = []
    path = args.config or os.environ.get("SIGNALS_CONFIG")
    if path:
        from bot.examples import resolved
        from bot.settings import load_settings

        s = load_settings(path)
        texts = _example_pages(s)
        topics = [TopicSpec(name, list(t.keywords), list(t.exclude), resolved(t.examples, texts), t.threshold)
                  for name, t in s.topics.items()]
        watchlist = list(s.watchlist)
    scorer = Scorer.load(topics=topics, watchlist=watchlist)
    # The models and settings live until the process exits: frozen, the collector's full passes
    # (one every ~1,000 articles) no longer walk their objects each time (0.8% of the instructions
    # per article, callgrind). Here and not in ``stream``, which tests call in-process.
    gc.freeze()
    stream(scorer, sys.stdin.buffer, sys.stdout, args.format, args.explain)
    return 0


def _example_pages(settings: Any) -> dict[str, str]:
    """The page text of the config's URL examples, as the bot reads them (:mod:`bot.examples`);
    no request when the config has none."""
    from bot.examples import example_urls, fetch_examples

    urls = example_urls(settings)
    if not urls:
        return {}
    from bot.ingest import Fetcher

    async def fetch() -> dict[str, str]:
        async with Fetcher(settings.fetch) as fetcher:
            return await fetch_examples(fetcher, urls, {})

    return asyncio.run(fetch())


def stream(scorer: Any, stdin: TextIO | BinaryIO, out: TextIO, fmt: str = "jsonl", explain: bool = False) -> int:
    """Score JSON lines from ``stdin`` (text, or bytes decoded line by line) onto ``out`` in order,
    in batches cut when input pauses.

    Also used by ``benchmarks/bench_classify.py``, so the benchmark measures this very path.
    Returns the number of input lines read, blank ones included.
    """
    pending = _Lines(4 * _BATCH)
    threading.Thread(target=_reader, args=(stdin, pending), daemon=True).start()
    n = 0
    done = False
    while not done:
        taken = pending.take(_BATCH)  # what has arrived, so a pause in the input cuts the batch
        done = taken[-1] is None  # the end mark can only be last: nothing follows it
        lines = [x for x in taken if x is not None]
        parsed = []
        for line in lines:
            n += 1  # every line counts, so an error names the line as an editor numbers it
            if line.strip():
                parsed.append((n, *_parse(line, n)))
        docs = [doc for _, doc, err in parsed if err is None]
        results = iter(scorer.score(docs, explain=explain))  # explanations only when they are printed
        for line_no, doc, err in parsed:
            if err is not None:
                out.write(json.dumps({"id": None, "line": line_no, "error": err}) + "\n")
            else:
                _emit(out, fmt, explain, doc, next(results))
        out.flush()
    return n
