"""``/readyz``: can this deployment do its job right now? (``/healthz`` in app.py: is the process up?)

Checks, concurrently and each with a short timeout: the database answers a query at the
current schema revision; the broker (when ``SIGNALS_BROKER_URL`` is set) answers PING;
each chat platform the channels post to accepts a TCP connection. Reachability is
checked without posting or calling an API, so a probe every few seconds costs the
platforms nothing and never spends a rate limit. 200 when every check passes, 503
with the failing checks otherwise; the JSON body lists them all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.settings import Settings
from bot.web.app import WebContext

__all__ = ["Check", "adapter_endpoints", "readiness", "routes"]

log = logging.getLogger(__name__)
TIMEOUT = 3.0
SLACK_API = "https://slack.com/api/"
DISCORD_API = "https://discord.com/api/"


@dataclass(slots=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    ms: float = 0.0


def adapter_endpoints(settings: Settings, env: dict[str, str]) -> dict[str, str]:
    """One URL per platform endpoint the channels post to (name → URL); console channels need none."""
    out: dict[str, str] = {}
    for ch in settings.channels:
        if ch.slack:
            out["slack"] = env.get("SLACK_API_URL") or SLACK_API
        elif ch.discord:
            out["discord"] = env.get("DISCORD_API_URL") or DISCORD_API
        elif ch.discord_webhook or ch.webhook:
            url = str(ch.discord_webhook or ch.webhook)
            parts = urlsplit(url)
            out[f"webhook:{parts.hostname}:{parts.port or ''}".rstrip(":")] = url
    return out


async def _tcp(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    _, writer = await asyncio.open_connection(parts.hostname, port)
    writer.close()
    await writer.wait_closed()
    return f"{parts.hostname}:{port}"


async def _database(ctx: WebContext) -> str:
    from bot.store import migrate

    def probe() -> str:
        with ctx.store.begin() as c:
            c.execute(text("SELECT 1"))
        rev = migrate.current(ctx.store.engine)
        if rev != migrate.head():
            raise RuntimeError(f"schema at {rev}, code needs {migrate.head()}: run `signals db upgrade`")
        return f"{ctx.store.engine.dialect.name} at {rev}"

    return await asyncio.to_thread(probe)


async def _broker(url: str) -> str:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        await client.ping()
        return "PONG"
    finally:
        await client.aclose()


async def _run(name: str, probe: Callable[[], Awaitable[str]]) -> Check:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(probe(), TIMEOUT)
        ok = True
    except Exception as exc:  # any failure means "not ready"; say which
        detail, ok = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, False
    return Check(name, ok, detail, round((time.perf_counter() - started) * 1000, 1))


async def readiness(ctx: WebContext) -> list[Check]:
    probes: dict[str, Callable[[], Awaitable[str]]] = {"database": lambda: _database(ctx)}
    broker = ctx.env.get("SIGNALS_BROKER_URL")
    if broker:
        probes["broker"] = lambda: _broker(broker)
    for name, url in adapter_endpoints(ctx.settings, ctx.env).items():
        probes[name] = lambda url=url: _tcp(url)  # type: ignore[misc]
    return list(await asyncio.gather(*(_run(n, p) for n, p in probes.items())))


def routes(ctx: WebContext) -> list[BaseRoute]:
    async def readyz(request: Request) -> Response:
        checks = await readiness(ctx)
        ready = all(c.ok for c in checks)
        if not ready:
            log.warning("not ready", extra={"failing": [c.name for c in checks if not c.ok]})
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": [asdict(c) for c in checks]},
                            status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})

    return [Route("/readyz", readyz)]
