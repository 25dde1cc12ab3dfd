"""``signals web``: the HTTP process (Slack events, Discord interactions, health, pages)."""

from __future__ import annotations

import argparse
import os

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve the HTTP endpoints (Slack, Discord, health, web view)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; pages beyond this machine need SIGNALS_WEB_TOKEN)")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="port (default: $PORT or 8000)")
    p.add_argument("--config", default=None, help="config file (default: $SIGNALS_CONFIG or config/signals.yaml)")
    p.add_argument("--db", default=None, help="database URL (default: $SIGNALS_DATABASE_URL, the config's database_url, or sqlite:///var/signals.db)")
    p.set_defaults(func=_web)


def _web(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.settings import config_path, database_url, load_settings
    from bot.store import Store
    from bot.web.app import WebContext, create_app

    settings = load_settings(args.config)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get("SIGNALS_WEB_TOKEN"):
        print("signals web: note: SIGNALS_WEB_TOKEN is unset; pages answer only clients on this machine")
    store = Store.open(database_url(args.db, settings))
    app = create_app(WebContext(settings=settings, store=store, env=dict(os.environ),
                                config_path=config_path(args.config)))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
