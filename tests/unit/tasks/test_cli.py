"""``signals scheduler --once`` and ``signals db`` from the command line, on real Redis/SQLite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import redis

from bot.tasks.leases import key


def test_scheduler_once_enqueues_each_enabled_source_once(tmp_path: Path, redis_url: str) -> None:
    cfg = tmp_path / "signals.yaml"
    cfg.write_text("sources:\n" + "".join(
        f"  - {{name: s{i}, url: 'http://127.0.0.1:9/{i}.xml'{', enabled: false' if i == 3 else ''}}}\n"
        for i in range(4)) + "channels:\n  - {name: c, console: true}\n")
    run = [sys.executable, "-m", "bot", "scheduler", "--once", "--config", str(cfg), "--broker", redis_url,
           "--db", f"sqlite:///{tmp_path}/s.db"]
    first = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "enqueued 3 fetches" in first.stdout
    second = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert "enqueued 0 fetches" in second.stdout  # still waiting in the queue: not queued twice
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.llen(key("signals.fetch")) == 3
        assert client.llen(key("signals.core")) == 2  # one process, one deliver
    finally:
        client.close()


def test_scheduler_once_with_redis_down_fails_clearly(tmp_path: Path) -> None:
    """Redis not running (or a wrong port): one line naming the broker, password masked, exit 1; no traceback."""
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "signals.yaml"
    cfg.write_text("sources:\n  - {name: s0, url: 'http://127.0.0.1:9/0.xml'}\nchannels:\n  - {name: c, console: true}\n")
    out = subprocess.run([sys.executable, "-m", "bot", "scheduler", "--once", "--config", str(cfg),
                          "--broker", f"redis://:pw-s3cret-9@127.0.0.1:{port}/0", "--db", f"sqlite:///{tmp_path}/s.db"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.startswith(f"signals: cannot reach the broker redis://:***@127.0.0.1:{port}/0"), out.stderr
    assert "pw-s3cret-9" not in out.stderr
