"""``signals cluster``: run JSON-lines articles through the story clusterer.

Other tools (and the contract checks) feed articles on stdin and read one
``{"id", "story_id"}`` line back per input line, in order, flushed as soon as it is
known, so the command also works as a long-running filter. It is the same
:class:`bot.stories.Clusterer` the pipeline uses, with the window from
``stories.window`` when ``--config`` is given.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.stories import Clusterer

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cluster", help="group JSON-lines articles on stdin into stories")
    p.add_argument("--config", default=None, help="config file; its stories.window is used")
    p.add_argument("--format", choices=["jsonl"], default="jsonl", help="input and output format")
    p.add_argument("--window", default=None, help="override the window, e.g. 72h")
    p.set_defaults(func=_handle)


def _handle(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.stories import Clusterer

    window = timedelta(hours=72)
    if args.config:
        from bot.settings import load_settings

        window = load_settings(args.config).stories.window
    if args.window:
        from bot.errors import CommandError
        from bot.settings import parse_duration

        try:
            window = parse_duration(args.window)
        except ValueError as exc:
            raise CommandError(f"--window: {exc}") from exc
    return stream(Clusterer(window=window), sys.stdin, sys.stdout)


def stream(clusterer: Clusterer, inp: TextIO, out: TextIO) -> int:
    """Read items from ``inp`` and write assignments to ``out``; 1 if any line was bad."""
    import json

    from bot.stories.jsonl import parse_item

    bad = 0
    for n, line in enumerate(inp, 1):
        if not line.strip():
            continue
        try:
            item = parse_item(line)
        except ValueError as exc:
            bad += 1
            print(f"signals cluster: line {n}: {exc}", file=sys.stderr)
            out.write(json.dumps({"line": n, "error": str(exc)}) + "\n")
            out.flush()
            continue
        a = clusterer.add(item)
        rec: dict[str, object] = {"id": item.id, "story_id": a.story_id}
        if a.is_new_story:
            rec["new_story"] = True
        if a.duplicate_of:
            rec["duplicate_of"] = a.duplicate_of
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        out.flush()
    return 1 if bad else 0
