"""``signals run`` as a long-lived process: one per database, and a clean stop on SIGTERM/SIGINT.

Real processes (``python -m bot run``) against a loopback feed and a SQLite file: a second
``signals run`` on the database a first one uses must refuse (two clusterers on one database
split a story into two, each alerted), and a stop signal must end the process with status 0
and a closing log line, soon.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feedserver import FeedServer, story_rss

ROOT = Path(__file__).resolve().parents[2]
ITEMS = [("Harbor Labs unveils the Kestrel accelerator chip for data centres",
          "Harbor Labs said its Kestrel chip doubles inference throughput for large models.")]


class Proc:
    """A ``signals run`` process whose stderr is collected line by line in a thread."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.p = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True)
        self.lines: list[str] = []
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self) -> None:
        assert self.p.stderr is not None
        for line in self.p.stderr:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 60.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(text in line for line in self.lines):
                return True
            if self.p.poll() is not None:
                self._t.join(2)
                return any(text in line for line in self.lines)
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)
        self._t.join(5)
        if self.p.stderr is not None:
            self.p.stderr.close()

    @property
    def err(self) -> str:
        return "".join(self.lines)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    with FeedServer() as feeds:
        feeds.feed("/wire.xml", story_rss(ITEMS, "wire.example"))
        cfg = tmp_path / "signals.yaml"
        cfg.write_text(f"sources:\n  - name: wire\n    url: {feeds.url('/wire.xml')}\n    full_text: never\n"
                       "channels:\n  - name: news\n    console: true\n    min_importance: 0\nsource_alert_after: null\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNALS_", "SLACK_", "DISCORD_"))}
        env["PYTHONPATH"] = str(ROOT)
        yield [sys.executable, "-m", "bot", "run", "--config", str(cfg), "--db", f"sqlite:///{tmp_path / 's.db'}"], env


def test_a_second_signals_run_on_the_same_database_refuses(world: tuple[list[str], dict[str, str]]) -> None:
    args, env = world
    first = Proc(args, env)
    try:
        assert first.wait_for("signals running"), first.err
        second = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 1, second.stderr[-2000:]
        assert "another signals run" in second.stderr and str(first.p.pid) in second.stderr, second.stderr[-2000:]
        once = subprocess.run([*args, "--once"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert once.returncode == 1 and "another signals run" in once.stderr, once.stderr[-2000:]
        assert first.p.poll() is None  # the first keeps running
    finally:
        first.stop()
    # once it is gone, the database is free again (a killed process leaves no stale lock behind)
    again = subprocess.run([*args, "--once"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_ends_signals_run_with_status_0_and_a_closing_line(
        world: tuple[list[str], dict[str, str]], sig: signal.Signals) -> None:
    args, env = world
    proc = Proc(args, env)
    try:
        assert proc.wait_for("signals running"), proc.err
        time.sleep(0.5)
        t0 = time.monotonic()
        proc.p.send_signal(sig)
        assert proc.p.wait(30) == 0, proc.err[-3000:]
        took = time.monotonic() - t0
        proc._t.join(5)
        assert "signals stopped" in proc.err, proc.err[-3000:]
        assert "Traceback" not in proc.err, proc.err[-3000:]
        assert took < 15, took
    finally:
        proc.stop()
