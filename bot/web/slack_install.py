"""Web part for multi-workspace Slack installs: ``/slack/install`` and ``/slack/oauth_redirect``.

Served only when ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` are set (see
:mod:`bot.adapters.slack_oauth`); otherwise this part adds no routes.
"""

from __future__ import annotations

import html

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.adapters.slack_oauth import OAuthSettings, SlackInstallError, SlackInstalls
from bot.web.app import WebContext

__all__ = ["routes"]

PAGE = ("<!doctype html><meta charset=utf-8><title>Signals</title>"
        "<body style='font-family:sans-serif;max-width:40em;margin:4em auto'><h1>{title}</h1><p>{body}</p>")


def routes(ctx: WebContext) -> list[BaseRoute]:
    oauth = OAuthSettings.from_env(ctx.env)
    if oauth is None:
        return []
    installs = SlackInstalls(ctx.store, oauth)
    ctx.extra["slack_installs"] = installs  # for other parts and tests

    async def install(request: Request) -> Response:
        try:
            return RedirectResponse(await run_in_threadpool(installs.authorize_url), status_code=302)
        except SlackInstallError as exc:
            return _page("Not now", str(exc), 429)

    async def redirect(request: Request) -> Response:
        if request.query_params.get("error"):
            return _page("Not installed", f"Slack said: {request.query_params['error']}", 400)
        try:
            inst = await run_in_threadpool(installs.complete, request.query_params.get("code", ""),
                                           request.query_params.get("state", ""))
        except SlackInstallError as exc:
            return _page("Not installed", str(exc), 400)
        return _page("Signals is installed", f"Workspace {inst.team_name or inst.team_id}: invite @Signals to a "
                                             "channel and add it to the config.", 200)

    return [Route("/slack/install", install), Route("/slack/oauth_redirect", redirect)]


def _page(title: str, body: str, status: int) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=html.escape(title), body=html.escape(body)), status_code=status,
                        headers={"Cache-Control": "no-store"})
