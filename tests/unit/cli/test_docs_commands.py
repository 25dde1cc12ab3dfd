"""Every ``signals ...`` command the README and ``docs/*.md`` show exists and parses as written.

A reader copies these lines. A command or option renamed in the code but not in the docs
gives them ``invalid choice`` or ``unrecognized arguments`` on their first try, with the docs
still saying it works. Slash commands (``/signals ...``) are chat commands, not this CLI.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from bot.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# a command in a code span or on a line of a fenced block; not /signals (chat) and not a path like bot/signals
_COMMAND = re.compile(r"(?<![/\w.-])(?:\.venv/bin/)?signals((?: [^`#\n]*)?)")
# usage syntax ([optional], a|b, ...) is read for its command words only
_USAGE = re.compile(r"[\[\]|…]|\.\.\.")


_SHELL = re.compile(r"\s(?:&&?|;|\|\|?|>>?|<|2>&1)(?:\s|$).*")  # where the shell takes over
_PREFIX = re.compile(r"^(?:\$ )?(?:[A-Z_]+=\S* )*")  # a prompt, VAR=value assignments


def _snippets(text: str) -> list[tuple[str, bool]]:
    """Commands in inline code and in fenced blocks, each as the text after ``signals``; True for
    a block's line (a command to run as shown), False for inline code (often a mention in prose,
    such as `signals tune --channel`)."""
    out: list[tuple[str, bool]] = []
    in_block = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            line = _PREFIX.sub("", line.strip())
            if line.startswith(("signals ", ".venv/bin/signals ")):
                out.append((_SHELL.sub("", line.split(" #")[0]).split("signals", 1)[1].strip(), True))
            continue
        for span in re.findall(r"`([^`]+)`", line):
            span = _PREFIX.sub("", span.strip())
            if span.startswith(("signals ", ".venv/bin/signals ")) and (m := _COMMAND.match(span)):
                out.append((_SHELL.sub("", m.group(1)).strip(), False))
    return out


def _docs_commands() -> list[tuple[str, str, bool]]:
    found: dict[tuple[str, str, bool], None] = {}
    for path in DOCS:
        for snippet, whole in _snippets(path.read_text(encoding="utf-8")):
            found.setdefault((path.name, snippet, whole), None)
    return list(found)


def _words(parser, tokens: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The command words of ``tokens`` that name no sub-command (``feeds`` in ``signals feeds add``)."""
    import argparse

    for i, token in enumerate(tokens):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or token.startswith("-"):
            return []
        choice = subs[0].choices.get(token)
        if choice is None:
            return tokens[i:i + 1]
        parser = choice
    return []


def _options(parser, tokens: list[str]) -> set[str]:  # type: ignore[no-untyped-def]
    """The option strings the (sub-)command that ``tokens`` name accepts."""
    import argparse

    for token in tokens:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or token not in subs[0].choices:
            break
        parser = subs[0].choices[token]
    return {o for a in parser._actions for o in a.option_strings}


COMMANDS = _docs_commands()


def test_the_docs_show_commands() -> None:
    assert len(COMMANDS) > 30  # the extraction finds them: an empty list would pass everything below


@pytest.mark.parametrize(("doc", "snippet", "whole"), COMMANDS, ids=[f"{d}: signals {s}"[:80] for d, s, _ in COMMANDS])
def test_every_command_in_the_docs_exists_and_parses(doc: str, snippet: str, whole: bool,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    text = re.sub(r"\$\([^)]*\)", "X", snippet)  # $(date +%F)
    usage = bool(_USAGE.search(text))
    try:
        tokens = shlex.split(_USAGE.split(text)[0] if usage else text)
    except ValueError:
        tokens = text.split()
    tokens = [t for t in tokens if t not in (">", "<")]
    unknown = _words(parser, tokens)
    assert not unknown, f"{doc}: `signals {snippet}`: no command {unknown[0]!r}"
    named = {t.split("=")[0] for t in tokens if t.startswith("-")}
    missing = named - _options(parser, tokens)
    assert not missing, f"{doc}: `signals {snippet}`: no option {sorted(missing)}"
    if usage or not whole or not tokens:
        return  # usage syntax or a mention in prose: its words and options exist
    try:
        parser.parse_args(tokens)
    except SystemExit as exc:
        if exc.code:
            pytest.fail(f"{doc}: `signals {snippet}` does not parse: {capsys.readouterr().err.strip()}")
