"""``signals feedback STORY_ID up|down [--topic T] [--user U]``: record 👍/👎 from the shell,
exactly as a Slack or Discord button does (one vote per story, user and topic).

A vote trains one topic's model, so the topic must be one the config has: without ``--topic``
it is the story's only topic; a story of several topics, or of none (a missed story being
reported), needs ``--topic``. Why: a vote for a topic the config lacks was stored and trained
nothing, while the command said "recorded".
"""

from __future__ import annotations

import argparse
import getpass
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    from bot.cli.search import add_store_args

    p = sub.add_parser("feedback", help="record that a story was useful (up) or not (down)")
    p.add_argument("story_id", help="story id (or a unique prefix)")
    p.add_argument("label", choices=["up", "down"], help="up: useful, down: not")
    p.add_argument("--topic", default=None, help="the topic the vote is about (trains that topic's model; "
                   "default: the story's topic when it has one)")
    p.add_argument("--user", default=None, help="who votes (default: cli:$USER)")
    p.add_argument("--channel", default=None, help="the config channel the vote is for (default: none)")
    add_store_args(p)
    p.set_defaults(func=_feedback)


def _feedback(args: argparse.Namespace) -> int:
    from bot.cli.search import config_settings, open_store
    from bot.commands import CommandService
    from bot.errors import CommandError
    from bot.settings import Settings, config_path

    user = args.user or f"cli:{getpass.getuser()}"
    settings = config_settings(args) or Settings()
    path = config_path(args.config)
    store = open_store(args, settings)
    svc = CommandService(settings, store)
    try:
        row = store.story(args.story_id)
        topic = _topic(args.topic, row.topics, sorted(settings.topics), path) if row else args.topic
        result = svc.feedback(args.story_id, user, args.label, channel=args.channel, topic=topic)
    except CommandError as exc:
        print(f"signals feedback: {exc}", file=sys.stderr)
        return 1
    state = "recorded" if result.changed else "unchanged (same vote already recorded)"
    print(f"{args.label} for story {result.story_id}{f' (topic {topic})' if topic else ''} by {user}: "
          f"{state}; now {len(result.up)} up, {len(result.down)} down")
    return 0


def _topic(asked: str | None, story_topics: list[str], known: list[str], path: str) -> str | None:
    """The topic a vote trains (see the module docstring); a CommandError saying what to pass."""
    from bot.errors import CommandError

    if asked:
        if asked not in known:
            have = f"its topics: {', '.join(known)}" if known else "it has no topics"
            raise CommandError(f"no topic '{asked}' in {path} ({have}); a vote trains one topic's model")
        return asked
    ours = [t for t in story_topics if t in known]
    if len(ours) == 1:
        return ours[0]
    if ours:
        choices = " or ".join(f"--topic {t}" for t in ours)
        raise CommandError(f"the story is about {', '.join(ours)}: say which the vote is about ({choices})")
    if not known:
        return None  # no topics configured: the vote is stored for the record, as before
    raise CommandError("the story matched none of the config's topics: say which it is (or is not) about "
                       f"with --topic ({', '.join(known)})")
