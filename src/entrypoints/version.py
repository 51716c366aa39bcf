"""The service's version: the installed package's, so releases and monitoring agree."""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "salsanor-tickets"


@functools.cache
def package_version() -> str:
    """The version pyproject.toml gives, as installed; ``0+unknown`` from a bare source tree."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0+unknown"
