"""``signals web`` on a port that another process holds says so and what to do.

Before, uvicorn printed 'ERROR: [Errno 98] error while attempting to bind on address
('127.0.0.1', 8000): address already in use' and exited 3, an exit code the CLI documents
nowhere, with no hint that --port or $PORT picks another.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli import main


def test_a_port_in_use_is_named_with_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("channels:\n  - name: c\n    console: true\n")
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        code = main(["web", "--port", str(port), "--config", str(cfg), "--db", f"sqlite:///{tmp_path}/s.db"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"signals: port {port} on 127.0.0.1 is already in use" in err
    assert "--port" in err and "PORT" in err
