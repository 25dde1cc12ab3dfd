"""The pages over HTTP (the real app in-process through httpx's ASGI transport): access rules,
admin sign-in, escaping, headers and the tuning figures."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from bot.routing.replay import effective_rules, load_feedback, load_stories, replay, stored_window
from bot.settings import settings_from_mapping
from bot.store import Store
from bot.web.app import WebContext, create_app
from bot.web.auth import COOKIE, Auth
from tests.unit.web.seed import HOSTILE, NOW, Seeded

TOKEN = "s3cret-token-for-tests"


def client(s: Seeded, host: str = "127.0.0.1", token: str | None = None) -> httpx.AsyncClient:
    env = {"SIGNALS_WEB_TOKEN": token} if token else {}
    app = create_app(WebContext(settings=s.settings, store=s.store, env=env, extra={"clock": lambda: NOW}),
                     parts=["bot.web.views"])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(host, 40000)), base_url="http://signals")


@pytest.fixture
async def local(seeded: Seeded) -> AsyncIterator[httpx.AsyncClient]:
    async with client(seeded) as c:
        yield c


async def test_pages_render(local: httpx.AsyncClient, seeded: Seeded) -> None:
    for path in ("/signals", f"/story/{seeded.special}", "/tuning", "/tuning?channel=security&threshold=7",
                 "/sources", "/login", "/signals?q=nvidia&channel=ai-infra&topic=ai-chips&since=all&outcome=held"):
        r = await local.get(path)
        assert r.status_code == 200, path
        assert "SIGNALS_WEB_TOKEN is unset" in r.text
    assert (await local.get("/")).headers["location"] == "/signals"
    assert (await local.get("/story/unknown-id")).status_code == 404
    js = await local.get("/static/tuning.js")
    assert js.status_code == 200 and "textContent" in js.text


async def test_odd_parameters_do_not_break_pages(local: httpx.AsyncClient) -> None:
    for path in ("/signals?limit=abc&since=forever", "/tuning?days=abc&threshold=nan", "/tuning?threshold=inf",
                 "/tuning?channel=nope&days=-5", "/signals?q=" + "x" * 5000):
        assert (await local.get(path)).status_code == 200, path


async def test_feed_text_is_escaped_and_scripts_are_locked_down(local: httpx.AsyncClient, seeded: Seeded) -> None:
    for path in ("/signals", f"/story/{seeded.special}", "/tuning?channel=ai-infra&threshold=0"):
        r = await local.get(path)
        assert HOSTILE not in r.text, path
        assert "&lt;script&gt;alert(" in r.text or "\\u003cscript\\u003e" in r.text, path
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-frame-options"] == "DENY"
    # the JSON for the slider cannot close its <script> element
    r = await local.get("/tuning?channel=ai-infra&threshold=0")
    data = re.search(r'<script type="application/json" id="tuning-data">(.*?)</script>', r.text, re.S)
    assert data is not None and "<" not in data.group(1)


async def test_without_a_token_only_this_machine_is_served(seeded: Seeded) -> None:
    async with client(seeded, host="10.1.2.3") as remote:
        r = await remote.get("/signals")
        assert r.status_code == 403 and "only served to 127.0.0.1" in r.text
        assert "Nvidia" not in r.text
    async with client(seeded) as local:
        r = await local.get("/signals", headers={"X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 403 and "proxy" in r.text
        r = await local.post("/login", data={"token": ""})
        assert r.status_code == 400 and "Admin sign-in is off" in r.text


async def test_admin_sign_in_with_the_token(seeded: Seeded) -> None:
    async with client(seeded, host="198.51.100.7", token=TOKEN) as c:
        r = await c.get("/sources")
        assert r.status_code == 200 and "Admin sign-in" in r.text
        assert "key=SECRET" not in r.text and "feeds.arstechnica.com" in r.text
        r = await c.post("/login", data={"token": "wrong"})
        assert r.status_code == 403 and "Wrong token." in r.text and COOKIE not in c.cookies
        r = await c.post("/login", data={"token": TOKEN})
        assert r.status_code == 303 and r.headers["location"] == "/signals"
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
        r = await c.get("/sources")
        assert "key=SECRET" in r.text and "HTTP 503 Service Unavailable" in r.text
        r = await c.post("/logout", headers={"Origin": "https://evil.example"})
        assert r.status_code == 403  # a cross-site form cannot sign the admin out (or in)
        r = await c.post("/logout", headers={"Origin": "http://signals"})
        assert r.status_code == 303
        assert "key=SECRET" not in (await c.get("/sources")).text


async def test_wrong_tokens_are_throttled(seeded: Seeded) -> None:
    async with client(seeded, host="198.51.100.8", token=TOKEN) as c:
        for _ in range(10):
            assert (await c.post("/login", data={"token": "guess"})).status_code == 403
        assert (await c.post("/login", data={"token": TOKEN})).status_code == 429


def test_session_cookie_is_signed_and_expires() -> None:
    auth = Auth(TOKEN)

    class Req:
        def __init__(self, value: str) -> None:
            self.cookies = {COOKIE: value}

    good = auth.session_value(now=1_000_000)
    assert auth.is_admin(Req(good), now=1_000_100)  # type: ignore[arg-type]
    assert not auth.is_admin(Req(good), now=1_000_000 + 13 * 3600)  # type: ignore[arg-type]
    issued, mac = good.split(".")
    assert not auth.is_admin(Req(f"{int(issued) + 1}.{mac}"), now=1_000_100)  # type: ignore[arg-type]
    assert not auth.is_admin(Req("garbage"), now=1_000_100)  # type: ignore[arg-type]
    assert not Auth("other-token").is_admin(Req(good), now=1_000_100)  # type: ignore[arg-type]
    assert not Auth(None).token_matches("")


@pytest.mark.parametrize("value", ["\xb2.abc", "\xb9\xb2\xb3.abc", "9" * 5000 + ".abc", "1" * 40 + ".abc"],
                         ids=["superscript-digit", "superscript-digits", "5000-digits", "year-10^39"])
async def test_a_forged_session_cookie_is_not_admin_and_not_an_error(seeded: Seeded, value: str) -> None:
    """Any visitor can send any cookie. Before: a value ``str.isdigit`` accepts but ``int`` refuses
    (a superscript digit, more than 4,300 digits) was HTTP 500 on every page."""
    async with client(seeded, host="198.51.100.9", token=TOKEN) as c:
        r = await c.get("/sources", headers={"Cookie": f"{COOKIE}={value}".encode("latin-1")})
        assert r.status_code == 200 and "Admin sign-in" in r.text and "key=SECRET" not in r.text


async def test_tuning_figures_are_those_of_signals_tune(local: httpx.AsyncClient, seeded: Seeded) -> None:
    since, _ = stored_window(seeded.store, NOW - timedelta(days=14))  # as signals tune replays it
    rules, muted = effective_rules(seeded.settings, seeded.store, "security")
    report = replay(load_stories(seeded.store, since, NOW), seeded.settings, "security", rules=rules, muted=muted,
                    thresholds=[7.0], feedback=load_feedback(seeded.store, "security"), since=since, until=NOW)
    want = report.result(7.0)
    r = await local.get("/tuning?channel=security&days=14&threshold=7")
    assert f'id="sel-alerts">{want.mean_per_day:.2f}<' in r.text
    assert f'id="sel-max">{want.max_per_day}<' in r.text
    assert f'id="sel-digest">{want.digest_items}<' in r.text
    assert f'id="lost-count">{len(want.lost)}<' in r.text and f'id="gained-count">{len(want.gained)}<' in r.text
    assert 'min_importance: 7</span>' in r.text and "# now 5" in r.text


async def test_empty_store_and_no_channels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store.open(f"sqlite:///{tmp_path}/empty.db")
    s = Seeded(settings=settings_from_mapping({}), store=store, story_ids=[], special="")
    async with client(s) as c:
        for path in ("/signals", "/tuning", "/sources"):
            r = await c.get(path)
            assert r.status_code == 200, path
        assert "No stories match" in (await c.get("/signals")).text
        assert "No channels are configured" in (await c.get("/tuning")).text
    store.close()


async def test_an_empty_database_says_nothing_is_stored_yet(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """'signals web' on a new database said only 'No stories match these filters in the last 7d',
    and the user looked for a filter they had not set."""
    store = Store.open(f"sqlite:///{tmp_path}/empty.db")
    s = Seeded(settings=settings_from_mapping({}), store=store, story_ids=[], special="")
    async with client(s) as c:
        text = (await c.get("/signals")).text
        assert "Nothing is stored in this database yet" in text and "signals run" in text and "var/demo.db" in text
    store.close()


async def test_filters_that_match_nothing_do_not_say_nothing_is_stored(local: httpx.AsyncClient) -> None:
    text = (await local.get("/signals?q=zzzunmatched")).text
    assert "No stories match" in text and "Nothing is stored" not in text


async def test_only_http_links_from_feeds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.models import Article
    from bot.store import StoryRow
    from tests.unit.web.seed import settings

    store = Store.open(f"sqlite:///{tmp_path}/links.db")
    bad = Article(source="Wire", guid="g", url="javascript:alert(1)", canonical_url="javascript:alert(1)",
                  title="Evil link", text="t", published_at=NOW, fetched_at=NOW, content_hash="h", story_id="s-evil")
    (a,) = store.add_articles([bad])
    with store.begin() as c:
        store.save_story(c, StoryRow(id="s-evil", first_seen=NOW, updated_at=NOW, representative_id=a.id or 0,
                                     title="Evil link", n_sources=1, importance=5.0, category="x", topics=[],
                                     scores=None))
    async with client(Seeded(settings=settings(), store=store, story_ids=["s-evil"], special="s-evil")) as c:
        r = await c.get("/story/s-evil")
        assert r.status_code == 200 and "Evil link" in r.text and "javascript:" not in r.text
    store.close()


async def test_the_signals_page_pages_through_every_story(local: httpx.AsyncClient, seeded: Seeded) -> None:
    """"Show more" doubled ``limit`` up to 500 and stopped there: stories past the 500th of a
    window could not be seen. Pages now go on: ``page=N`` with ``limit`` stories each."""
    shown: list[str] = []
    page = 1
    while True:
        r = await local.get(f"/signals?since=all&limit=10&page={page}")
        assert r.status_code == 200
        ids = re.findall(r'data-story="([^"]+)"', r.text)
        shown += ids
        older = re.search(r'<a rel="next" href="([^"]+)"', r.text)
        if page > 1:
            assert re.search(rf'<a rel="prev" href="[^"]*page={page - 1}', r.text.replace("&amp;", "&")), page
        if older is None:
            break
        assert f"page={page + 1}" in older.group(1) and len(ids) == 10
        page += 1
    assert page == 6 and len(shown) == len(set(shown)) == len(seeded.story_ids) == 60
    assert set(shown) == set(seeded.story_ids)
    last = await local.get("/signals?since=all&limit=10&page=7")
    assert 'data-story="' not in last.text and "No stories on page 7" in last.text
    q = await local.get("/signals?since=all&limit=10&page=2&q=nvidia")
    assert q.status_code == 200
