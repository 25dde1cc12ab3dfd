"""``signals feedback STORY_ID up|down [--topic T] [--user U]``: record 👍/👎 from the shell,
exactly as a Slack or Discord button does (one vote per story, user and topic)."""

from __future__ import annotations

import argparse
import getpass
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    from bot.cli.search import add_store_args

    p = sub.add_parser("feedback", help="record that a story was useful (up) or not (down)")
    p.add_argument("story_id", help="story id (or a unique prefix)")
    p.add_argument("label", choices=["up", "down"])
    p.add_argument("--topic", default=None, help="the topic the vote is about (trains that topic's model)")
    p.add_argument("--user", default=None, help="who votes (default: cli:$USER)")
    p.add_argument("--channel", default=None)
    add_store_args(p)
    p.set_defaults(func=_feedback)


def _feedback(args: argparse.Namespace) -> int:
    from bot.cli.search import open_store
    from bot.commands import CommandService
    from bot.errors import CommandError
    from bot.settings import Settings

    user = args.user or f"cli:{getpass.getuser()}"
    svc = CommandService(Settings(), open_store(args))
    try:
        result = svc.feedback(args.story_id, user, args.label, channel=args.channel, topic=args.topic)
    except CommandError as exc:
        print(f"signals feedback: {exc}", file=sys.stderr)
        return 1
    state = "recorded" if result.changed else "unchanged (same vote already recorded)"
    print(f"{args.label} for story {result.story_id}{f' (topic {args.topic})' if args.topic else ''} by {user}: "
          f"{state}; now {len(result.up)} up, {len(result.down)} down")
    return 0
