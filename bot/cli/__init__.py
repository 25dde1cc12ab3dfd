"""The ``signals`` command line.

Each sub-command lives in its own module under ``bot.cli`` and exposes
``register(subparsers)``; it sets ``func`` to a handler returning the exit code.
Heavy imports happen inside handlers so ``signals --help`` and start-up stay fast.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bot.errors import ConfigError, SignalsError

__all__ = ["main"]

# Sub-command modules, in the order ``--help`` lists them.
COMMANDS = [
    "run", "demo", "config", "classify", "cluster", "stories", "why", "feedback",
    "search", "train", "eval", "tune", "discord", "web", "sources", "db", "audit", "worker", "scheduler",
]

# the README's first commands, for a reader who starts from --help
_FIRST_STEPS = """first steps (signals COMMAND --help for each):
  signals demo --once                                  # try it on bundled feeds, no network
  signals config check config/signals.yaml             # every problem, with file:line: key
  signals run --once --dry-run --format jsonl          # one cycle, post nothing
  signals run                                          # poll and post until stopped
  signals stories --since 24h                          # recent stories and their ids
  signals why STORY_ID                                 # why a story scored as it did
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signals", description="News signals for Slack, Discord and the console.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_FIRST_STEPS)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("--log-format", choices=["text", "json"], default=None, help="log line format")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"bot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bot.cli.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    _log_options_everywhere(sub)
    return parser


def _log_options_everywhere(sub: argparse._SubParsersAction) -> None:
    """``-v`` and ``--log-format`` after the command too (``signals web --log-format json``, as the docs
    write it), on every sub-command and action. SUPPRESS keeps a value given before the command when
    the sub-command does not repeat it."""
    for parser in sub.choices.values():
        nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if nested:
            for action in nested:
                _log_options_everywhere(action)
            continue
        parser.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                            help="more log output (-vv for debug)")
        parser.add_argument("--log-format", choices=["text", "json"], default=argparse.SUPPRESS,
                            help="log line format (default: $SIGNALS_LOG_FORMAT or text)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from bot.logs import redact, setup_logging
    from bot.settings.secrets import load_secrets

    setup_logging(args.verbose, args.log_format)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        load_secrets()  # $SIGNALS_SECRETS_FILE into the environment; every secret redacted from here on
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(redact(f"signals: configuration error\n{exc}"), file=sys.stderr)
        return 2
    except SignalsError as exc:
        print(redact(f"signals: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
