"""TokenSigner contract: the fake and the JWT signer (HS256, EdDSA) keep the same promises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from application.tickets.ports import ExpiredToken, InvalidToken, TokenClaims, TokenSigner
from tests.support.fakes import FakeSigner, FrozenClock

# No service is needed: the real signers run in the unit tier too.
pytestmark = pytest.mark.unit

NOW = datetime(2026, 9, 1, 18, 0, 0, tzinfo=UTC)
CLAIMS = TokenClaims(
    ticket_id=UUID("6f1c2b1e-3a47-4c1f-9d6e-2b7a8f4e5d10"),
    period_id=UUID("0b7a3c2d-1e4f-4a5b-8c6d-7e8f9a0b1c2d"),
    person_id=UUID("9a8b7c6d-5e4f-4321-8fed-cba987654321"),
    version=1,
    issued_at=NOW - timedelta(days=1),
    expires_at=NOW + timedelta(days=100),
)
SECRETS = (b"0123456789abcdef0123456789abcdef-qr", b"fedcba9876543210fedcba9876543210-qr")
ED_KEYS = tuple(
    Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for _ in SECRETS
)

# A signer of a kind for key 0 or 1 (another key: its tokens are not ours), on a clock.
MakeSigner = Callable[[int, FrozenClock], TokenSigner]
SIGNERS: dict[str, MakeSigner] = {
    "fake": lambda key, clock: FakeSigner(SECRETS[key], clock),
    "hs256": lambda key, clock: JwtTokenSigner(QrTokenConfig(SECRETS[key]), clock),
    # The same kid for both keys: a token must be refused by its signature, not only its kid.
    "eddsa": lambda key, clock: JwtTokenSigner(
        QrTokenConfig(SECRETS[0], private_key_pem=ED_KEYS[key], key_id="door"), clock
    ),
    "eddsa-unknown-kid": lambda key, clock: JwtTokenSigner(
        QrTokenConfig(SECRETS[0], private_key_pem=ED_KEYS[key]), clock
    ),
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture(params=sorted(SIGNERS))
def make(request: pytest.FixtureRequest) -> MakeSigner:
    maker: MakeSigner = SIGNERS[request.param]
    return maker


@pytest.fixture
def signer(make: MakeSigner, clock: FrozenClock) -> TokenSigner:
    return make(0, clock)


def _replace_segment(token: str, index: int, change: Callable[[str], str]) -> str:
    parts = token.split(".")
    parts[index] = change(parts[index])
    return ".".join(parts)


def _flip(text: str) -> str:
    middle = len(text) // 2
    return text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]


# --- signing ---------------------------------------------------------------------------


def test_a_signed_token_verifies_to_its_claims(signer: TokenSigner) -> None:
    assert signer.verify(signer.sign(CLAIMS)) == CLAIMS


def test_equal_claims_and_keys_give_the_same_token(
    make: MakeSigner, clock: FrozenClock, signer: TokenSigner
) -> None:
    # A ticket's token is derived again from its recorded fields, in any process.
    assert signer.sign(CLAIMS) == signer.sign(CLAIMS) == make(0, clock).sign(CLAIMS)


def test_fractions_of_seconds_are_dropped_so_the_token_can_be_derived_again(
    signer: TokenSigner,
) -> None:
    precise = replace(
        CLAIMS,
        issued_at=CLAIMS.issued_at + timedelta(microseconds=123456),
        expires_at=CLAIMS.expires_at + timedelta(microseconds=999999),
    )

    assert signer.sign(precise) == signer.sign(CLAIMS)
    assert signer.verify(signer.sign(precise)) == CLAIMS


def test_each_version_has_its_own_token(signer: TokenSigner) -> None:
    second = replace(CLAIMS, version=2)

    assert signer.sign(second) != signer.sign(CLAIMS)
    assert signer.verify(signer.sign(second)).version == 2


def test_versions_start_at_one(signer: TokenSigner) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        signer.sign(replace(CLAIMS, version=0))


# --- what verify refuses ---------------------------------------------------------------


def test_a_token_of_another_key_is_invalid(
    make: MakeSigner, clock: FrozenClock, signer: TokenSigner
) -> None:
    foreign = make(1, clock).sign(CLAIMS)

    with pytest.raises(InvalidToken) as raised:
        signer.verify(foreign)
    assert not isinstance(raised.value, ExpiredToken)


@pytest.mark.parametrize("segment", [1, -1], ids=["claims", "signature"])
def test_a_tampered_token_is_invalid(signer: TokenSigner, segment: int) -> None:
    forged = _replace_segment(signer.sign(CLAIMS), segment, _flip)

    with pytest.raises(InvalidToken) as raised:
        signer.verify(forged)
    assert not isinstance(raised.value, ExpiredToken)


@pytest.mark.parametrize(
    "garbage",
    ["", "not-a-token", "a.b.c", "..", "x" * 5000, "\x00\xff", "eyJ.eyJ.sig"],
    ids=["empty", "word", "three-parts", "dots", "huge", "binary", "jwt-shaped"],
)
def test_garbage_is_invalid(signer: TokenSigner, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        signer.verify(garbage)


def test_a_token_without_its_signature_is_invalid(signer: TokenSigner) -> None:
    unsigned = _replace_segment(signer.sign(CLAIMS), -1, lambda _: "")

    with pytest.raises(InvalidToken):
        signer.verify(unsigned)


# --- expiry ----------------------------------------------------------------------------


def test_a_token_is_good_until_shortly_before_it_expires(
    signer: TokenSigner, clock: FrozenClock
) -> None:
    token = signer.sign(CLAIMS)
    clock.set(CLAIMS.expires_at - timedelta(minutes=1))

    assert signer.verify(token) == CLAIMS


def test_an_expired_token_says_whose_it_was(signer: TokenSigner, clock: FrozenClock) -> None:
    token = signer.sign(CLAIMS)
    clock.set(CLAIMS.expires_at + timedelta(hours=1))

    # The door tells "expired, Åse's ticket" from "not a ticket": the claims come along.
    with pytest.raises(ExpiredToken) as raised:
        signer.verify(token)
    assert isinstance(raised.value, InvalidToken)
    assert raised.value.claims == CLAIMS


def test_an_expired_forgery_is_invalid_not_expired(
    make: MakeSigner, signer: TokenSigner, clock: FrozenClock
) -> None:
    foreign = make(1, clock).sign(CLAIMS)
    clock.set(CLAIMS.expires_at + timedelta(hours=1))

    # Expiry is only said of a token whose signature held: a forgery learns nothing.
    with pytest.raises(InvalidToken) as raised:
        signer.verify(foreign)
    assert not isinstance(raised.value, ExpiredToken)


# --- public keys -----------------------------------------------------------------------


def test_the_public_keys_verify_its_tokens_and_hold_no_secret(signer: TokenSigner) -> None:
    jwks = signer.public_jwks()
    token = signer.sign(CLAIMS)
    for key in jwks["keys"]:
        assert not {"d", "k"} & key.keys()  # a private scalar or a shared secret
    if jwks["keys"]:  # asymmetric: a door verifies offline with these keys alone
        keys = jwt.PyJWKSet.from_dict(jwks)
        assert any(
            jwt.decode(
                token, key.key, algorithms=[key.algorithm_name], options={"verify_exp": False}
            )["sub"]
            == str(CLAIMS.ticket_id)
            for key in keys.keys
        )
