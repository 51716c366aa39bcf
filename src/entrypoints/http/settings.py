"""The HTTP service's settings: its public URLs, CORS origins, trusted proxies, read timeouts.

One part of ``entrypoints.settings.Settings`` (its ``http``), read with the others so that a
failed start names every problem at once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

import msgspec

from entrypoints.environment import collect, listed, number

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# `tickets serve`'s defaults of --header-timeout and --body-timeout (entrypoints.http.transport).
DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0
DEFAULT_BODY_TIMEOUT_SECONDS = 30.0


class HttpSettings(msgspec.Struct, frozen=True, kw_only=True):
    public_base_url: str
    checkout_success_url: str
    checkout_cancel_url: str
    cors_allow_origins: tuple[str, ...] = ()  # none: no cross-origin access
    trusted_proxies: tuple[str, ...] = ()  # none: X-Forwarded-For is ignored
    header_timeout_seconds: float = DEFAULT_HEADER_TIMEOUT_SECONDS
    body_timeout_seconds: float = DEFAULT_BODY_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> HttpSettings:
        base_url = (env.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        with collect() as problems:
            cors_origins = problems.read(lambda: cors_origins_from_env(env))
            trusted_proxies = problems.read(lambda: trusted_proxies_from_env(env))
            # The defaults of `serve --header-timeout` and `--body-timeout`.
            header_timeout = problems.read(
                lambda: number(env, "HTTP_HEADER_TIMEOUT_SECONDS", DEFAULT_HEADER_TIMEOUT_SECONDS)
            )
            body_timeout = problems.read(
                lambda: number(env, "HTTP_BODY_TIMEOUT_SECONDS", DEFAULT_BODY_TIMEOUT_SECONDS)
            )
        return cls(
            public_base_url=base_url,
            checkout_success_url=env.get("CHECKOUT_SUCCESS_URL")
            or f"{base_url}/orders/{{orderId}}?checkout=success",
            checkout_cancel_url=env.get("CHECKOUT_CANCEL_URL")
            or f"{base_url}/orders/{{orderId}}?checkout=cancelled",
            cors_allow_origins=cors_origins,
            trusted_proxies=trusted_proxies,
            header_timeout_seconds=header_timeout,
            body_timeout_seconds=body_timeout,
        )


def cors_origins_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    """CORS_ALLOW_ORIGINS: origins as browsers send them (``https://app.example.org``).

    Exact origins only, no ``*``: the frontend's origins are known, and a wildcard would let
    any site read tickets with a token it got hold of. None if unset.
    """
    origins: list[str] = []
    with collect() as problems:
        for given in listed(env, "CORS_ALLOW_ORIGINS"):
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


def trusted_proxies_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    """TRUSTED_PROXIES: addresses and CIDR networks of the reverse proxies in front of us.

    A client address decides the anonymous rate limit: were every peer's X-Forwarded-For
    believed (uvicorn believes localhost's by default), a client could rotate the header and
    never be limited. Unset, the TCP peer is the client.
    """
    trusted: list[str] = []
    with collect() as problems:
        for given in listed(env, "TRUSTED_PROXIES"):
            try:
                network = ipaddress.ip_network(given, strict=False)
            except ValueError:
                problems.add(
                    f"TRUSTED_PROXIES: {given!r} is not an IP address or network"
                    " (e.g. 10.0.0.5 or 10.0.0.0/24)"
                )
                continue
            shown = str(network.network_address) if network.num_addresses == 1 else str(network)
            if shown not in trusted:
                trusted.append(shown)
    return tuple(trusted)
