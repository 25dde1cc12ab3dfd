"""What the README, ``docs/`` and ``--help`` tell a new user, checked against what the code does.

A user acts on these claims: a shipped example config that ``signals config check`` refuses,
a ``--help`` default that is not the one used, or a config key the docs never mention each
cost someone an afternoon.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_CONFIGS = sorted(p for p in (ROOT / "config").glob("*.yaml") if p.name != "slack-manifest.yaml")


@pytest.mark.parametrize("path", EXAMPLE_CONFIGS, ids=lambda p: p.name)
def test_every_shipped_example_config_passes_config_check(path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """``signals config check config/demo.yaml`` as a user types it, outside ``signals demo``
    (which is what sets ``SIGNALS_DEMO_PORT``)."""
    monkeypatch.delenv("SIGNALS_DEMO_PORT", raising=False)
    monkeypatch.delenv("SIGNALS_CONFIG", raising=False)
    code = main(["config", "check", str(path)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out.startswith("ok: ")


def test_demo_help_names_the_demo_config_and_database(capsys: pytest.CaptureFixture[str]) -> None:
    """The README: ``make demo`` stores into ``var/demo.db`` and runs ``config/demo.yaml``; ``signals
    demo --help`` printed ``signals run``'s defaults (config/signals.yaml, var/signals.db)."""
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "config/demo.yaml" in text and "var/demo.db" in text
    assert "config/signals.yaml" not in text and "var/signals.db" not in text


@pytest.mark.parametrize("argv", [
    ["run", "--once", "--dry-run"],
    ["sources", "list"],
    ["tune"],
    ["stories"],
    ["search", "anything"],
    ["audit"],
], ids=lambda a: " ".join(a))
def test_every_command_picks_the_same_database(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """``--db``, else ``$SIGNALS_DATABASE_URL``, else the config's ``database_url``, else
    ``var/signals.db``, as ``--help`` says. Before, ``run``, ``web``, ``sources``, ``discord``,
    ``config show|export`` and ``tune`` put the config's ``database_url`` first while ``worker``,
    ``scheduler``, ``db``, ``search``, ``why`` and ``audit`` put the environment first: with both set,
    ``signals run`` stored into one database and ``signals db prune`` / ``search`` read another."""
    from bot.store import Store

    env_db, config_db = tmp_path / "env.db", tmp_path / "config.db"
    config = tmp_path / "signals.yaml"
    config.write_text(f"database_url: sqlite:///{config_db}\nchannels:\n  - name: news\n    console: true\n")
    Store.open(f"sqlite:///{env_db}").close()  # the database the environment names exists
    monkeypatch.setenv("SIGNALS_DATABASE_URL", f"sqlite:///{env_db}")
    monkeypatch.setenv("SIGNALS_CONFIG", str(config))
    monkeypatch.chdir(tmp_path)
    code = main([*argv, "--config", str(config)] if argv[0] != "stories" else argv)
    err = capsys.readouterr().err
    assert code == 0, err
    assert not config_db.exists(), f"signals {' '.join(argv)} opened the config's database_url over $SIGNALS_DATABASE_URL"
