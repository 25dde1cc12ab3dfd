"""``signals eval {domain,event,summary,relevance,feedback,importance,all} --data DIR`` and
``signals eval stories PATH.csv``: measure the classifiers (or the story clustering) on
labelled data and print accuracy / F1 / confusion matrices next to simple baselines."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]

_WHAT = ["domain", "event", "summary", "relevance", "feedback", "importance", "all", "stories"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure the classifiers (or clustering) on labelled data")
    p.add_argument("what", choices=_WHAT, help="the model to measure, 'all', or 'stories' (clustering)")
    p.add_argument("path", nargs="?", default=None, help="for 'stories': the labelled CSV")
    p.add_argument("--data", type=Path, default=None, help="the shared data folder (ag_news/, bbc_news_summary/, ...)")
    p.set_defaults(func=_eval)


def _eval(args: argparse.Namespace) -> int:
    from bot.errors import CommandError

    if args.what == "stories":
        if not args.path:
            raise CommandError("signals eval stories PATH.csv")
        from bot.stories.evaluate import main

        return main(args.path)
    if args.data is None or not args.data.is_dir():
        raise CommandError("give --data DIR, the folder with ag_news/, bbc_news_summary/, reuters21578/, sentifm/")
    from classifiers.evaluate import run

    return run(args.what, args.data)
