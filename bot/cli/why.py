"""``signals why STORY_ID``: how a stored story was scored and what each channel decided.

Prints importance, category, topics, relevance, the top feature contributions per score
(from the stored ``classifiers.Scores`` explanation) and the per-channel decisions.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    from bot.cli.search import add_store_args

    p = sub.add_parser("why", help="explain a story's scores and routing decisions", formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples (ids are printed by signals stories and signals search):\n"
                              "  signals why sf6fc42039\n  signals why sf6fc42039 --channel ai-infra --format json")
    p.add_argument("story_id", help="story id (or a unique prefix of at least 4 characters)")
    p.add_argument("--channel", default=None, help="only this channel's decision")
    p.add_argument("--top", type=int, default=5, help="word contributions shown per model (default 5; importance lists all its terms)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="text (default) or one JSON object")
    add_store_args(p)
    p.set_defaults(func=_why)


def _why(args: argparse.Namespace) -> int:
    from bot.cli.search import config_settings, open_store, read_from
    from bot.commands.explain import explain_story, format_explanation, pruned_after
    from bot.settings import settings_from_mapping

    settings = config_settings(args) or settings_from_mapping({})  # no config: the default retention
    store = open_store(args, settings)
    ex = explain_story(store, args.story_id, top=args.top)
    if ex is None:
        print(f"signals why: no story with id {args.story_id!r} ({read_from(store)})", file=sys.stderr)
        return 1
    if args.format == "json":
        s = ex.story
        print(json.dumps({
            "id": s.id, "title": s.title, "url": ex.url, "importance": s.importance, "category": s.category,
            "domain": ex.domain, "event": ex.event, "topics": s.topics, "relevance": ex.relevance,
            "contributions": {k: [[f, w] for f, w in v] for k, v in ex.contributions.items()},
            "decisions": [{"channel": d.channel, "action": d.action, "reason": d.reason, "detail": d.detail}
                          for d in ex.decisions if args.channel in (None, d.channel)],
        }, ensure_ascii=False, indent=2))
        return 0
    for i, (heading, lines) in enumerate(format_explanation(ex, args.channel, pruned_after(settings, ex.story))):
        print(heading if i == 0 else f"\n{heading}:")
        if i == 0 and ex.url:
            print(f"  {ex.url}")
        for line in lines:
            print(f"  {line}")
    return 0
