"""Multi-workspace Slack install and token rotation against a fake Slack OAuth API on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.adapters.slack_oauth import OAuthSettings, SlackInstalls
from bot.errors import DeliveryError
from bot.settings import settings_from_mapping
from bot.store import Store
from bot.web.app import WebContext, create_app


class FakeSlackOAuth:
    """oauth.v2.access (code and refresh_token grants, one-time refresh tokens) and auth.test."""

    def __init__(self, expires_in: int) -> None:
        self.expires_in = expires_in
        self.issued = 0
        self.refreshes = 0
        self.live_refresh: str | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
                self._json(fake.answer(self.path, form))

            def _json(self, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def _tokens(self) -> dict[str, object]:
        self.issued += 1
        self.live_refresh = f"xoxe-1-r{self.issued}"
        return {"ok": True, "access_token": f"xoxe.xoxb-1-t{self.issued}", "token_type": "bot",
                "refresh_token": self.live_refresh, "expires_in": self.expires_in, "scope": "chat:write"}

    def answer(self, path: str, form: dict[str, str]) -> dict[str, object]:
        if path.endswith("auth.test"):
            return {"ok": True, "bot_id": "B1", "team_id": "T1", "user_id": "U0BOT"}
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") != self.live_refresh:
                return {"ok": False, "error": "invalid_refresh_token"}
            self.refreshes += 1
            return self._tokens()
        if form.get("code") != "good-code":
            return {"ok": False, "error": "invalid_code"}
        return {**self._tokens(), "app_id": "A1", "bot_user_id": "U0BOT", "team": {"id": "T1", "name": "Acme"},
                "authed_user": {"id": "U1"}, "is_enterprise_install": False}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack() -> Iterator[FakeSlackOAuth]:
    fake = FakeSlackOAuth(expires_in=60)  # expires within the rotation margin: every use refreshes
    yield fake
    fake.close()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


async def test_install_flow_stores_the_workspace_once(store: Store, slack: FakeSlackOAuth) -> None:
    env = {"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "s3cret", "SLACK_API_URL": slack.api_url}
    ctx = WebContext(settings=settings_from_mapping({}), store=store, env=env)
    app = create_app(ctx, parts=["bot.web.slack_install"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        r = await client.get("/slack/install")
        assert r.status_code == 302
        target = urlsplit(r.headers["location"])
        assert target.path == "/oauth/v2/authorize"
        state = parse_qs(target.query)["state"][0]
        assert "chat:write" in parse_qs(target.query)["scope"][0]
        bad = await client.get("/slack/oauth_redirect", params={"code": "good-code", "state": "forged"})
        assert bad.status_code == 400
        ok = await client.get("/slack/oauth_redirect", params={"code": "good-code", "state": state})
        assert ok.status_code == 200 and "Acme" in ok.text
        again = await client.get("/slack/oauth_redirect", params={"code": "good-code", "state": state})
        assert again.status_code == 400  # a state works once
    inst = ctx.extra["slack_installs"].installations.find_installation(enterprise_id=None, team_id="T1")
    assert inst is not None and inst.bot_id == "B1" and inst.bot_refresh_token == "xoxe-1-r1"


def test_posting_outside_a_request_rotates_an_expiring_token(store: Store, slack: FakeSlackOAuth) -> None:
    installs = SlackInstalls(store, OAuthSettings("111.222", "s3cret", api_url=slack.api_url))
    url = installs.authorize_url()
    installs.complete("good-code", parse_qs(urlsplit(url).query)["state"][0])
    first = installs.bot_token("T1")
    assert first == "xoxe.xoxb-1-t2" and slack.refreshes == 1  # expiring: refreshed and saved
    second = installs.bot_token("T1")  # the saved refresh token is the live one: refreshing again works
    assert second == "xoxe.xoxb-1-t3" and slack.refreshes == 2
    slack.expires_in = 12 * 3600
    installs.bot_token("T1")
    assert installs.bot_token("T1") == "xoxe.xoxb-1-t4" and slack.refreshes == 3  # valid for hours: kept
    with pytest.raises(DeliveryError, match="not installed"):
        installs.bot_token("T-unknown")


def test_off_without_client_credentials(store: Store) -> None:
    assert OAuthSettings.from_env({}) is None
    app = create_app(WebContext(settings=settings_from_mapping({}), store=store), parts=["bot.web.slack_install"])
    assert not [r for r in app.routes if getattr(r, "path", "").startswith("/slack/")]


async def test_install_page_keeps_the_pending_states_bounded(store: Store, slack: FakeSlackOAuth) -> None:
    """Anyone may open /slack/install, and each visit stores a one-time state: expired ones are
    deleted as new ones are issued, and past MAX_PENDING_STATES live ones the page answers 429
    instead of writing more (before, every GET added a row that was never deleted)."""
    from datetime import UTC, datetime, timedelta

    from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
    from sqlalchemy import func, insert, select

    from bot.adapters import slack_oauth
    from bot.store import schema as t

    env = {"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "s3cret", "SLACK_API_URL": slack.api_url}
    ctx = WebContext(settings=settings_from_mapping({}), store=store, env=env)
    app = create_app(ctx, parts=["bot.web.slack_install"])
    st = t.slack_oauth_states
    past = normalize_datetime_for_db(datetime.now(UTC) - timedelta(hours=1))
    with store.begin() as c:
        c.execute(insert(st), [{"state": f"old-{i}", "expire_at": past} for i in range(500)])

    def count() -> int:
        with store.begin() as c:
            return int(c.execute(select(func.count()).select_from(st)).scalar_one())

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/slack/install")).status_code == 302
        assert count() == 1  # the 500 expired ones are gone
        future = normalize_datetime_for_db(datetime.now(UTC) + timedelta(minutes=5))
        with store.begin() as c:
            c.execute(insert(st), [{"state": f"live-{i}", "expire_at": future}
                                   for i in range(slack_oauth.MAX_PENDING_STATES)])
        r = await client.get("/slack/install")
        assert r.status_code == 429 and "Too many installs" in r.text
        assert count() == slack_oauth.MAX_PENDING_STATES + 1


def test_the_install_link_asks_for_the_manifests_scopes() -> None:
    """A workspace installed through /slack/install gets what the manifest's app has: before, the
    link lacked app_mentions:read ("@Signals search" unanswered) and groups:history (earlier posts
    in private channels not found after a crash) and asked for three scopes nothing uses."""
    from pathlib import Path

    import yaml

    from bot.adapters.slack_oauth import DEFAULT_SCOPES

    manifest = yaml.safe_load((Path(__file__).parents[3] / "config" / "slack-manifest.yaml").read_text())
    assert sorted(DEFAULT_SCOPES) == sorted(manifest["oauth_config"]["scopes"]["bot"])
