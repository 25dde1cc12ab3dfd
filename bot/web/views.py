"""The web view: Signals, Story, Tuning and Sources pages, server-rendered with Jinja2.

Answers "why didn't this reach the channel?" and "what would a different threshold
do?" from the store the worker writes. Queries run in the thread pool, so a slow replay
never holds up the Slack/Discord endpoints served by the same process. Every page works
without JavaScript; a small local script only makes the tuning slider live. Nothing is
fetched from elsewhere and everything from feeds is escaped (autoescape, plus a strict
Content-Security-Policy).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.commands.overrides import effective_rules, get_override
from bot.web import queries, tuning
from bot.web.app import WebContext
from bot.web.auth import COOKIE, SESSION_SECONDS, Access, Auth
from bot.web.format import FILTERS, num, pct

__all__ = ["routes"]

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # feeds see no referrer; our forms keep their Origin
    "Cache-Control": "no-store",
}
Handler = Callable[[Request, Access], Awaitable[Response]]


class Views:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.auth = Auth(ctx.env.get("SIGNALS_WEB_TOKEN"))
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(FILTERS)
        self.tuning_cache = tuning.TuningCache()

    def now(self) -> datetime:
        clock = self.ctx.extra.get("clock")
        return clock() if callable(clock) else datetime.now(UTC)

    def render(self, request: Request, access: Access, name: str, status: int = 200, **data: Any) -> Response:
        data.setdefault("active", name.removesuffix(".html"))
        html = self.env.get_template(name).render(request=request, access=access, now=self.now(),
                                                 path=request.url.path, **data)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def guard(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            access = self.auth.check(request)
            if not access.allowed:
                log.info("web view refused", extra={"client": request.client.host if request.client else None})
                return self.render(request, access, "denied.html", status=403, message=access.reason)
            if request.method == "POST" and not _same_origin(request):
                return self.render(request, access, "denied.html", status=403,
                                   message="This form must be sent from this site.")
            return await handler(request, access)
        return endpoint

    # -- pages ----------------------------------------------------------------------
    async def signals(self, request: Request, access: Access) -> Response:
        """Stories, ``limit`` a page (10-500), ``page=N`` for the next ones: before, "Show more"
        doubled ``limit`` up to 500 and the stories past the 500th could not be reached."""
        p = request.query_params
        limit, page = _int(p.get("limit"), 50, 10, 500), _int(p.get("page"), 1, 1, 100_000)
        flt = queries.Filters(q=p.get("q", "")[:200], channel=p.get("channel", ""), topic=p.get("topic", ""),
                              category=p.get("category", ""), since=p.get("since", "7d"),
                              outcome=p.get("outcome", ""), limit=limit + 1, offset=(page - 1) * limit)
        if flt.since not in queries.SINCE:
            flt.since = "7d"
        st = self.ctx.settings
        cards = await run_in_threadpool(lambda: queries.list_stories(
            self.ctx.store, st, effective_rules(st, self.ctx.store), flt, self.now()))
        flt.limit = limit
        more, cards = len(cards) > limit, cards[:limit]

        def at(n: int) -> str:
            return "?" + urlencode({**{k: v for k, v in p.items() if k != "page"}, "limit": str(limit), "page": str(n)})

        # an empty page on an empty database says why: 'No stories match these filters' alone sent a
        # new user hunting for a filter they never set
        nothing_stored = not cards and page == 1 and await run_in_threadpool(lambda: _nothing_stored(self.ctx.store))
        categories = sorted({c.story.category for c in cards if c.story.category} | ({flt.category} - {""}))
        return self.render(request, access, "signals.html", cards=cards, f=flt, page=page, nothing_stored=nothing_stored,
                           first=flt.offset + 1, older=at(page + 1) if more else None,
                           newer=at(page - 1) if page > 1 else None,
                           channels=[c.name for c in st.channels], topics=sorted(st.topics), categories=categories,
                           windows=list(queries.SINCE))

    async def story(self, request: Request, access: Access) -> Response:
        st = self.ctx.settings
        sid = request.path_params["story_id"][:80]
        detail = await run_in_threadpool(lambda: queries.story_detail(
            self.ctx.store, st, effective_rules(st, self.ctx.store), sid))
        if detail is None:
            return self.render(request, access, "notfound.html", status=404, active="signals",
                               what=f"No story with id “{request.path_params['story_id'][:80]}”.")
        return self.render(request, access, "story.html", d=detail, active="signals")

    async def tuning(self, request: Request, access: Access) -> Response:
        st = self.ctx.settings
        names = [c.name for c in st.channels]
        if not names:
            return self.render(request, access, "tuning.html", view=None, channels=[], override=None)
        p = request.query_params
        channel = p.get("channel") if p.get("channel") in names else names[0]
        try:
            days = max(1, min(90, int(p.get("days", "14"))))
        except ValueError:
            days = 14
        try:
            chosen: float | None = float(p["threshold"]) if p.get("threshold") else None
        except ValueError:
            chosen = None
        view = await run_in_threadpool(tuning.tuning_view, self.ctx.store, st, channel, self.now(), days, chosen,
                                       self.tuning_cache)
        override = get_override(self.ctx.store, channel, "min_importance")
        return self.render(request, access, "tuning.html", view=view, channels=names, override=override,
                           chart=tuning_chart(view), curve=tuning_curve(view), data=tuning_data(view))

    async def sources(self, request: Request, access: Access) -> Response:
        rows = await run_in_threadpool(queries.source_health, self.ctx.store, self.ctx.settings, self.now())
        return self.render(request, access, "sources.html", sources=rows)

    # -- sign-in --------------------------------------------------------------------
    async def login(self, request: Request, access: Access) -> Response:
        if request.method == "GET":
            return self.render(request, access, "login.html", error=None, active="login")
        client = request.client.host if request.client else "?"
        if not access.token_set:
            return self.render(request, access, "login.html", status=400, active="login",
                               error="Admin sign-in is off: SIGNALS_WEB_TOKEN is not set.")
        if self.auth.throttled(client):
            return self.render(request, access, "login.html", status=429, active="login",
                               error="Too many wrong tokens. Wait a few minutes.")
        form = await request.form()
        given = form.get("token")
        if not isinstance(given, str) or not self.auth.token_matches(given.strip()):
            self.auth.record_failure(client)
            log.warning("web sign-in failed", extra={"client": client})
            return self.render(request, access, "login.html", status=403, active="login", error="Wrong token.")
        resp = RedirectResponse("/signals", status_code=303, headers=HEADERS)
        resp.set_cookie(COOKIE, self.auth.session_value(), max_age=SESSION_SECONDS, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
        log.info("web admin signed in", extra={"client": client})
        return resp

    async def logout(self, request: Request, access: Access) -> Response:
        resp = RedirectResponse("/signals", status_code=303, headers=HEADERS)
        resp.delete_cookie(COOKIE, path="/")
        return resp


def _same_origin(request: Request) -> bool:
    """Forms are only accepted from our own pages (a browser sends ``Origin`` with every POST)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def tuning_chart(view: tuning.TuningView) -> dict[str, Any]:
    """Coordinates for the SVG histogram (computed here so the page needs no script)."""
    w, h, left, bottom, top = 640, 240, 36, 28, 12
    plot_w, plot_h = w - left - 10, h - bottom - top
    peak = _nice_top(max([b.qualifying + b.other for b in view.bins] + [1]))
    bw = plot_w / len(view.bins)
    bars = []
    for i, b in enumerate(view.bins):
        x = left + i * bw
        hq = plot_h * b.qualifying / peak
        ho = plot_h * b.other / peak
        bars.append({"x": round(x + 1, 1), "w": round(bw - 2, 1), "yq": round(top + plot_h - hq, 1),
                     "hq": round(hq, 1), "yo": round(top + plot_h - hq - ho, 1), "ho": round(ho, 1),
                     "label": f"{b.lo:g}–{b.hi:g}: {b.qualifying} qualifying, {b.other} filtered by other rules"})

    def x_of(v: float) -> float:
        return round(left + plot_w * v / 10, 1)

    ticks = [{"x": x_of(v), "label": str(v)} for v in range(0, 11)]
    yticks = [{"y": round(top + plot_h - plot_h * v / peak, 1), "label": str(v)} for v in _nice_ticks(peak)]
    return {"w": w, "h": h, "left": left, "top": top, "base": top + plot_h, "right": w - 10, "bars": bars,
            "ticks": ticks, "yticks": yticks, "current_x": x_of(view.current), "chosen_x": x_of(view.chosen)}


def _nice_top(peak: float) -> int:
    """The axis maximum: ``peak`` rounded up to a multiple of a 1/2/5 step."""
    step = _step(peak)
    return int(-(-peak // step) * step)


def _step(peak: float) -> int:
    for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if peak / s <= 5:
            return s
    return 1000


def _nice_ticks(top: int) -> list[int]:
    return list(range(0, top + 1, _step(top)))


def tuning_curve(view: tuning.TuningView) -> dict[str, Any]:
    """Alerts per day (y) by threshold (x), on the histogram's x axis."""
    w, h, left, bottom, top = 640, 150, 36, 26, 10
    plot_w, plot_h = w - left - 10, h - bottom - top
    peak = _nice_top(max([r.alerts_per_day for r in view.rows] + [1]))
    pts = [(round(left + plot_w * r.threshold / 10, 1), round(top + plot_h - plot_h * r.alerts_per_day / peak, 1), r)
           for r in view.rows]
    return {"h": h, "top": top, "base": top + plot_h,
            "points": " ".join(f"{x},{y}" for x, y, _ in pts),
            "dots": [{"x": x, "y": y, "label": f"min_importance {r.threshold:g}: {r.alerts_per_day:.2f} alerts/day"}
                     for x, y, r in pts],
            "yticks": [{"y": round(top + plot_h - plot_h * v / peak, 1), "label": str(v)} for v in _nice_ticks(peak)]}


def tuning_data(view: tuning.TuningView) -> dict[str, Any]:
    """Every threshold's figures, formatted as the page shows them: the slider only looks them up."""
    return {"days": view.days, "current": view.current, "channel": view.channel,
            "rows": {f"{r.threshold:g}": {"alerts_per_day": num(r.alerts_per_day, 2), "max_per_day": str(r.max_per_day),
                                          "alerts": str(r.alerts), "digest_items": str(r.digest_items),
                                          "precision": pct(r.precision), "rated": str(r.rated), "missed": str(r.missed),
                                          "gained": r.gained, "lost": r.lost} for r in view.rows},
            "stories": {s.id: [s.title, num(s.importance)] for s in view.stories.values()}}


def routes(ctx: WebContext) -> list[BaseRoute]:
    v = Views(ctx)

    async def home(request: Request) -> Response:
        return RedirectResponse("/signals", status_code=307)

    return [
        Route("/", v.guard(lambda r, a: home(r))),
        Route("/signals", v.guard(v.signals)),
        Route("/story/{story_id}", v.guard(v.story)),
        Route("/tuning", v.guard(v.tuning)),
        Route("/sources", v.guard(v.sources)),
        Route("/login", v.guard(v.login), methods=["GET", "POST"]),
        Route("/logout", v.guard(v.logout), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]


def _int(value: str | None, default: int, low: int, high: int) -> int:
    """A query parameter as an int within [low, high]; the default when absent or unreadable."""
    try:
        return max(low, min(high, int(value))) if value is not None else default
    except ValueError:
        return default


def _nothing_stored(store) -> bool:  # type: ignore[no-untyped-def]
    """No article in the database at all (one indexed row read, not a count)."""
    from sqlalchemy import select

    from bot.store import schema as t

    with store.begin() as c:
        return c.execute(select(t.articles.c.id).limit(1)).first() is None
