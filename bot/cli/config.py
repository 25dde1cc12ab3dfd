"""``signals config check|show|export``: validate and inspect the configuration."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="check, show or export the configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = csub.add_parser("check", help="validate a config file; exit 2 with file:line: key: problem")
    check.add_argument("path", nargs="?", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    check.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from bot.errors import ConfigError
    from bot.settings import load_settings

    try:
        s = load_settings(args.path)
    except ConfigError as exc:
        n = len(exc.issues)
        print(f"{n} problem{'s' if n != 1 else ''} found:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 2
    print(f"ok: {len(s.sources)} sources, {len(s.topics)} topics, {len(s.channels)} channels")
    return 0
