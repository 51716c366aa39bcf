"""IdentityVerifier contract: the fake, HS256 and a JWKS served on 127.0.0.1 agree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any, Protocol

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from adapters.identity import IdentityConfig, JwtIdentityVerifier, mint_dev_token
from application.identity import IdentityVerifier, Principal, Unauthenticated
from tests.support.fakes import FakeIdentity
from tests.support.jwks_server import JwksServer, serving_jwks

SECRET = "auth-secret-for-contract-tests-" + "y" * 12
OTHER_SECRET = "another-providers-secret-for-tests-" + "z" * 8
ISSUER = "https://id.example.org/"
AUDIENCE = "tickets"
KID = "ed-1"

ADMIN = Principal(
    user_id="admin-1", email="kim@example.org", name="Kim Berg", roles=frozenset({"admin"})
)
DANCER = Principal(user_id="dancer-1")


class Provider(Protocol):
    """The identity provider a verifier trusts, as far as a test needs one."""

    verifier: IdentityVerifier

    def issue(self, principal: Principal, expired: bool = False) -> str:
        """A bearer token the provider would hand out for ``principal``."""
        ...

    def foreign(self, principal: Principal) -> str:
        """A token for ``principal`` from someone the verifier does not trust."""
        ...


@dataclass
class FakeProvider:
    verifier: FakeIdentity = field(default_factory=FakeIdentity)
    other: FakeIdentity = field(default_factory=FakeIdentity)
    numbers: Iterator[int] = field(default_factory=count)

    def issue(self, principal: Principal, expired: bool = False) -> str:
        token = f"bearer-{next(self.numbers)}"
        if not expired:  # to the fake, an expired token is one it no longer grants
            self.verifier.grant(token, principal)
        return token

    def foreign(self, principal: Principal) -> str:
        token = f"foreign-{next(self.numbers)}"
        self.other.grant(token, principal)
        return token


def _claims(principal: Principal, ttl: timedelta) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": principal.user_id,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "roles": sorted(principal.roles),
    }
    if principal.email is not None:
        claims["email"] = principal.email
    if principal.name is not None:
        claims["name"] = principal.name
    return claims


# Past the verifier's leeway (30 s): expired by any clock skew.
EXPIRED = timedelta(hours=-1)
VALID = timedelta(minutes=10)


@dataclass
class SecretProvider:
    verifier: JwtIdentityVerifier = field(
        default_factory=lambda: JwtIdentityVerifier(IdentityConfig(jwt_secret=SECRET))
    )

    def issue(self, principal: Principal, expired: bool = False) -> str:
        return mint_dev_token(
            SECRET,
            principal.user_id,
            roles=tuple(sorted(principal.roles)),
            email=principal.email,
            name=principal.name,
            ttl_seconds=int((EXPIRED if expired else VALID).total_seconds()),
        )

    def foreign(self, principal: Principal) -> str:
        return mint_dev_token(OTHER_SECRET, principal.user_id, roles=tuple(principal.roles))


@dataclass
class JwksProvider:
    """Tokens signed with an Ed25519 key whose public half a local server publishes."""

    url: str
    key: Ed25519PrivateKey
    verifier: JwtIdentityVerifier = field(init=False)

    def __post_init__(self) -> None:
        self.verifier = JwtIdentityVerifier(
            IdentityConfig(
                jwks_url=self.url, issuer=ISSUER, audience=AUDIENCE, jwks_timeout_seconds=2.0
            )
        )

    def issue(self, principal: Principal, expired: bool = False) -> str:
        claims = _claims(principal, EXPIRED if expired else VALID)
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": KID})

    def foreign(self, principal: Principal) -> str:
        # The published kid, another key: refused by its signature.
        other = Ed25519PrivateKey.generate()
        return jwt.encode(_claims(principal, VALID), other, algorithm="EdDSA", headers={"kid": KID})


@contextmanager
def serving_key(key: Ed25519PrivateKey) -> Iterator[JwksServer]:
    jwk = {**OKPAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": KID}
    with serving_jwks(json.dumps({"keys": [jwk]}).encode()) as server:
        yield server


@pytest.fixture(
    params=[
        pytest.param("fake", marks=pytest.mark.unit),
        pytest.param("hs256", marks=pytest.mark.unit),
        pytest.param("jwks", marks=pytest.mark.integration),
    ]
)
def provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    if request.param == "fake":
        yield FakeProvider()
    elif request.param == "hs256":
        yield SecretProvider()
    else:
        key = Ed25519PrivateKey.generate()
        with serving_key(key) as server:
            yield JwksProvider(server.url, key)


# --- who a token speaks for ------------------------------------------------------------


def test_a_token_speaks_for_the_principal_it_was_issued_to(provider: Provider) -> None:
    principal = provider.verifier.verify(provider.issue(ADMIN))

    assert principal == ADMIN
    assert principal.is_admin


def test_a_principal_without_email_name_or_roles_gets_none_and_no_roles(
    provider: Provider,
) -> None:
    principal = provider.verifier.verify(provider.issue(DANCER))

    assert principal == DANCER
    assert principal.email is None and principal.name is None
    assert principal.roles == frozenset() and not principal.is_admin


def test_each_token_speaks_for_its_own_principal(provider: Provider) -> None:
    admin, dancer = provider.issue(ADMIN), provider.issue(DANCER)

    assert provider.verifier.verify(dancer).user_id == "dancer-1"
    assert provider.verifier.verify(admin).user_id == "admin-1"


# --- what is Unauthenticated -----------------------------------------------------------


def test_an_expired_token_is_unauthenticated(provider: Provider) -> None:
    with pytest.raises(Unauthenticated):
        provider.verifier.verify(provider.issue(ADMIN, expired=True))


def test_a_token_from_anyone_else_is_unauthenticated(provider: Provider) -> None:
    with pytest.raises(Unauthenticated):
        provider.verifier.verify(provider.foreign(ADMIN))


def test_a_tampered_token_is_unauthenticated(provider: Provider) -> None:
    token = provider.issue(DANCER)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    with pytest.raises(Unauthenticated):
        provider.verifier.verify(tampered)


@pytest.mark.parametrize(
    "garbage",
    ["", "Bearer", "not-a-token", "a.b.c", "x" * 20000, "\x00"],
    ids=["empty", "scheme-word", "word", "three-parts", "huge", "nul"],
)
def test_garbage_is_unauthenticated(provider: Provider, garbage: str) -> None:
    with pytest.raises(Unauthenticated):
        provider.verifier.verify(garbage)


# --- the key server's failures (JWKS only: the others have no server) -------------------


@pytest.mark.integration
@pytest.mark.parametrize("status", [500, 503, 404])
def test_a_failing_key_server_is_unauthenticated_not_an_error(status: int) -> None:
    key = Ed25519PrivateKey.generate()
    with serving_key(key) as server:
        provider = JwksProvider(server.url, key)
        token = provider.issue(ADMIN)
        server.status = status

        with pytest.raises(Unauthenticated):
            provider.verifier.verify(token)


@pytest.mark.integration
def test_an_unreachable_key_server_is_unauthenticated_not_an_error() -> None:
    key = Ed25519PrivateKey.generate()
    with serving_key(key) as server:
        provider = JwksProvider(server.url, key)
        token = provider.issue(ADMIN)
    # The server is gone: nothing listens at its address any more.

    with pytest.raises(Unauthenticated):
        provider.verifier.verify(token)
