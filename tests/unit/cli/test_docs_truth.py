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


def _keys(model: type, prefix: str = "") -> list[str]:
    """Every key the config schema accepts, dotted (``fetch.per_host``, ``channels.digest.max_items``)."""
    from pydantic import BaseModel

    out = []
    for name, field in model.model_fields.items():  # type: ignore[attr-defined]
        out.append(prefix + name)
        kinds = [field.annotation, *getattr(field.annotation, "__args__", ())]
        for kind in kinds:
            for k in [kind, *getattr(kind, "__args__", ())]:
                if isinstance(k, type) and issubclass(k, BaseModel):
                    out += _keys(k, f"{prefix}{name}.")
    return list(dict.fromkeys(out))


def test_every_config_key_is_documented_with_its_default() -> None:
    """``docs/configuration.md`` names every key the schema accepts. Before, ``fetch.per_host``,
    ``fetch.concurrency``, ``fetch.user_agent``, ``fetch.jitter``, a source's ``enabled`` and
    ``topics``, a topic's ``examples``, ``database_url`` and ``stories.window`` were accepted but
    written nowhere a user would look."""
    from bot.settings import Settings

    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [k for k in _keys(Settings) if f"`{k.rsplit('.', 1)[-1]}`" not in doc]
    assert not missing, f"config keys not in docs/configuration.md: {missing}"
    assert "docs/configuration.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    """A variable read with ``os.environ``/``env.get`` is a setting a user may need. Before,
    ``SIGNALS_WEB_TOKEN`` (without it ``signals web --host 0.0.0.0``, the Procfile's line, serves its
    pages to no one but 127.0.0.1 and has no admin sign-in), ``SIGNALS_LOG_LEVEL`` and
    ``SLACK_SCOPES`` were documented nowhere."""
    import re

    read = re.compile(r"""(?:environ(?:\.get)?|getenv|env\.get)\s*[\[(]\s*["']([A-Z][A-Z0-9_]+)["']""")
    names = {m for f in (ROOT / "bot").rglob("*.py") for m in read.findall(f.read_text(encoding="utf-8"))}
    test_hooks = {"SLACK_API_URL", "DISCORD_API_URL"}  # fakes of the platforms in tests
    docs = "".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *(ROOT / "docs").glob("*.md"),
                                                           *EXAMPLE_CONFIGS])
    missing = sorted(n for n in names - test_hooks if n not in docs)
    assert not missing, f"environment variables read by bot/ but not in README.md, docs/ or config/: {missing}"


@pytest.mark.parametrize("argv", [["stories", "--log-format", "json", "-v"], ["sources", "list", "--log-format", "json"],
                                  ["--log-format", "json", "stories"]], ids=" ".join)
def test_log_options_work_after_the_command(argv: list[str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """The README and docs/production.md say "``--log-format json``" and the Procfile's processes are
    ``signals web ...``: ``signals web --log-format json`` was refused ("unrecognized arguments"),
    as was ``-v`` anywhere but before the command."""
    import logging

    from bot.logs import JsonFormatter

    config = tmp_path / "signals.yaml"
    config.write_text("channels:\n  - name: news\n    console: true\n")
    extra = ["--config", str(config)] if "sources" in argv else []
    try:
        code = main([*argv, *extra, "--db", f"sqlite:///{tmp_path / 'x.db'}"])
        assert code == 0, capsys.readouterr().err
        assert isinstance(logging.getLogger().handlers[0].formatter, JsonFormatter)
    finally:
        from bot.logs import setup_logging

        setup_logging(0, "text")


def test_the_readme_lists_every_field_of_a_jsonl_alert() -> None:
    """``--format jsonl`` output is what other tools parse; the README's list lacked ``kind``, the one
    field that tells an alert from a follow-up, digest or notice."""
    import re
    from datetime import UTC, datetime

    from bot.adapters.console import alert_json
    from bot.models import Alert, AlertKind

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The JSON-lines alert", 1)[1].split("\n#", 1)[0]
    listed = set(re.findall(r"`(\w+)`", section))
    alert = Alert(kind=AlertKind.ALERT, channel="news", story_id="s1", title="t", url="https://x.example/",
                  importance=7.0, category="Tech", published_at=datetime.now(UTC))
    assert set(alert_json(alert)) <= listed


def _leaf_parsers(parser, path=()):  # type: ignore[no-untyped-def]
    import argparse

    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), parser
    for action in subs:
        for name, child in action.choices.items():
            yield from _leaf_parsers(child, (*path, name))


def test_every_db_option_says_which_database_it_defaults_to() -> None:
    """``--help`` of every command with ``--db`` names ``$SIGNALS_DATABASE_URL`` before the config's
    ``database_url`` (the order all commands use). Before, ``sources`` and ``config show|export``
    said the config's came first, and ``stories``, ``web`` and ``discord run`` said nothing."""
    from bot.cli import build_parser

    wrong = []
    for name, parser in _leaf_parsers(build_parser()):
        for action in parser._actions:
            if "--db" in action.option_strings:
                text = action.help or ""
                env = text.find("$SIGNALS_DATABASE_URL")
                config = text.find("config")
                if env < 0 or (config >= 0 and config < env):
                    wrong.append(f"signals {name}: {text!r}")
    assert not wrong, "\n".join(wrong)


def test_every_key_of_the_shipped_config_is_commented_where_it_first_appears() -> None:
    """config/signals.yaml is the file a new user edits first: a key with no comment (a source's
    url, a topic's keywords, a channel's min_importance) had them reading docs/configuration.md
    for what the example was meant to teach in place."""
    import re

    seen: set[str] = set()
    bare = []
    for n, line in enumerate((ROOT / "config" / "signals.yaml").read_text(encoding="utf-8").splitlines(), 1):
        m = re.match(r"^\s*(?:- )?([A-Za-z_][\w-]*):", line)
        if not m or line.lstrip().startswith("#"):
            continue
        key = m.group(1)
        parent_is_topic = re.match(r"^  [a-z-]+:\s*$", line) is not None  # a topic's name, not a key
        if key in seen or parent_is_topic:
            continue
        seen.add(key)
        if "#" not in line:
            bare.append(f"config/signals.yaml:{n}: {key}")
    assert not bare


def test_the_shipped_configs_commented_out_keys_are_valid_when_uncommented(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The '# quiet_hours: ...' and '# digest: ...' lines are there to be uncommented."""
    import re

    text = (ROOT / "config" / "signals.yaml").read_text(encoding="utf-8")
    opened = re.sub(r"(?m)^(\s+)# ([a-z_]+: )", r"\1\2", text)
    assert opened.count("\n") == text.count("\n") and opened != text
    path = tmp_path / "signals.yaml"
    path.write_text(opened, encoding="utf-8")
    assert main(["config", "check", str(path)]) == 0, capsys.readouterr().err
