"""Multi-workspace Slack: OAuth install, stored installations, and rotated bot tokens.

For the hosted case, where one Signals serves many Slack workspaces. The install flow
(``/slack/install`` → Slack → ``/slack/oauth_redirect``, see :mod:`bot.web.slack_install`)
stores each workspace's installation with slack_sdk's SQLAlchemy stores, in the same
database as everything else (tables from Alembic revision 0002, not ``create_tables``).

Posts are made by workers, outside any Slack request, so nobody hands them a fresh
token: :meth:`SlackInstalls.bot_token` looks the installation up and, when token
rotation is on and the token expires within ``ROTATE_BEFORE``, refreshes it with
slack_sdk's ``TokenRotator`` and saves the new pair. On PostgreSQL the refresh runs under
an advisory lock per workspace, so two workers never spend the same refresh token.

Configured from the environment: ``SLACK_CLIENT_ID``, ``SLACK_CLIENT_SECRET``,
``SLACK_SCOPES`` (comma-separated), optional ``SLACK_REDIRECT_URI`` and
``SLACK_API_URL`` (a fake Slack in tests).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import AuthorizeUrlGenerator
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import delete, func, select, text

from bot.errors import DeliveryError, SignalsError
from bot.store import Store, schema

__all__ = ["DEFAULT_SCOPES", "OAuthSettings", "SlackInstallError", "SlackInstalls"]

log = logging.getLogger(__name__)
# the bot scopes of config/slack-manifest.yaml (a test keeps them equal): what a workspace installed
# through /slack/install needs, nothing more
DEFAULT_SCOPES = ["chat:write", "commands", "app_mentions:read", "channels:history", "groups:history"]
ROTATE_BEFORE = timedelta(minutes=10)
STATE_SECONDS = 600
# one-time install states alive at once: /slack/install is open to anyone and each visit stores one
MAX_PENDING_STATES = 1000


class SlackInstallError(SignalsError):
    """The install could not be completed (bad or reused state, code refused by Slack)."""


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    client_id: str
    client_secret: str
    scopes: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPES))
    redirect_uri: str | None = None
    api_url: str | None = None  # e.g. http://127.0.0.1:PORT/api/ for a fake Slack

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OAuthSettings | None:
        """None unless both ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` are set."""
        cid, secret = env.get("SLACK_CLIENT_ID"), env.get("SLACK_CLIENT_SECRET")
        if not cid or not secret:
            return None
        scopes = [s.strip() for s in env.get("SLACK_SCOPES", "").split(",") if s.strip()] or list(DEFAULT_SCOPES)
        return cls(cid, secret, scopes, env.get("SLACK_REDIRECT_URI") or None, env.get("SLACK_API_URL") or None)

    @property
    def authorize_base(self) -> str:
        if self.api_url:  # a fake Slack serves the authorize page next to its API
            return self.api_url.rstrip("/").removesuffix("/api") + "/oauth/v2/authorize"
        return "https://slack.com/oauth/v2/authorize"


class SlackInstalls:
    def __init__(self, store: Store, oauth: OAuthSettings, client: WebClient | None = None) -> None:
        self.store = store
        self.oauth = oauth
        self.client = client or (WebClient(base_url=oauth.api_url) if oauth.api_url else WebClient())
        self.installations = SQLAlchemyInstallationStore(client_id=oauth.client_id, engine=store.engine)
        self.states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=store.engine)
        self.rotator = TokenRotator(client_id=oauth.client_id, client_secret=oauth.client_secret,
                                    client=self.client)

    # -- install flow ------------------------------------------------------------------
    def authorize_url(self) -> str:
        """Where to send the installing admin: Slack's consent page, with a fresh one-time state.

        The install page is open to anyone and slack_sdk's state store never deletes an unused
        state: expired ones are deleted here, and past ``MAX_PENDING_STATES`` live ones no more are
        issued (:class:`SlackInstallError`), so visits cannot fill the database."""
        st = schema.slack_oauth_states
        now = normalize_datetime_for_db(datetime.now(UTC))
        with self.store.begin() as conn:
            conn.execute(delete(st).where(st.c.expire_at <= now))
            live = conn.execute(select(func.count()).select_from(st)).scalar_one()
        if live >= MAX_PENDING_STATES:
            log.warning("slack install refused: too many pending installs", extra={"pending": live})
            raise SlackInstallError("Too many installs are in progress; try again in a few minutes.")
        gen = AuthorizeUrlGenerator(client_id=self.oauth.client_id, scopes=self.oauth.scopes,
                                    redirect_uri=self.oauth.redirect_uri, authorization_url=self.oauth.authorize_base)
        return gen.generate(self.states.issue())

    def complete(self, code: str, state: str) -> Installation:
        """Exchange the code Slack sent back for tokens and store the installation."""
        if not state or not self.states.consume(state):
            raise SlackInstallError("the install link expired or was already used; start again")
        try:
            r = self.client.oauth_v2_access(client_id=self.oauth.client_id, client_secret=self.oauth.client_secret,
                                            code=code, redirect_uri=self.oauth.redirect_uri)
            bot_id = None
            if r.get("access_token"):
                bot_id = WebClient(token=r["access_token"], base_url=self.client.base_url).auth_test().get("bot_id")
        except SlackApiError as exc:
            raise SlackInstallError(f"Slack refused the install: {exc.response.get('error')}") from exc
        team, enterprise, user = r.get("team") or {}, r.get("enterprise") or {}, r.get("authed_user") or {}
        inst = Installation(
            app_id=r.get("app_id"), enterprise_id=enterprise.get("id"), enterprise_name=enterprise.get("name"),
            team_id=team.get("id"), team_name=team.get("name"), bot_token=r.get("access_token"), bot_id=bot_id,
            bot_user_id=r.get("bot_user_id"), bot_scopes=r.get("scope"), bot_refresh_token=r.get("refresh_token"),
            bot_token_expires_in=r.get("expires_in"), user_id=user.get("id") or "", user_token=user.get("access_token"),
            user_scopes=user.get("scope"), user_refresh_token=user.get("refresh_token"),
            user_token_expires_in=user.get("expires_in"),
            is_enterprise_install=bool(r.get("is_enterprise_install")), token_type=r.get("token_type"))
        self.installations.save(inst)
        log.warning("slack workspace installed", extra={"team": inst.team_id, "team_name": inst.team_name})
        return inst

    # -- posting outside a request -------------------------------------------------------
    def bot_token(self, team_id: str | None, enterprise_id: str | None = None) -> str:
        """A bot token for the workspace that is valid for at least ``ROTATE_BEFORE``; refreshed if needed."""
        inst = self._find(team_id, enterprise_id)
        if inst.bot_token_expires_at is None or inst.bot_token_expires_at > _now() + ROTATE_BEFORE.total_seconds():
            return str(inst.bot_token)
        with self.store.begin() as conn:  # one refresher per workspace at a time
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_id(team_id, enterprise_id)})
            inst = self._find(team_id, enterprise_id)  # another worker may have refreshed meanwhile
            try:
                fresh = self.rotator.perform_token_rotation(
                    installation=inst, minutes_before_expiration=int(ROTATE_BEFORE.total_seconds() // 60))
            except SlackApiError as exc:
                raise DeliveryError(f"slack {team_id}", f"token refresh failed: {exc.response.get('error')}") from exc
            if fresh is not None:
                self.installations.save(fresh)
                log.info("slack token rotated", extra={"team": team_id})
                inst = fresh
        return str(inst.bot_token)

    def _find(self, team_id: str | None, enterprise_id: str | None) -> Installation:
        inst = self.installations.find_installation(enterprise_id=enterprise_id, team_id=team_id)
        if inst is None or not inst.bot_token:
            raise DeliveryError(f"slack {team_id}", "Signals is not installed in this workspace")
        return inst


def _now() -> float:
    import time

    return time.time()


def _lock_id(team_id: str | None, enterprise_id: str | None) -> int:
    digest = hashlib.blake2b(f"slack:{enterprise_id}:{team_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
