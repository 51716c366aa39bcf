"""QR tokens: deterministic, exactly the documented claims, and every forgery is InvalidToken."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from application.tickets.ports import ExpiredToken, InvalidToken, TokenClaims
from application.tickets.tokens import token_hash

pytestmark = pytest.mark.unit

SECRET = b"0123456789abcdef0123456789abcdef-qr"
NOW = datetime(2026, 9, 1, 18, 0, 0, tzinfo=UTC)
TICKET = UUID("6f1c2b1e-3a47-4c1f-9d6e-2b7a8f4e5d10")
PERIOD = UUID("0b8a3f52-7d1e-4e3c-8a5b-9c2d1e0f3a47")
PERSON = UUID("c4d5e6f7-0a1b-4c2d-8e3f-5a6b7c8d9e0f")
CLAIM_ORDER = ["iss", "sub", "periodId", "personId", "iat", "exp", "nonce", "ver"]


@dataclass
class FrozenClock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


def make_claims(**changes: Any) -> TokenClaims:
    claims = TokenClaims(
        ticket_id=TICKET,
        period_id=PERIOD,
        person_id=PERSON,
        version=1,
        issued_at=NOW,
        expires_at=NOW + timedelta(days=120),
    )
    return replace(claims, **changes)


def ed25519_pem(key: Ed25519PrivateKey | None = None) -> bytes:
    key = key or Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def hs256_by_hand(header: dict[str, Any], payload: bytes, key: bytes) -> str:
    """A token PyJWT would refuse to make (odd payloads, PEM keys as HMAC secrets)."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(payload)}"
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def good_payload(**changes: Any) -> dict[str, Any]:
    signer = JwtTokenSigner(QrTokenConfig(SECRET))
    payload: dict[str, Any] = json.loads(b64url_decode(signer.sign(make_claims()).split(".")[1]))
    payload.update(changes)
    return payload


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def signer(clock: FrozenClock) -> JwtTokenSigner:
    return JwtTokenSigner(QrTokenConfig(SECRET), clock=clock)


@pytest.fixture(scope="module")
def ed_pem() -> bytes:
    return ed25519_pem()


@pytest.fixture
def ed_signer(ed_pem: bytes, clock: FrozenClock) -> JwtTokenSigner:
    return JwtTokenSigner(QrTokenConfig(SECRET, private_key_pem=ed_pem, key_id="door-1"), clock)


# --- the token we serve ----------------------------------------------------------------


def test_round_trip_gives_back_the_claims(signer: JwtTokenSigner) -> None:
    claims = make_claims(version=3)

    assert signer.verify(signer.sign(claims)) == claims


def test_payload_has_exactly_the_documented_claims_in_order(signer: JwtTokenSigner) -> None:
    token = signer.sign(make_claims())
    header_segment, payload_segment, _ = token.split(".")

    payload = json.loads(b64url_decode(payload_segment))
    assert list(payload) == CLAIM_ORDER
    assert payload == {
        "iss": "salsanor-tickets",
        "sub": str(TICKET),
        "periodId": str(PERIOD),
        "personId": str(PERSON),
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(days=120)).timestamp()),
        "nonce": payload["nonce"],
        "ver": 1,
    }
    assert json.loads(b64url_decode(header_segment)) == {"alg": "HS256", "typ": "JWT"}


def test_the_same_claims_give_the_same_token(signer: JwtTokenSigner) -> None:
    again = JwtTokenSigner(QrTokenConfig(SECRET))

    assert signer.sign(make_claims()) == signer.sign(make_claims()) == again.sign(make_claims())


def test_times_in_another_timezone_give_the_same_token(signer: JwtTokenSigner) -> None:
    oslo = timezone(timedelta(hours=2))
    local = make_claims(
        issued_at=NOW.astimezone(oslo), expires_at=(NOW + timedelta(days=120)).astimezone(oslo)
    )

    assert signer.sign(local) == signer.sign(make_claims())


def test_naive_times_are_refused(signer: JwtTokenSigner) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        signer.sign(make_claims(issued_at=NOW.replace(tzinfo=None)))


def test_another_version_gives_another_nonce_and_token(signer: JwtTokenSigner) -> None:
    first, second = signer.sign(make_claims(version=1)), signer.sign(make_claims(version=2))
    nonce = [json.loads(b64url_decode(t.split(".")[1]))["nonce"] for t in (first, second)]

    assert first != second
    assert nonce[0] != nonce[1]


def test_nonce_is_128_bits_of_hmac_over_ticket_and_version(signer: JwtTokenSigner) -> None:
    payload = json.loads(b64url_decode(signer.sign(make_claims(version=4)).split(".")[1]))

    assert re.fullmatch(r"[0-9a-f]{32}", payload["nonce"])
    expected = hmac.new(SECRET, f"{TICKET}:4".encode(), hashlib.sha256).digest()[:16].hex()
    assert payload["nonce"] == expected


def test_token_hash_is_sha256_hex_of_the_token(signer: JwtTokenSigner) -> None:
    token = signer.sign(make_claims())

    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", token_hash(token))


def test_version_zero_is_refused(signer: JwtTokenSigner) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        signer.sign(make_claims(version=0))


# --- expiry ----------------------------------------------------------------------------


def test_a_token_past_its_expiry_and_the_leeway_is_expired(signer: JwtTokenSigner) -> None:
    expires = NOW - timedelta(seconds=30)
    token = signer.sign(make_claims(issued_at=NOW - timedelta(days=2), expires_at=expires))

    with pytest.raises(ExpiredToken):
        signer.verify(token)


def test_expired_is_an_invalid_token_too(signer: JwtTokenSigner) -> None:
    token = signer.sign(make_claims(expires_at=NOW - timedelta(hours=1)))

    with pytest.raises(InvalidToken):
        signer.verify(token)


def test_a_token_just_past_expiry_passes_within_the_leeway(signer: JwtTokenSigner) -> None:
    claims = make_claims(expires_at=NOW - timedelta(seconds=29))

    assert signer.verify(signer.sign(claims)) == claims


def test_leeway_is_configurable(clock: FrozenClock) -> None:
    strict = JwtTokenSigner(QrTokenConfig(SECRET, leeway_seconds=0), clock)
    token = strict.sign(make_claims(expires_at=NOW - timedelta(seconds=1)))

    with pytest.raises(ExpiredToken):
        strict.verify(token)


def test_expiry_uses_the_real_time_without_a_clock() -> None:
    real = JwtTokenSigner(QrTokenConfig(SECRET))
    past = make_claims(expires_at=datetime.now(UTC) - timedelta(minutes=5))
    future = make_claims(expires_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=1))

    with pytest.raises(ExpiredToken):
        real.verify(real.sign(past))
    assert real.verify(real.sign(future)) == future


# --- forgeries and garbage -------------------------------------------------------------


def flip(segment: str, index: int) -> str:
    char = "A" if segment[index] != "A" else "B"
    return segment[:index] + char + segment[index + 1 :]


def test_a_tampered_payload_is_invalid(signer: JwtTokenSigner) -> None:
    header, payload, signature = signer.sign(make_claims()).split(".")

    with pytest.raises(InvalidToken) as caught:
        signer.verify(f"{header}.{flip(payload, 10)}.{signature}")
    assert not isinstance(caught.value, ExpiredToken)


def test_a_payload_swapped_for_another_ticket_is_invalid(signer: JwtTokenSigner) -> None:
    header, _, signature = signer.sign(make_claims()).split(".")
    other = b64url(json.dumps(good_payload(sub="11111111-1111-4111-8111-111111111111")).encode())

    with pytest.raises(InvalidToken):
        signer.verify(f"{header}.{other}.{signature}")


def test_a_tampered_signature_is_invalid(signer: JwtTokenSigner) -> None:
    header, payload, signature = signer.sign(make_claims()).split(".")

    with pytest.raises(InvalidToken):
        signer.verify(f"{header}.{payload}.{flip(signature, 5)}")
    with pytest.raises(InvalidToken):
        signer.verify(f"{header}.{payload}.")


def test_a_token_of_another_secret_is_invalid(signer: JwtTokenSigner) -> None:
    other = JwtTokenSigner(QrTokenConfig(b"another secret of at least 32 bytes!"))

    with pytest.raises(InvalidToken):
        signer.verify(other.sign(make_claims()))


def test_an_expired_token_of_another_secret_is_invalid_not_expired(
    signer: JwtTokenSigner,
) -> None:
    other = JwtTokenSigner(QrTokenConfig(b"another secret of at least 32 bytes!"))
    token = other.sign(make_claims(expires_at=NOW - timedelta(days=1)))

    with pytest.raises(InvalidToken) as caught:
        signer.verify(token)
    assert not isinstance(caught.value, ExpiredToken)


def test_alg_none_is_invalid(signer: JwtTokenSigner) -> None:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(good_payload()).encode())

    with pytest.raises(InvalidToken):
        signer.verify(f"{header}.{payload}.")


def test_another_issuer_is_invalid(signer: JwtTokenSigner) -> None:
    other = JwtTokenSigner(QrTokenConfig(SECRET, issuer="someone-else"))

    with pytest.raises(InvalidToken):
        signer.verify(other.sign(make_claims()))


@pytest.mark.parametrize(
    "changes",
    [
        {"sub": "not-a-uuid"},
        {"sub": str(TICKET).upper()},
        {"sub": TICKET.hex},
        {"periodId": 12},
        {"personId": None},
        {"iat": "1788285600"},
        {"exp": 1.5e9},
        {"exp": True},
        {"exp": 10**30},
        {"ver": "1"},
        {"ver": 0},
        {"ver": False},
        {"nonce": "XYZ"},
        {"nonce": 7},
        {"iss": ["salsanor-tickets"]},
        {"aud": "door"},
    ],
    ids=repr,
)
def test_well_signed_claims_of_the_wrong_shape_are_invalid(
    signer: JwtTokenSigner, changes: dict[str, Any]
) -> None:
    token = hs256_by_hand(
        {"alg": "HS256", "typ": "JWT"}, json.dumps(good_payload(**changes)).encode(), SECRET
    )

    with pytest.raises(InvalidToken):
        signer.verify(token)


@pytest.mark.parametrize("missing", CLAIM_ORDER)
def test_a_missing_claim_is_invalid(signer: JwtTokenSigner, missing: str) -> None:
    payload = good_payload()
    del payload[missing]
    token = hs256_by_hand({"alg": "HS256", "typ": "JWT"}, json.dumps(payload).encode(), SECRET)

    with pytest.raises(InvalidToken):
        signer.verify(token)


def test_a_hand_made_token_of_the_right_shape_is_accepted(signer: JwtTokenSigner) -> None:
    """Guards the tests above: they fail for the change they make, not for the hand signing."""
    token = hs256_by_hand(
        {"alg": "HS256", "typ": "JWT"}, json.dumps(good_payload()).encode(), SECRET
    )

    assert signer.verify(token) == make_claims()


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        ".",
        "..",
        "a.b.c",
        "not a token",
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJhbGciOiJIUzI1NiJ9..",
        "\x00\x01\x02",
        "é.é.é",
        "a" * 5000,
        b64url(b"[" * 3000) + ".e30.",
        b64url(b'{"alg":"HS256"}') + "." + b64url(b"[" * 3000) + ".AAAA",
    ],
    ids=lambda garbage: repr(garbage[:20]),
)
def test_garbage_is_invalid(signer: JwtTokenSigner, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        signer.verify(garbage)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=600))
def test_random_text_is_only_ever_invalid(text: str) -> None:
    signer = JwtTokenSigner(QrTokenConfig(SECRET), FrozenClock(NOW))

    with pytest.raises(InvalidToken):
        signer.verify(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.uuids().map(str),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(changes=st.dictionaries(st.sampled_from([*CLAIM_ORDER, "nbf", "aud"]), json_values))
def test_random_well_signed_payloads_verify_or_are_invalid(changes: dict[str, Any]) -> None:
    """Whatever a signed payload holds, verify returns claims or raises InvalidToken."""
    signer = JwtTokenSigner(QrTokenConfig(SECRET), FrozenClock(NOW))
    token = hs256_by_hand(
        {"alg": "HS256", "typ": "JWT"}, json.dumps(good_payload(**changes)).encode(), SECRET
    )

    try:
        claims = signer.verify(token)
    except InvalidToken:
        return
    assert isinstance(claims, TokenClaims)


# --- configuration ---------------------------------------------------------------------


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        JwtTokenSigner(QrTokenConfig(b"x" * 31))


def test_a_pem_as_secret_is_refused(ed_pem: bytes) -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        JwtTokenSigner(QrTokenConfig(ed_pem))


def test_secrets_stay_out_of_repr(ed_pem: bytes) -> None:
    config = QrTokenConfig(SECRET, private_key_pem=ed_pem)

    assert SECRET.decode() not in repr(config)
    assert "PRIVATE" not in repr(config)


def test_hs256_publishes_no_keys(signer: JwtTokenSigner) -> None:
    assert signer.public_jwks() == {"keys": []}
    assert signer.algorithm == "HS256"
    assert signer.key_id is None


# --- EdDSA -----------------------------------------------------------------------------


def test_eddsa_round_trip_with_kid_header(ed_signer: JwtTokenSigner) -> None:
    claims = make_claims(version=2)
    token = ed_signer.sign(claims)

    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": "door-1", "typ": "JWT"}
    assert list(json.loads(b64url_decode(token.split(".")[1]))) == CLAIM_ORDER
    assert ed_signer.verify(token) == claims


def test_eddsa_tokens_are_deterministic(ed_pem: bytes, ed_signer: JwtTokenSigner) -> None:
    again = JwtTokenSigner(QrTokenConfig(SECRET, private_key_pem=ed_pem, key_id="door-1"))

    assert ed_signer.sign(make_claims()) == again.sign(make_claims())


def test_a_door_device_verifies_with_the_published_jwks(ed_signer: JwtTokenSigner) -> None:
    token = ed_signer.sign(make_claims())
    jwks = jwt.PyJWKSet.from_dict(ed_signer.public_jwks())
    (key,) = jwks.keys

    assert key.key_id == "door-1"
    assert ed_signer.public_jwks()["keys"][0].keys() == {"kty", "crv", "x", "kid", "alg", "use"}
    payload = jwt.decode(
        token, key, algorithms=["EdDSA"], options={"verify_exp": False, "verify_iat": False}
    )
    assert payload["sub"] == str(TICKET)


def test_the_jwks_holds_no_private_part(ed_signer: JwtTokenSigner) -> None:
    assert "d" not in ed_signer.public_jwks()["keys"][0]


def test_kid_defaults_to_the_key_thumbprint(ed_pem: bytes) -> None:
    signer = JwtTokenSigner(QrTokenConfig(SECRET, private_key_pem=ed_pem))
    jwk = signer.public_jwks()["keys"][0]
    members = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]}, separators=(",", ":")
    )

    assert signer.key_id == b64url(hashlib.sha256(members.encode()).digest())
    assert jwk["kid"] == signer.key_id


def test_eddsa_and_hs256_do_not_accept_each_others_tokens(
    signer: JwtTokenSigner, ed_signer: JwtTokenSigner
) -> None:
    with pytest.raises(InvalidToken):
        signer.verify(ed_signer.sign(make_claims()))
    with pytest.raises(InvalidToken):
        ed_signer.verify(signer.sign(make_claims()))


def test_hs256_forged_with_the_public_key_as_secret_is_invalid(
    ed_signer: JwtTokenSigner, ed_pem: bytes
) -> None:
    """Algorithm confusion: the public key is public, so HMAC with it proves nothing."""
    private = serialization.load_pem_private_key(ed_pem, password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    payload = json.dumps(good_payload()).encode()

    for header in ({"alg": "HS256", "typ": "JWT"}, {"alg": "HS256", "kid": "door-1"}):
        with pytest.raises(InvalidToken):
            ed_signer.verify(hs256_by_hand(header, payload, public_pem))


def test_a_token_of_another_ed25519_key_is_invalid(ed_signer: JwtTokenSigner) -> None:
    other = JwtTokenSigner(
        QrTokenConfig(SECRET, private_key_pem=ed25519_pem(), key_id="door-1"), FrozenClock(NOW)
    )

    with pytest.raises(InvalidToken):
        ed_signer.verify(other.sign(make_claims()))


def test_a_token_with_another_kid_is_invalid(ed_pem: bytes, ed_signer: JwtTokenSigner) -> None:
    renamed = JwtTokenSigner(QrTokenConfig(SECRET, private_key_pem=ed_pem, key_id="door-2"))

    with pytest.raises(InvalidToken):
        ed_signer.verify(renamed.sign(make_claims()))


def test_eddsa_expiry(ed_signer: JwtTokenSigner) -> None:
    with pytest.raises(ExpiredToken):
        ed_signer.verify(ed_signer.sign(make_claims(expires_at=NOW - timedelta(minutes=1))))


@pytest.mark.parametrize(
    "pem",
    [
        b"not a pem",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_an_unusable_private_key_is_refused(pem: bytes) -> None:
    with pytest.raises(ValueError, match="PEM"):
        JwtTokenSigner(QrTokenConfig(SECRET, private_key_pem=pem))


def test_a_private_key_of_another_type_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    with pytest.raises(ValueError, match="Ed25519"):
        JwtTokenSigner(QrTokenConfig(SECRET, private_key_pem=pem))


def test_an_encrypted_private_key_is_refused() -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )

    with pytest.raises(ValueError, match="unencrypted"):
        JwtTokenSigner(QrTokenConfig(SECRET, private_key_pem=pem))
