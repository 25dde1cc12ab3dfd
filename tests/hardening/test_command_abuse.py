"""Chat commands from any member of a workspace: only admins change things, URLs pass the SSRF guard,
and every change is audited and readable with ``signals audit``.

Drives the real :class:`CommandService` (what the Slack and Discord adapters call) on a
real SQLite store; ``feeds add`` fetches over real loopback HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.commands import CommandService, Invocation
from bot.settings import Settings, settings_from_mapping
from bot.store import Store
from bot.store import schema as t
from tests.feedserver import FeedServer, feed_server, story_rss
from tests.hardening.hostile import FEEDS

__all__ = ["feed_server"]


def config(**fetch: object) -> Settings:
    return settings_from_mapping({
        "sources": [{"name": "Wire", "url": "https://wire.example/feed"}],
        "topics": {"ai": {"keywords": ["nvidia"]}, "space": {"keywords": ["nasa"]}},
        "channels": [{"name": "locked", "slack": "C2", "topics": ["ai"], "admins": ["U_ADMIN"]}],
        "fetch": fetch,
    })


def inv(text: str, user: str) -> Invocation:
    return Invocation(text=text, user=user, platform="slack", platform_channel="C2", workspace="T1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path}/s.db")
    yield s
    s.close()


def _rows(store: Store, table) -> int:  # type: ignore[no-untyped-def]
    with store.begin() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar() or 0)


@pytest.mark.parametrize("command", ["threshold 1", "subscribe space", "unsubscribe ai", "mute ai",
                                     "feeds add http://169.254.169.254/latest/meta-data/", "feeds remove Wire",
                                     "feeds pause Wire"])
def test_non_admin_cannot_change_anything(store: Store, command: str) -> None:
    reply = CommandService(config(), store).run(inv(command, "U_EVIL"))
    assert reply.error and "admins" in reply.text, reply.text
    assert _rows(store, t.overrides) == 0 and _rows(store, t.audit) == 0 and _rows(store, t.source_overrides) == 0


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:9/feed.xml", "private/loopback"),
    ("http://localhost/feed.xml", "private/loopback"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("http://10.0.0.7/feed.xml", "private"),
    ("file:///etc/passwd", "http"),
])
def test_admin_feed_urls_pass_the_ssrf_guard(store: Store, url: str, why: str) -> None:
    reply = CommandService(config(), store).run(inv(f"feeds add {url}", "U_ADMIN"))
    assert reply.error and why in reply.text, reply.text
    assert _rows(store, t.source_overrides) == 0


def test_allow_listed_intranet_feed_is_added_and_every_change_is_audited(
        store: Store, feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = feed_server.feed("/intranet.xml", story_rss(FEEDS["wire"], "intranet.example"))
    svc = CommandService(config(allow_hosts=["127.0.0.0/8"]), store)
    added = svc.run(inv(f"feeds add {url} name Intranet", "U_ADMIN"))
    assert not added.error, added.text
    assert not svc.run(inv("threshold 8", "U_ADMIN")).error
    assert svc.run(inv("threshold 2", "U_EVIL")).error  # denied attempts change nothing
    assert main(["audit", "--db", str(store.engine.url), "--format", "jsonl"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["actor"], r["action"], r["target"]) for r in rows] == [
        ("slack:U_ADMIN", "source add", "source:Intranet"), ("slack:U_ADMIN", "set min_importance", "locked")]
    assert rows[0]["before"] is None and rows[0]["after"]["url"] == url
    assert rows[1]["after"] == 8


@pytest.mark.parametrize("where", [("slack", "D0EVIL", "T1"), ("slack", "C_NOT_IN_CONFIG", "T1"),
                                   ("discord", "999", None)])
@pytest.mark.parametrize("command", ["feeds remove Wire", "feeds pause Wire", "feeds add https://wire.example/other"])
def test_sources_cannot_be_changed_from_outside_the_admins_channels(store: Store, where: tuple, command: str) -> None:
    """Sources feed every channel. Where every channel names its admins and no global ``admins``
    list is set, a command from a DM or a channel not in the config was checked against no list
    at all, so any member could remove, pause or add a source from there."""
    platform, channel, workspace = where
    reply = CommandService(config(), store).run(Invocation(text=command, user="U_EVIL", platform=platform,
                                                           platform_channel=channel, workspace=workspace))
    assert reply.error and "admins" in reply.text, reply.text
    assert _rows(store, t.audit) == 0 and _rows(store, t.source_overrides) == 0


@pytest.mark.parametrize("command", ["feeds remove Wire", "feeds pause Wire", "feeds add https://wire.example/other"])
def test_sources_cannot_be_changed_from_a_channel_that_names_no_admins(store: Store, command: str) -> None:
    """Sources feed every channel. A configured channel naming no admins of its own (none in
    ``defaults``, no global list) let any of its members remove, pause or add a source, though
    another channel (#locked) restricts its settings to its admins: the same rule as for a DM
    (e0d1d8b) now applies wherever the command is typed."""
    settings = settings_from_mapping({
        "sources": [{"name": "Wire", "url": "https://wire.example/feed"}],
        "channels": [{"name": "locked", "slack": "C2", "admins": ["U_ADMIN"]},
                     {"name": "open", "slack": "C3"}]})
    service = CommandService(settings, store)
    reply = service.run(Invocation(text=command, user="U_EVIL", platform="slack", platform_channel="C3",
                                   workspace="T1"))
    assert reply.error and "admins" in reply.text and "every channel" in reply.text, reply.text
    assert _rows(store, t.audit) == 0 and _rows(store, t.source_overrides) == 0
    # the open channel's own settings stay its members' to change
    assert not service.run(Invocation(text="threshold 7", user="U_EVIL", platform="slack",
                                      platform_channel="C3", workspace="T1")).error
    ok = service.run(Invocation(text="feeds pause Wire", user="U_ADMIN", platform="slack", platform_channel="C3",
                                workspace="T1"))
    assert not ok.error, ok.text
