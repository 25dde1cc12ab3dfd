"""``signals web``: the HTTP process (Slack events, Discord interactions, health, pages)."""

from __future__ import annotations

import argparse
import errno
import os
import socket

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve the HTTP endpoints (Slack, Discord, health, web view)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  signals web   # http://127.0.0.1:8000/signals\n"
                              "  signals web --host 0.0.0.0 --port 8080   # set SIGNALS_WEB_TOKEN first")
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
    sock = _listen(args.host, args.port)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get("SIGNALS_WEB_TOKEN"):
        print("signals web: note: SIGNALS_WEB_TOKEN is unset; pages answer only clients on this machine")
    store = Store.open(database_url(args.db, settings))
    app = create_app(WebContext(settings=settings, store=store, env=dict(os.environ),
                                config_path=config_path(args.config)))
    uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")).run(sockets=[sock])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a port in use (another ``signals web``, a dev
    server) is said in the CLI's words with what to do; uvicorn's own bind printed 'ERROR:
    [Errno 98] ... address already in use' and exited 3. Bound before the store is opened, so
    nothing else starts first; uvicorn then serves on this socket."""
    from bot.errors import CommandError

    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
    except OSError as exc:
        raise CommandError(f"cannot listen on {host!r}: {exc.strerror or exc}; pass --host 127.0.0.1 "
                           "(this machine) or --host 0.0.0.0 (every interface)") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: restart over TIME_WAIT
        sock.bind(info[4])
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CommandError(f"port {port} on {host} is already in use (another signals web, or another "
                               f"program): stop it, or pass --port {port + 1} (or set PORT)") from exc
        if exc.errno == errno.EACCES:
            raise CommandError(f"port {port} needs administrator rights: pass --port 8000 or any port above "
                               "1023 (or set PORT)") from exc
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock
