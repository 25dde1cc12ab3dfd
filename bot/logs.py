"""Logging setup: plain text for people, JSON lines for machines; secrets redacted.

Stages log with structured fields through ``extra={"source": ..., "story_id": ...}``;
both formats print them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime

__all__ = ["add_secret", "redact", "setup_logging"]

# Slack bot/user/app/refresh tokens (xoxe-: rotating refresh tokens), Discord bot tokens (the
# first part is the base64 bot id: M/N/O), webhook secrets in URLs, secret query parameters.
_SECRET = re.compile(r"(xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|[MNO][A-Za-z\d]{23,}\.[\w-]{6}\.[\w-]{27,}"
                     r"|(?<=/api/webhooks/)\d+/[\w-]+|(?i:(?:token|secret|password)=)[^&\s]+"
                     # a URL's key parameters (?api_key=, &apikey=, ?sig=, X-Amz-Signature=): feed APIs put
                     # their key in the feed URL, which errors name; only after ? or &, so a log line's own
                     # ``key=`` field stays readable
                     r"|(?i:(?<=[?&;])[\w.-]*(?:key|auth|sig|signature|passwd|pwd|credentials?)=)[^&\s]+)")
_STD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


_KNOWN: list[str] = []  # exact secret values (from the environment or the secrets file), longest first


def add_secret(value: str) -> None:
    """Redact this exact value everywhere from now on (see :mod:`bot.settings.secrets`). Short values
    (under 8 characters) are ignored: they would redact ordinary words."""
    value = value.strip()
    if len(value) >= 8 and value not in _KNOWN:
        _KNOWN.append(value)
        _KNOWN.sort(key=len, reverse=True)


def redact(text: str) -> str:
    """Hide Slack/Discord tokens, secret query parameters and registered secret values in a string."""
    for value in _KNOWN:
        if value in text:
            text = text.replace(value, "[redacted]")
    return _SECRET.sub("[redacted]", text)


def _fields(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in record.__dict__.items() if k not in _STD and not k.startswith("_")}


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = f"{datetime.fromtimestamp(record.created, UTC):%H:%M:%S} {record.levelname:<7} {record.name}: "
        msg = record.getMessage()
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        line = base + msg + (f" [{extra}]" if extra else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(data, default=str))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners and daemons replace it)."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def setup_logging(verbose: int = 0, fmt: str | None = None) -> None:
    fmt = fmt or os.environ.get("SIGNALS_LOG_FORMAT", "text")
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    if (env := os.environ.get("SIGNALS_LOG_LEVEL")):
        level = getattr(logging, env.upper(), level)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "slack_bolt", "slack_sdk", "discord", "trafilatura"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
