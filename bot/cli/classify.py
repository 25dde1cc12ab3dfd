"""``signals classify``: score JSON-lines articles from stdin with the shipped classifiers.

Input, one object per line: ``{"id", "title", "text", "source"?, "published_at"?}``. Output,
one line per input *in order*: ``id, domain, event, category, importance, relevance, topics,
tags, summary`` (``--explain`` adds the explanation). Streaming: lines are scored in small
batches as soon as input pauses, so output starts before input ends. A line that is not a
JSON object yields ``{"id": null, "line": N, "error": ...}`` in its place.

Topics come from ``--config`` (or ``$SIGNALS_CONFIG``); without either, no topics are scored.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
from datetime import datetime
from typing import Any, TextIO

__all__ = ["register", "stream"]

_BATCH = 256


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="score JSON-lines articles from stdin (domain, topics, importance, ...)")
    p.add_argument("--config", default=None, help="config whose topics and watchlist to use (default: $SIGNALS_CONFIG)")
    p.add_argument("--format", choices=["jsonl", "text"], default="jsonl")
    p.add_argument("--explain", action="store_true", help="include the explanation of every score")
    p.set_defaults(func=_classify)


def _reader(stream: TextIO, q: queue.Queue[str | None]) -> None:
    for line in stream:
        q.put(line)
    q.put(None)


def _parse(line: str, n: int) -> tuple[Any, str | None]:
    from classifiers import Document

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
    doc_id = obj.get("id")
    return Document(id=str(doc_id if doc_id is not None else n), title=str(obj.get("title") or ""),
                    text=str(obj.get("text") or ""), source=obj.get("source"), published_at=published), None


def _emit(out: TextIO, fmt: str, explain: bool, doc: Any, scores: Any) -> None:
    if fmt == "text":
        topics = ",".join(scores.topics) or "-"
        out.write(f"{doc.id}\t{scores.importance:.1f}/10 · {scores.category}\t{scores.domain}/{scores.event}\t"
                  f"topics={topics}\t{doc.title[:80]}\n")
        for b in scores.summary:
            out.write(f"    • {b}\n")
        return
    d = scores.to_dict(explanation=explain)
    out.write(json.dumps({"id": doc.id, **d}, ensure_ascii=False) + "\n")


def _classify(args: argparse.Namespace) -> int:
    from classifiers import Scorer, TopicSpec

    topics: list[TopicSpec] = []
    watchlist: list[str] = []
    path = args.config or os.environ.get("SIGNALS_CONFIG")
    if path:
        from bot.settings import load_settings

        s = load_settings(path)
        topics = [TopicSpec(name, list(t.keywords), list(t.exclude), list(t.examples), t.threshold)
                  for name, t in s.topics.items()]
        watchlist = list(s.watchlist)
    scorer = Scorer.load(topics=topics, watchlist=watchlist)
    stream(scorer, sys.stdin, sys.stdout, args.format, args.explain)
    return 0


def stream(scorer: Any, stdin: TextIO, out: TextIO, fmt: str = "jsonl", explain: bool = False) -> int:
    """Score JSON lines from ``stdin`` onto ``out`` in order, in batches cut when input pauses.

    Also used by ``benchmarks/bench_classify.py``, so the benchmark measures this very path.
    Returns the number of input lines handled.
    """
    q: queue.Queue[str | None] = queue.Queue(maxsize=4 * _BATCH)
    threading.Thread(target=_reader, args=(stdin, q), daemon=True).start()
    n = 0
    done = False
    while not done:
        item = q.get()
        lines: list[str] = []
        while item is not None:
            lines.append(item)
            if len(lines) >= _BATCH:
                break
            try:
                item = q.get_nowait()
            except queue.Empty:
                break
        done = item is None
        parsed = []
        for line in lines:
            if not line.strip():
                continue
            n += 1
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
