"""Bearer tokens verified with keys fetched from a real JWKS endpoint on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from adapters.identity import IdentityConfig, JwtIdentityVerifier
from application.identity import Principal, Unauthenticated
from tests.support.jwks_server import JwksServer, serving_jwks

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Keys:
    rsa: rsa.RSAPrivateKey
    ed25519: Ed25519PrivateKey
    ec: ec.EllipticCurvePrivateKey

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {**RSAAlgorithm.to_jwk(self.rsa.public_key(), as_dict=True), "kid": "rsa-1"},
                {**OKPAlgorithm.to_jwk(self.ed25519.public_key(), as_dict=True), "kid": "ed-1"},
                {**ECAlgorithm.to_jwk(self.ec.public_key(), as_dict=True), "kid": "ec-1"},
            ]
        }


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ed25519=Ed25519PrivateKey.generate(),
        ec=ec.generate_private_key(ec.SECP256R1()),
    )


@pytest.fixture
def jwks_server(keys: Keys) -> Iterator[JwksServer]:
    with serving_jwks(json.dumps(keys.jwks()).encode()) as server:
        yield server


def claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "iss": "https://id.example.org/",
        "sub": "user-7",
        "aud": "tickets",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=10)).timestamp()),
        "email": "kim@example.org",
        "roles": ["staff"],
    }
    base.update(changes)
    return base


def verifier(url: str, **config: Any) -> JwtIdentityVerifier:
    return JwtIdentityVerifier(
        IdentityConfig(
            jwks_url=url,
            issuer="https://id.example.org/",
            audience="tickets",
            jwks_timeout_seconds=2.0,
            **config,
        )
    )


EXPECTED = Principal(user_id="user-7", email="kim@example.org", roles=frozenset({"staff"}))


@pytest.mark.parametrize(
    ("key_name", "algorithm", "kid"),
    [("rsa", "RS256", "rsa-1"), ("ed25519", "EdDSA", "ed-1"), ("ec", "ES256", "ec-1")],
)
def test_tokens_signed_with_a_published_key_verify(
    jwks_server: JwksServer, keys: Keys, key_name: str, algorithm: str, kid: str
) -> None:
    bearer = jwt.encode(
        claims(), getattr(keys, key_name), algorithm=algorithm, headers={"kid": kid}
    )

    assert verifier(jwks_server.url).verify(bearer) == EXPECTED


def test_keys_are_fetched_once_and_cached(jwks_server: JwksServer, keys: Keys) -> None:
    subject = verifier(jwks_server.url)
    rsa_token = jwt.encode(claims(), keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"})
    ed_token = jwt.encode(claims(), keys.ed25519, algorithm="EdDSA", headers={"kid": "ed-1"})

    for _ in range(3):
        assert subject.verify(rsa_token) == EXPECTED
        assert subject.verify(ed_token) == EXPECTED

    assert jwks_server.fetches == 1


def test_constructing_the_verifier_fetches_nothing(jwks_server: JwksServer) -> None:
    verifier(jwks_server.url)

    assert jwks_server.fetches == 0


def test_an_unknown_kid_is_unauthenticated(jwks_server: JwksServer, keys: Keys) -> None:
    bearer = jwt.encode(claims(), keys.rsa, algorithm="RS256", headers={"kid": "rsa-2"})

    with pytest.raises(Unauthenticated):
        verifier(jwks_server.url).verify(bearer)


def test_a_token_without_kid_is_refused_without_asking_the_key_server(
    jwks_server: JwksServer, keys: Keys
) -> None:
    bearer = jwt.encode(claims(), keys.rsa, algorithm="RS256")

    with pytest.raises(Unauthenticated):
        verifier(jwks_server.url).verify(bearer)
    assert jwks_server.fetches == 0


@pytest.mark.parametrize(
    "kid",
    ["rsa-1\x00", "x\ud800", "rsa 1", "<b>", "k" * 256],
    ids=["nul", "surrogate", "space", "markup", "long"],
)
def test_a_poisoned_kid_is_refused_without_asking_the_key_server(
    jwks_server: JwksServer, keys: Keys, kid: str
) -> None:
    bearer = jwt.encode(claims(), keys.rsa, algorithm="RS256", headers={"kid": kid})

    with pytest.raises(Unauthenticated):
        verifier(jwks_server.url).verify(bearer)
    assert jwks_server.fetches == 0


def test_a_key_of_another_kid_does_not_verify(jwks_server: JwksServer, keys: Keys) -> None:
    """Signed with the Ed25519 key but naming the RSA key: the RSA key decides."""
    bearer = jwt.encode(claims(), keys.ed25519, algorithm="EdDSA", headers={"kid": "rsa-1"})

    with pytest.raises(Unauthenticated):
        verifier(jwks_server.url).verify(bearer)


def test_an_unpublished_key_with_a_known_kid_is_unauthenticated(jwks_server: JwksServer) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bearer = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": "rsa-1"})

    with pytest.raises(Unauthenticated):
        verifier(jwks_server.url).verify(bearer)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_hs256_forged_with_a_public_key_as_secret_is_unauthenticated(
    jwks_server: JwksServer, keys: Keys
) -> None:
    """Algorithm confusion: anyone can HMAC with the public key."""
    public_pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64url(json.dumps({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims(roles=["admin"])).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()

    with pytest.raises(Unauthenticated):
        verifier(jwks_server.url).verify(f"{header}.{payload}.{b64url(signature)}")


def test_issuer_and_audience_are_checked(jwks_server: JwksServer, keys: Keys) -> None:
    subject = verifier(jwks_server.url)
    for wrong in (claims(iss="https://evil.example.org/"), claims(aud="other-api")):
        bearer = jwt.encode(wrong, keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"})
        with pytest.raises(Unauthenticated):
            subject.verify(bearer)


def test_an_expired_token_is_unauthenticated(jwks_server: JwksServer, keys: Keys) -> None:
    past = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    bearer = jwt.encode(claims(exp=past), keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"})

    with pytest.raises(Unauthenticated):
        verifier(jwks_server.url).verify(bearer)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_key_server_down_is_unauthenticated(keys: Keys) -> None:
    url = f"http://127.0.0.1:{free_port()}/jwks.json"
    bearer = jwt.encode(claims(), keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"})

    with pytest.raises(Unauthenticated):
        verifier(url).verify(bearer)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, b'{"error": "boom"}'),
        (200, b"<html>not json</html>"),
        (200, b"[1, 2, 3]"),
        (200, b'{"keys": "abc"}'),
        (200, b'{"keys": [{"kty": "RSA", "kid": "rsa-1", "n": "!!", "e": "AQAB"}]}'),
        (200, b'{"keys": []}'),
    ],
    ids=["500", "html", "list", "keys-string", "bad-rsa", "no-keys"],
)
def test_a_broken_key_server_is_unauthenticated(
    jwks_server: JwksServer, keys: Keys, status: int, body: bytes
) -> None:
    jwks_server.status, jwks_server.body = status, body
    bearer = jwt.encode(claims(), keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"})

    with pytest.raises(Unauthenticated):
        verifier(jwks_server.url).verify(bearer)


def test_a_broken_key_server_is_logged_without_the_token(
    jwks_server: JwksServer, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    jwks_server.body = b"<html>not json</html>"
    bearer = jwt.encode(claims(), keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"})

    with (
        caplog.at_level(logging.WARNING, logger="adapters.identity"),
        pytest.raises(Unauthenticated),
    ):
        verifier(jwks_server.url).verify(bearer)

    assert [record.levelno for record in caplog.records] == [logging.WARNING]
    assert bearer not in caplog.text
    assert bearer.split(".")[1] not in caplog.text


def test_an_unknown_kid_is_not_logged(
    jwks_server: JwksServer, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    """Anyone can send one: warnings for them would drown the real ones."""
    bearer = jwt.encode(claims(), keys.rsa, algorithm="RS256", headers={"kid": "nobody"})

    with (
        caplog.at_level(logging.WARNING, logger="adapters.identity"),
        pytest.raises(Unauthenticated),
    ):
        verifier(jwks_server.url).verify(bearer)

    assert caplog.records == []
