"""Secrets: from the environment or ``SIGNALS_SECRETS_FILE`` only, and never printed.

A token must not appear in log lines (text or JSON, tracebacks included), in an error
the CLI prints, in an uncaught traceback or in ``config show`` — whatever its shape, since
the values registered at start-up are redacted verbatim, not only the known token formats.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.logs import JsonFormatter, TextFormatter, redact
from bot.settings.secrets import _redacting_excepthook, load_secrets, parse_secrets_file

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOpQrStUvWx"
ODD_SECRET = "q9R2-not-a-known-format-7Zt4"  # no regex knows this shape: only the registry can hide it


def _secrets_file(tmp_path: Path, body: str) -> Path:
    f = tmp_path / "secrets.env"
    f.write_text(body, encoding="utf-8")
    f.chmod(0o600)
    return f


def test_secrets_file_format(tmp_path: Path) -> None:
    f = _secrets_file(tmp_path, f"# comment\n\nexport SLACK_BOT_TOKEN='{BOT_TOKEN}'\nHOOK_SECRET=\"{ODD_SECRET}\"\n"
                                "EMPTY=\nWITH_EQUALS=a=b=c\n")
    assert parse_secrets_file(f) == {"SLACK_BOT_TOKEN": BOT_TOKEN, "HOOK_SECRET": ODD_SECRET, "EMPTY": "",
                                     "WITH_EQUALS": "a=b=c"}


def test_bad_line_is_reported_without_its_value(tmp_path: Path) -> None:
    f = _secrets_file(tmp_path, f"SLACK_BOT_TOKEN={BOT_TOKEN}\n{ODD_SECRET}\n")
    with pytest.raises(ConfigError) as info:
        parse_secrets_file(f)
    assert f"{f}:2" in str(info.value) and ODD_SECRET not in str(info.value)
    with pytest.raises(ConfigError, match="not found"):
        parse_secrets_file(tmp_path / "missing.env")


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    f = _secrets_file(tmp_path, f"SLACK_BOT_TOKEN=from-file-token-000\nHOOK_SECRET={ODD_SECRET}\n")
    env = {"SIGNALS_SECRETS_FILE": str(f), "SLACK_BOT_TOKEN": BOT_TOKEN}
    assert load_secrets(env) == ["HOOK_SECRET"]
    assert env["SLACK_BOT_TOKEN"] == BOT_TOKEN and env["HOOK_SECRET"] == ODD_SECRET


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()], ids=["text", "json"])
def test_token_never_in_log_output(tmp_path: Path, formatter: logging.Formatter) -> None:
    load_secrets({"SIGNALS_SECRETS_FILE": str(_secrets_file(tmp_path, f"HOOK_SECRET={ODD_SECRET}\n")),
                  "SLACK_BOT_TOKEN": BOT_TOKEN})
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(formatter)
    log = logging.getLogger("tests.hardening.secrets")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("posting with %s to https://x.example/?k=%s", BOT_TOKEN, ODD_SECRET,
                    extra={"token": BOT_TOKEN, "url": f"https://discord.com/api/webhooks/1/{ODD_SECRET}"})
        try:
            raise RuntimeError(f"auth failed for {ODD_SECRET} / {BOT_TOKEN}")
        except RuntimeError:
            log.exception("delivery crashed")
    finally:
        log.removeHandler(handler)
    out = buf.getvalue()
    assert "delivery crashed" in out and "RuntimeError" in out and "[redacted]" in out
    assert BOT_TOKEN not in out and ODD_SECRET not in out


def test_uncaught_traceback_is_redacted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load_secrets({"HOOK_SECRET": ODD_SECRET})
    try:
        raise ValueError(f"bad {ODD_SECRET}")
    except ValueError as exc:
        _redacting_excepthook(type(exc), exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert "ValueError: bad [redacted]" in err and ODD_SECRET not in err
    assert redact(f"x {ODD_SECRET} y") == "x [redacted] y"


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNALS_", "SLACK_", "DISCORD_"))}
    env["SIGNALS_SECRETS_FILE"] = str(_secrets_file(
        tmp_path, f"SLACK_BOT_TOKEN={BOT_TOKEN}\nHOOK_SECRET={ODD_SECRET}\n"))
    return subprocess.run([sys.executable, "-m", "bot", *args], env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_cli_config_show_and_errors_never_print_a_token(tmp_path: Path) -> None:
    cfg = tmp_path / "signals.yaml"
    cfg.write_text("channels:\n"
                   "  - name: news\n    slack: C1\n"
                   "  - name: hook\n    webhook: https://hooks.example/in?key=${HOOK_SECRET}\n"
                   "  - name: odd\n    console: true\n    include: ['${HOOK_SECRET}']\n"
                   "database_url: postgresql://signals:${HOOK_SECRET}@db.example/signals\n")
    show = _cli(tmp_path, "config", "show", str(cfg), "--db", f"sqlite:///{tmp_path}/o.db")
    assert show.returncode == 0, show.stderr
    assert "name: news" in show.stdout and "[redacted]" in show.stdout
    # a secret substituted where a value fails validation ends up in the error text
    bad = tmp_path / "bad.yaml"
    bad.write_text("timezone: ${SLACK_BOT_TOKEN}\nchannels:\n  - name: c\n    console: true\n")
    check = _cli(tmp_path, "config", "check", str(bad))
    run = _cli(tmp_path, "-vv", "run", "--once", "--dry-run", "--config", str(bad), "--db",
               f"sqlite:///{tmp_path}/s.db")
    assert check.returncode == 2 and run.returncode == 2 and "unknown time zone" in run.stderr
    for proc in (show, check, run):
        assert BOT_TOKEN not in proc.stdout + proc.stderr and ODD_SECRET not in proc.stdout + proc.stderr


@pytest.mark.parametrize("token", [
    "xoxb-1111-2222-abcdefABCDEF", "xoxp-1-2-3-abc", "xapp-1-A111-222-abcdef", "xoxe-1-My0xLTEyMzQ1Njc4OTA",
    "xoxe.xoxb-1-MS0yLTM0NTY3ODkw", "MTA4MzQ1Njc4OTAxMjM0NTY3OA.GabcDE.abcdefghijklmnopqrstuvwxyz12345",
    "ODc2NTQzMjEwOTg3NjU0MzIx.Yabc12.abcdefghijklmnopqrstuvwxyz1234567",
    "https://discord.com/api/webhooks/123456789/AbC-dEf_ghi", "https://x.example/feed?token=s3cr3t&x=1",
])
def test_known_token_shapes_are_redacted_without_registration(token: str) -> None:
    """Tokens that never went through the environment (e.g. Slack OAuth installs kept in the database)."""
    out = redact(f"calling with {token} now")
    secret = token.rsplit("/", 1)[-1].split("token=")[-1].split("&")[0]
    assert secret not in out and "[redacted]" in out, out


FEED_KEY = "Zq81-feed-key-9vX"  # a feed's own access key, written into its URL by the operator


@pytest.mark.parametrize("param", ["api_key", "apikey", "key", "access_key", "auth", "sig", "X-Amz-Signature",
                                   "client_secret", "access_token"])
async def test_a_key_in_a_feed_url_is_not_in_the_channel_notice_or_the_log(
        param: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Feed APIs take their key in the query (``?api_key=``, ``?apikey=``, signed ``?sig=`` URLs).
    When such a feed turns malformed, the error names its URL, and that error is posted to the chat
    channel as the source's health notice and logged. Before: only ``token=``, ``secret=`` and
    ``password=`` were hidden, so an ``api_key`` reached the channel and the log."""
    from sqlalchemy import select

    from bot.outbox import alert_from_dict
    from bot.pipeline import Pipeline
    from bot.settings import settings_from_mapping
    from bot.store import Store
    from bot.store import schema as t
    from tests.feedserver import FeedServer, Reply

    with FeedServer() as srv:
        srv.add("/feed.xml", Reply(body=b"{not json", content_type="application/feed+json"))
        url = srv.url("/feed.xml") + f"?{param}={FEED_KEY}&lang=en"
        settings = settings_from_mapping({
            "sources": [{"name": "Keyed", "url": url}],
            "channels": [{"name": "news", "console": True}],
            "fetch": {"retries": 0, "pause_after_failures": 1}, "source_alert_after": "1h"})
        store = Store.open(f"sqlite:///{tmp_path}/s.db")
        try:
            async with Pipeline(settings, store, {}, dry_run=True) as p:
                p.process = False
                await p.run_cycle()
                p.housekeeping()
            with store.begin() as c:
                rows = c.execute(select(t.deliveries.c.payload).where(t.deliveries.c.kind == "notice")).all()
        finally:
            store.close()
    told = [alert_from_dict(r.payload).text for r in rows]
    assert told and "Keyed" in told[0], told
    assert not any(FEED_KEY in n for n in told), told
    logged = "\n".join(TextFormatter().format(r) for r in caplog.records)
    assert FEED_KEY not in logged, logged
