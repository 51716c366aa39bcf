"""TRUSTED_PROXIES: the only peers whose X-Forwarded-For names the client."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from entrypoints.config_errors import ConfigError, collect


class ProxySettingsError(ConfigError):
    """Raised when TRUSTED_PROXIES holds something that is not an address or a network."""


def trusted_proxies_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    """Addresses and CIDR networks of the reverse proxies in front of the service; none if unset.

    A client address decides the anonymous rate limit: were every peer's X-Forwarded-For
    believed (uvicorn believes localhost's by default), a client could rotate the header and
    never be limited. Unset, the TCP peer is the client.
    """
    trusted: list[str] = []
    with collect(ProxySettingsError) as problems:
        for item in env.get("TRUSTED_PROXIES", "").split(","):
            given = item.strip()
            if not given:
                continue
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
