"""``signals run`` checks Slack at start: a token Slack refuses, or a channel the app is not in,
is said in the first lines, with what to do, instead of at the first alert (hours later, or
never noticed when no story passed the thresholds that day).

The fake Slack on loopback answers as Slack does for an app that was never installed to the
workspace (``invalid_auth``) or is not a member of the channel (``not_in_channel``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

CONFIG = """\
topics:
  ai:
    keywords: [nvidia]
channels:
  - name: news
    slack: C1
  - name: ops
    slack: C2
"""


def start(tmp_path: Path, fake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],  # type: ignore[no-untyped-def]
          token: str = "xoxb-1-abc") -> tuple[int, str]:
    cfg = tmp_path / "signals.yaml"
    cfg.write_text(CONFIG)
    monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    code = main(["run", "--once", "--config", str(cfg), "--db", f"sqlite:///{tmp_path}/s.db"])
    out = capsys.readouterr()
    return code, out.err


@pytest.mark.parametrize("error", ["invalid_auth", "not_authed", "account_inactive"])
def test_a_token_slack_refuses_is_reported_at_start_with_what_to_do(tmp_path: Path, fake, error: str,  # type: ignore[no-untyped-def]
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    fake.fail("auth.test", error=error, times=None)
    code, err = start(tmp_path, fake, monkeypatch, capsys)
    assert code == 0  # other destinations still run; the Slack channels pause as at a post
    line = next(ln for ln in err.splitlines() if "SLACK_BOT_TOKEN" in ln)
    assert error in line and "Install" in line and "xoxb-" in line and "news, ops" in line
    assert fake.calls_to("auth.test")


def test_an_app_token_given_as_the_bot_token_is_named(tmp_path: Path, fake, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fake.fail("auth.test", error="not_allowed_token_type", times=None)
    _, err = start(tmp_path, fake, monkeypatch, capsys, token="xapp-1-A1-abc")
    assert "SLACK_BOT_TOKEN holds an app-level token (xapp-)" in err and "SLACK_APP_TOKEN" in err


def test_a_channel_the_app_is_not_in_is_reported_at_start(tmp_path: Path, fake, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    fake.fail("conversations.history", error="not_in_channel", channel="C2", times=None)
    fake.fail("conversations.history", error="channel_not_found", channel="C1", times=None)
    code, err = start(tmp_path, fake, monkeypatch, capsys)
    assert code == 0
    ops = next(ln for ln in err.splitlines() if "C2" in ln and "not_in_channel" in ln)
    assert "channel ops" in ops and "/invite @Signals" in ops
    news = next(ln for ln in err.splitlines() if "C1" in ln and "channel_not_found" in ln)
    assert "channel news" in news and "About" in news


def test_a_working_app_starts_without_a_word(tmp_path: Path, fake, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, err = start(tmp_path, fake, monkeypatch, capsys)
    assert code == 0
    assert "ERROR" not in err and "Slack" not in err, err
    assert len(fake.calls_to("auth.test")) == 1


@pytest.mark.parametrize("app_token", ["xapp-1-revoked", "xoxb-pasted-twice"])
def test_a_refused_app_token_is_said_once_without_a_retry_loop(tmp_path: Path, fake, app_token: str,  # type: ignore[no-untyped-def]
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """Socket Mode with a refused SLACK_APP_TOKEN logged a traceback and 'Retrying...' forever."""
    import asyncio
    import logging

    from bot.cli.run import _slack_socket_mode
    from bot.commands import CommandService
    from bot.settings import settings_from_mapping
    from bot.store import Store

    fake.fail("apps.connections.open", error="invalid_auth", times=None)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-abc")
    monkeypatch.setenv("SLACK_APP_TOKEN", app_token)
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    store = Store.open(f"sqlite:///{tmp_path}/s.db")
    try:
        service = CommandService(settings_from_mapping({"channels": [{"name": "news", "slack": "C1"}]}), store)
        with caplog.at_level(logging.INFO):
            assert asyncio.run(_slack_socket_mode(service)) is None
    finally:
        store.close()
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "SLACK_APP_TOKEN (invalid_auth)" in line and "connections:write" in line
    assert ("bot token" in line) == app_token.startswith("xoxb-")
    assert len(fake.calls_to("apps.connections.open")) == 1
