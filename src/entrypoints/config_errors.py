"""Configuration errors, collected so that one failed start names every unusable variable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

T = TypeVar("T")
E = TypeVar("E", bound="ConfigError")


class ConfigError(ValueError):
    """Raised when variables of the environment are missing or unusable: one message each."""

    def __init__(self, *problems: str) -> None:
        super().__init__(*problems)
        self.problems: tuple[str, ...] = problems

    def __str__(self) -> str:
        return "; ".join(self.problems)

    def report(self) -> str:
        """What an operator reads on stderr: every problem on its own line."""
        if len(self.problems) == 1:
            return f"configuration problem: {self.problems[0]}"
        lines = [f"{len(self.problems)} configuration problems:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class Problems:
    """Reads settings one by one, so that an unusable one does not hide those after it."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, problem: str) -> None:
        self.found.append(problem)

    def read(self, read: Callable[[], T]) -> T:
        """``read()``, or, if it raises a ConfigError, its problems noted and a placeholder.

        The placeholder is never used: ``collect`` raises before its block's values are. So a
        read must not depend on the value of another read of the same block.
        """
        try:
            return read()
        except ConfigError as error:
            self.found.extend(error.problems)
            return cast(T, None)


@contextmanager
def collect(error: type[E]) -> Iterator[Problems]:
    """Runs the block, then raises ``error`` with every problem its reads found, if any."""
    problems = Problems()
    yield problems
    if problems.found:
        raise error(*problems.found)
