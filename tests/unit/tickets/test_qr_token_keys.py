"""EdDSA key roll-over: retired public keys still verify (and are published), and their settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from application.tickets.ports import ExpiredToken, InvalidToken, TokenClaims
from entrypoints.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

SECRET = b"0123456789abcdef0123456789abcdef-qr"
NOW = datetime(2026, 10, 1, 18, 0, tzinfo=UTC)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def claims(version: int = 1) -> TokenClaims:
    return TokenClaims(uuid4(), uuid4(), uuid4(), version, NOW, NOW + timedelta(days=60))


def signer(
    key: Ed25519PrivateKey, *retired: Ed25519PrivateKey, at: datetime = NOW
) -> JwtTokenSigner:
    config = QrTokenConfig(
        secret=SECRET,
        private_key_pem=private_pem(key),
        retired_public_keys_pem=tuple(public_pem(r) for r in retired),
    )
    return JwtTokenSigner(config, Clock(at))


def test_a_token_of_a_retired_key_verifies_and_the_key_is_still_published() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    before = signer(old)
    token = before.sign(c := claims())

    after = signer(new, old)

    assert after.verify(token) == c
    kids = [key["kid"] for key in after.public_jwks()["keys"]]
    assert kids == [after.key_id, before.key_id]
    assert after.sign(c) != token  # new tokens are the new key's


def test_a_token_of_a_key_no_longer_listed_is_invalid() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    token = signer(old).sign(claims())

    with pytest.raises(InvalidToken):
        signer(new).verify(token)


def test_listing_the_current_key_as_retired_too_publishes_it_once() -> None:
    key = Ed25519PrivateKey.generate()

    assert len(signer(key, key).public_jwks()["keys"]) == 1


def test_retired_keys_need_an_eddsa_signing_key() -> None:
    config = QrTokenConfig(
        secret=SECRET, retired_public_keys_pem=(public_pem(Ed25519PrivateKey.generate()),)
    )

    with pytest.raises(ValueError, match="EdDSA"):
        JwtTokenSigner(config)


def test_an_expired_token_says_whose_it_was() -> None:
    key = Ed25519PrivateKey.generate()
    c = claims()
    token = signer(key).sign(c)

    with pytest.raises(ExpiredToken) as expired:
        signer(key, at=c.expires_at + timedelta(minutes=1)).verify(token)

    assert expired.value.claims == c


# --- Settings -----------------------------------------------------------------------------------

BASE_ENV = {
    "TICKET_JWT_SECRET": "t" * 40,
    "AUTH_JWT_SECRET": "a" * 40,
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
}


def test_settings_read_the_key_and_the_retired_keys_even_with_escaped_newlines() -> None:
    key, retired1, retired2 = (Ed25519PrivateKey.generate() for _ in range(3))
    one_line = private_pem(key).decode().replace("\n", "\\n")

    settings = Settings.from_env(
        {
            **BASE_ENV,
            "TICKET_JWT_PRIVATE_KEY": one_line,
            "TICKET_JWT_RETIRED_PUBLIC_KEYS": (
                public_pem(retired1) + public_pem(retired2)
            ).decode(),
        }
    )

    built = JwtTokenSigner(settings.tokens)
    assert built.algorithm == "EdDSA"
    assert len(built.public_jwks()["keys"]) == 3
    assert "BEGIN" not in repr(settings.tokens)  # keys stay out of repr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TICKET_JWT_PRIVATE_KEY", "not a pem"),
        ("TICKET_JWT_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
        (
            "TICKET_JWT_RETIRED_PUBLIC_KEYS",
            "-----BEGIN PUBLIC KEY-----\nAA\n-----END PUBLIC KEY-----",
        ),
    ],
)
def test_an_unusable_key_stops_the_start_naming_the_variables(name: str, value: str) -> None:
    env = {**BASE_ENV, name: value}
    if name == "TICKET_JWT_RETIRED_PUBLIC_KEYS":
        env["TICKET_JWT_PRIVATE_KEY"] = private_pem(Ed25519PrivateKey.generate()).decode()

    with pytest.raises(SettingsError, match="TICKET_JWT_"):
        Settings.from_env(env)


def test_without_a_private_key_tokens_stay_hs256() -> None:
    settings = Settings.from_env(BASE_ENV)

    assert JwtTokenSigner(settings.tokens).algorithm == "HS256"
    assert settings.tokens.private_key_pem is None
