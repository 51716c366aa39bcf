"""CORS_ALLOW_ORIGINS: the browser origins allowed to call the API from another site."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from entrypoints.config_errors import ConfigError, collect


class CorsSettingsError(ConfigError):
    """Raised when CORS_ALLOW_ORIGINS holds something that is not an origin."""


def cors_origins_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    """The allowed origins, as browsers send them (``https://app.example.org``); none if unset.

    Exact origins only, no ``*``: the frontend's origins are known, and a wildcard would let
    any site read tickets with a token it got hold of.
    """
    origins: list[str] = []
    with collect(CorsSettingsError) as problems:
        for item in env.get("CORS_ALLOW_ORIGINS", "").split(","):
            given = item.strip()
            if not given:
                continue
            origin = _origin(given)
            if origin is None:
                problems.add(
                    f"CORS_ALLOW_ORIGINS: {given!r} is not an origin like https://app.example.org"
                    " (scheme, host and port only)"
                )
            elif origin not in origins:
                origins.append(origin)
    return tuple(origins)


def _origin(given: str) -> str | None:
    try:
        parts = urlsplit(given.removesuffix("/"))
        port = parts.port
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "*" in given
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
    ):
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address, bracketed as in the Origin header
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")
