"""`--help` of every command explains every option and names its default."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from entrypoints.cli import command_line

pytestmark = pytest.mark.unit

SELF_EXPLAINED = {"-h", "--help", "--version"}


def commands(
    parser: argparse.ArgumentParser, name: str = "tickets"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from commands(subparser, f"{name} {sub}")


def test_every_option_of_every_command_says_what_it_does_and_its_default() -> None:
    unexplained = [
        f"{name} {action.option_strings[-1]}"
        for name, parser in commands(command_line())
        for action in parser._actions
        if action.option_strings
        and not SELF_EXPLAINED & set(action.option_strings)
        and not (action.help and ("default" in action.help or "required" in action.help))
    ]
    assert unexplained == []


def test_the_commands_are_all_there() -> None:
    names = {name for name, _ in commands(command_line())}
    assert {
        "tickets serve",
        "tickets migrate",
        "tickets worker",
        "tickets audit replay",
        "tickets dev-token",
        "tickets openapi",
    } <= names
