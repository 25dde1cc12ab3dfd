"""``signals demo``: the embedded default with bundled feeds served on 127.0.0.1.

Runs the real pipeline (SQLite file, one process, console output unless Slack or
Discord tokens are set) on ``config/demo.yaml``, whose source URLs use
``${SIGNALS_DEMO_PORT}``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.cli.run import add_run_arguments

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run on the bundled demo feeds, served locally (no network needed)")
    add_run_arguments(p, config="config/demo.yaml", db="$SIGNALS_DATABASE_URL or sqlite:///var/demo.db")
    p.set_defaults(func=_demo, config=None)


def _demo(args: argparse.Namespace) -> int:
    from bot.cli.run import run_with
    from bot.demo.server import DemoServer
    from bot.settings import load_settings

    args.config = args.config or _demo_config()
    args.db = args.db or os.environ.get("SIGNALS_DATABASE_URL") or "sqlite:///var/demo.db"
    with DemoServer() as server:
        os.environ["SIGNALS_DEMO_PORT"] = str(server.port)
        settings = load_settings(args.config)
        print(f"signals demo: serving {len(settings.sources)} bundled feeds on http://127.0.0.1:{server.port}/, "
              f"database {args.db}", file=sys.stderr)
        return run_with(settings, args)


def _demo_config() -> str:
    """``config/demo.yaml`` of the working directory, else the checkout's own (``signals demo``
    run from another directory finds it too)."""
    here = Path("config/demo.yaml")
    bundled = Path(__file__).resolve().parents[2] / "config" / "demo.yaml"
    return str(here if here.exists() or not bundled.exists() else bundled)
