"""Hot reload: pick up config edits while running, validated first.

People tune thresholds by editing the YAML file while the bot runs. :class:`ConfigWatcher`
polls the file's modification time and size (cheap, works on every platform and on
network/container mounts where inotify does not), reads the new text only when they
change, and ignores rewrites of identical content. The new text is validated with the
same loader as start-up; a bad edit is logged with the loader's ``file:line: key:
message`` lines and the previous settings stay in force until the file is fixed. Each
distinct set of problems is reported once, not on every poll.

``on_change`` receives the new :class:`Settings`; the caller swaps them in between jobs,
so nothing in flight is lost (queued alerts live in the durable outbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from bot.errors import ConfigError
from bot.settings.loader import load_settings
from bot.settings.schema import Settings

__all__ = ["ConfigWatcher", "changed_sections"]

log = logging.getLogger(__name__)

_Stamp = tuple[int, int]  # (mtime_ns, size)


def changed_sections(old: Settings | None, new: Settings) -> list[str]:
    """Top-level keys whose values differ, for the reload log line."""
    if old is None:
        return list(Settings.model_fields)
    return [k for k in Settings.model_fields if getattr(old, k) != getattr(new, k)]


class ConfigWatcher:
    """Poll ``path``; on a valid change call ``on_change(new_settings)``."""

    def __init__(self, path: str | os.PathLike[str], on_change: Callable[[Settings], None],
                 current: Settings | None = None) -> None:
        self.path = Path(path)
        self.on_change = on_change
        self.current = current
        self.last_error: ConfigError | None = None
        self._stamp = self._stat()
        self._digest = self._hash() if current is not None else None
        self._reported: str | None = None
        self._looked = time.monotonic()  # building the watcher stamps the file: a look

    def due(self, every: float, now: float | None = None) -> bool:
        """Have ``every`` seconds passed since the last look (:meth:`check_due`, or construction)?"""
        return (time.monotonic() if now is None else now) - self._looked >= every

    def check_due(self, every: float, now: float | None = None) -> bool:
        """:meth:`check_once`, at most every ``every`` seconds: for processes that look before
        answering a request or running a task rather than on a timer. True when new settings
        were applied."""
        now = time.monotonic() if now is None else now
        if not self.due(every, now):
            return False
        self._looked = now
        return self.check_once()

    def _stat(self) -> _Stamp | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _hash(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None

    def check_once(self) -> bool:
        """Reload if the file changed. True when new settings were applied."""
        stamp = self._stat()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        if stamp is None:
            log.warning("config file is missing; keeping the current settings", extra={"path": str(self.path)})
            return False
        digest = self._hash()
        if digest is None or digest == self._digest:
            if digest is not None and self.last_error is not None:
                log.warning("config file is back to the settings in force", extra={"path": str(self.path)})
                self.last_error, self._reported = None, None
            return False  # touched, not changed
        try:
            new = load_settings(self.path)
        except ConfigError as exc:
            self.last_error = exc
            problems = "\n".join(str(i) for i in exc.issues)
            if problems != self._reported:  # report each distinct set of problems once
                self._reported = problems
                log.error("config not reloaded, the previous settings stay in force:\n%s",
                          "\n".join(f"  {issue}" for issue in exc.issues),
                          extra={"path": str(self.path), "problems": len(exc.issues)})
            return False
        sections = changed_sections(self.current, new)
        try:
            self.on_change(new)
        except Exception:  # the callback must not kill the watcher; the old settings stay
            log.exception("applying the reloaded config failed", extra={"path": str(self.path)})
            return False
        self.current, self._digest, self._reported, self.last_error = new, digest, None, None
        log.warning("config reloaded", extra={"path": str(self.path), "changed": ",".join(sections) or "nothing"})
        return True

    async def run(self, interval: float = 2.0, stop: asyncio.Event | None = None) -> None:
        """Poll every ``interval`` seconds until ``stop`` is set (or the task is cancelled)."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            self.check_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
