"""``signals demo``, the README's first command, end to end: bundled feeds served on loopback,
the real pipeline, SQLite, console alerts; from any working directory."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path


def test_demo_once_from_another_directory_posts_badged_alerts_to_the_console(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "DISCORD_", "SIGNALS_DATABASE_URL", "SIGNALS_CONFIG"))}
    run = subprocess.run([sys.executable, "-m", "bot", "demo", "--once"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "serving 5 bundled feeds" in run.stderr
    alerts = re.findall(r"^\[[\w-]+\] (\d+)/10 · ", run.stdout, flags=re.M)
    assert alerts and all(0 <= int(x) <= 10 for x in alerts)
    assert re.search(r"^  \d+ sources?: ", run.stdout, flags=re.M)  # the sources line of an alert
    assert (tmp_path / "var" / "demo.db").exists()  # the embedded default: SQLite under ./var
    with closing(sqlite3.connect(tmp_path / "var" / "demo.db")) as db:
        stored = db.execute("SELECT story_id, title FROM articles").fetchall()
    # each multi-outlet event is one story of its three articles (whatever order the feeds came in)
    for name in ("Tessara", "Lumora", "Corvane", "Northwind"):
        assert len({sid for sid, title in stored if name in title}) == 1, name
        assert sum(name in title for _, title in stored) == 3, name
    # a story of its own: 'AI' and 'chip' alone joined TechPulse's essay on AI labs' chips to it
    ipo = next(sid for sid, title in stored if title == "Chip designer files confidentially for US IPO")
    assert [title for sid, title in stored if sid == ipo] == ["Chip designer files confidentially for US IPO"]

    again = subprocess.run([sys.executable, "-m", "bot", "demo", "--once"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert not re.findall(r"^\[[\w-]+\] \d+/10 · ", again.stdout, flags=re.M)  # nothing alerted twice
