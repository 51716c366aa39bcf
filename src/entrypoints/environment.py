"""Reading the environment: the settings' error, every problem collected, the shared readers.

Apart from the settings package because its parts are also in ``entrypoints.http``
(``entrypoints.http.settings``), which the package composes: were these in the package, the
HTTP part, imported first, would import the package half-way through importing itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar, cast

T = TypeVar("T")
N = TypeVar("N", int, float)


class SettingsError(ValueError):
    """Raised at start-up when variables are missing or unusable: one message each, all at once."""

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

    def read(self, read: Callable[[], T], named: str | None = None) -> T:
        """``read()``, or, if it raises, its problems noted and a placeholder.

        A ValueError that is no SettingsError comes from an adapter config refusing a value:
        noted as ``named: message``, or as its message alone when that names the variable.
        The placeholder is never used: ``collect`` raises before its block's values are. So
        a read must not depend on the value of another read of the same block.
        """
        try:
            return read()
        except SettingsError as error:
            self.found.extend(error.problems)
        except ValueError as error:
            self.found.append(str(error) if named is None else f"{named}: {error}")
        return cast(T, None)


@contextmanager
def collect() -> Iterator[Problems]:
    """Runs the block, then raises SettingsError with every problem its reads found, if any."""
    problems = Problems()
    yield problems
    if problems.found:
        raise SettingsError(*problems.found)


def required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")  # an empty value is unset, as everywhere (a `NAME=` line)
    if not value:
        raise SettingsError(f"{name} is required")
    return value


def number(env: Mapping[str, str], name: str, default: N, *, at_most: float | None = None) -> N:
    """A positive number: whole when ``default`` is an int, of seconds when it is a float."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    kind = type(default)
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else f"a number of seconds, not {raw!r}"
        raise SettingsError(f"{name} must be {what}") from None
    if not value > 0 or (at_most is not None and value > at_most):  # NaN is not > 0 either
        least = "at least 1" if kind is int else "more than 0"
        most = "" if at_most is None else f" and at most {at_most:g} seconds"
        raise SettingsError(f"{name} must be {least}{most}")
    return value


def listed(env: Mapping[str, str], name: str) -> Iterator[str]:
    """The items of a comma list, blanks skipped."""
    for item in env.get(name, "").split(","):
        if item.strip():
            yield item.strip()
