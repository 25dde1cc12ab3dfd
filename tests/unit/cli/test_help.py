"""``signals --help`` and every command's ``--help`` explain every option, with examples.

A new user reads ``--help`` before the docs: ``--limit LIMIT`` or ``label`` with no word on
what they take (or their default) sent them to the source, and ``signals --help`` listed
nineteen commands with no hint of which to type first.
"""

from __future__ import annotations

import argparse
import shlex

import pytest

from bot.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def test_every_option_and_argument_says_what_it_takes() -> None:
    bare = [f"signals {' '.join(path)} {a.option_strings or a.dest}" for path, parser in _commands(build_parser())
            for a in parser._actions if not a.help
            and not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)]  # those list their commands
    assert not bare


def _examples(text: str) -> list[str]:
    return [line.strip().split("  #")[0].strip() for line in text.splitlines() if line.strip().startswith("signals ")]


@pytest.mark.parametrize("argv", [[], ["run"], ["stories"], ["why"], ["search"], ["tune"], ["web"]],
                         ids=lambda a: " ".join(a) or "signals")
def test_help_shows_examples_that_parse(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    examples = _examples(capsys.readouterr().out)
    assert examples, f"signals {' '.join(argv)} --help shows no example"
    for example in examples:
        build_parser().parse_args(shlex.split(example)[1:])  # exits 2 if it does not parse
