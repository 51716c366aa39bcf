"""TRUSTED_PROXIES: which peers may name the client in X-Forwarded-For."""

from __future__ import annotations

import pytest

from entrypoints.settings import Settings, SettingsError, trusted_proxies_from_env

pytestmark = pytest.mark.unit

VALID = {
    "TICKET_JWT_SECRET": "t" * 32,
    "STRIPE_WEBHOOK_SECRET": "whsec_test",
    "AUTH_JWT_SECRET": "a" * 32,
}


def test_unset_trusts_no_proxy() -> None:
    assert trusted_proxies_from_env({}) == ()
    assert trusted_proxies_from_env({"TRUSTED_PROXIES": " , "}) == ()
    assert Settings.from_env(VALID).http.trusted_proxies == ()


def test_addresses_and_networks_are_read_in_their_normal_form() -> None:
    env = {"TRUSTED_PROXIES": " 10.0.0.5, 10.1.0.0/16 ,::1, 192.168.1.7/32, 10.0.0.5 , fd00::/8"}

    assert trusted_proxies_from_env(env) == (
        "10.0.0.5",
        "10.1.0.0/16",
        "::1",
        "192.168.1.7",
        "fd00::/8",
    )


def test_every_unusable_entry_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        trusted_proxies_from_env({"TRUSTED_PROXIES": "proxy.internal, 10.0.0.0/33, *, 10.0.0.1"})

    message = str(raised.value)
    for given in ("proxy.internal", "10.0.0.0/33", "'*'"):
        assert given in message
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        Settings.from_env({**VALID, "TRUSTED_PROXIES": "everyone"})
