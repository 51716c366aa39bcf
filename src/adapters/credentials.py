"""Credentials in adapter configs: a shared secret's least length, a URL without its password."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

MIN_SECRET_BYTES: Final = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash


def long_enough(secret: bytes, what: str) -> bytes:
    """``secret``, or ValueError naming ``what`` (a variable, or the adapter's own name for it)."""
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"{what} must be at least {MIN_SECRET_BYTES} bytes long")
    return secret


def redacted_url(url: str) -> str:
    """``url`` fit for a log line: its password, if any, replaced by ``***``."""
    password = urlsplit(url).password
    if password is None:
        return url
    return url.replace(f":{password}@", ":***@", 1)
