"""Secrets come from the environment or a secrets file, never from the config, and never leave redacted.

``SIGNALS_SECRETS_FILE`` names a file of ``KEY=VALUE`` lines (``#`` comments, blank lines,
an optional ``export`` prefix and surrounding quotes allowed), the format Docker, systemd
``EnvironmentFile=`` and Kubernetes secret mounts all produce. At start-up
:func:`load_secrets` copies each key into the process environment unless it is already
set (the real environment wins), so the config's ``${SLACK_BOT_TOKEN}`` references and
the adapters read them the usual way.

Every secret-looking variable (name containing TOKEN, SECRET, PASSWORD, API_KEY, PRIVATE,
or a database URL with a password) is then registered with :func:`bot.logs.add_secret`,
so its exact value is replaced by ``[redacted]`` in every log line, in the errors the CLI
prints and in tracebacks, whatever its shape. Problems in the file are reported with the
file and line, never with the value.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import sys
from collections.abc import MutableMapping
from pathlib import Path
from types import TracebackType

from bot.errors import ConfigError, ConfigIssue

__all__ = ["SECRET_NAME", "load_secrets", "parse_secrets_file", "register_env_secrets"]

log = logging.getLogger(__name__)
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE|WEBHOOK|CREDENTIAL", re.I)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]*:([^@\s]+)@", re.I)


def parse_secrets_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """``KEY=VALUE`` lines → dict. Raises :class:`ConfigError` (file:line, value never shown)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([ConfigIssue(file, None, "SIGNALS_SECRETS_FILE", "secrets file not found")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigIssue(file, None, "SIGNALS_SECRETS_FILE",
                                       f"cannot read secrets file: {type(exc).__name__}")]) from exc
    out: dict[str, str] = {}
    issues: list[ConfigIssue] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _KEY.match(key):
            issues.append(ConfigIssue(file, n, "", "expected KEY=VALUE (the line is not shown: it may hold a secret)"))
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key] = value
    if issues:
        raise ConfigError(issues)
    return out


def _warn_if_readable(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("secrets file is readable by other users; chmod 600 it", extra={"file": str(path)})


def register_env_secrets(env: MutableMapping[str, str] | None = None) -> int:
    """Register secret-looking environment values with the log redactor. Returns how many."""
    from bot.logs import add_secret

    env = os.environ if env is None else env
    n = 0
    for key, value in env.items():
        if SECRET_NAME.search(key) and value:
            add_secret(value)
            n += 1
        elif key.endswith("DATABASE_URL") and (m := _URL_PASSWORD.match(value)):
            add_secret(m.group(1))
            n += 1
    return n


def _redacting_excepthook(et: type[BaseException], ev: BaseException, tb: TracebackType | None) -> None:
    import traceback

    from bot.logs import redact

    sys.stderr.write(redact("".join(traceback.format_exception(et, ev, tb))))


def load_secrets(env: MutableMapping[str, str] | None = None) -> list[str]:
    """Load ``$SIGNALS_SECRETS_FILE`` (if set) into ``env`` without overriding, register every secret
    for redaction and make uncaught tracebacks redacted. Returns the names taken from the file."""
    env = os.environ if env is None else env
    loaded: list[str] = []
    if path := env.get("SIGNALS_SECRETS_FILE", "").strip():
        for key, value in parse_secrets_file(path).items():
            if key not in env:
                env[key] = value
                loaded.append(key)
        _warn_if_readable(Path(path))
    register_env_secrets(env)
    sys.excepthook = _redacting_excepthook
    return loaded
