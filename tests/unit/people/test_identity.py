"""Bearer tokens with a shared secret: who the caller is, and Unauthenticated for anything else."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.identity import IdentityConfig, JwtIdentityVerifier, mint_dev_token
from application.identity import Principal, Unauthenticated

pytestmark = pytest.mark.unit

SECRET = "auth-secret-0123456789abcdef-0123456789"
OTHER_SECRET = "another-secret-0123456789abcdef-012345"


def verifier(**config: Any) -> JwtIdentityVerifier:
    return JwtIdentityVerifier(IdentityConfig(jwt_secret=SECRET, **config))


def token(claims: dict[str, Any], secret: str = SECRET, **headers: Any) -> str:
    return jwt.encode(claims, secret.encode(), algorithm="HS256", headers=headers or None)


def claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "user-42",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def test_a_dev_token_gives_the_principal_with_roles_email_and_name() -> None:
    bearer = mint_dev_token(
        SECRET, "user-42", roles=("admin", "staff"), email="ana@example.org", name="Ana"
    )

    assert verifier().verify(bearer) == Principal(
        user_id="user-42",
        email="ana@example.org",
        name="Ana",
        roles=frozenset({"admin", "staff"}),
    )


def test_a_minimal_token_gives_a_principal_without_roles() -> None:
    principal = verifier().verify(token(claims()))

    assert principal == Principal(user_id="user-42")
    assert not principal.is_admin


def test_a_token_of_another_secret_is_unauthenticated() -> None:
    with pytest.raises(Unauthenticated):
        verifier().verify(mint_dev_token(OTHER_SECRET, "user-42", roles=("admin",)))


def test_an_expired_token_is_unauthenticated() -> None:
    with pytest.raises(Unauthenticated):
        verifier().verify(mint_dev_token(SECRET, "user-42", ttl_seconds=-3600))


def test_expiry_has_a_leeway() -> None:
    just_expired = token(claims(exp=int(datetime.now(UTC).timestamp()) - 5))

    assert verifier().verify(just_expired).user_id == "user-42"
    with pytest.raises(Unauthenticated):
        verifier(leeway_seconds=0).verify(just_expired)


def test_a_token_issued_in_the_future_is_unauthenticated() -> None:
    later = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())

    with pytest.raises(Unauthenticated):
        verifier().verify(token(claims(iat=later, nbf=later)))


@pytest.mark.parametrize("sub", [None, "", "   ", 42, ["user-42"]], ids=repr)
def test_a_token_without_a_usable_subject_is_unauthenticated(sub: object) -> None:
    payload = claims()
    if sub is None:
        del payload["sub"]
    else:
        payload["sub"] = sub

    with pytest.raises(Unauthenticated):
        verifier().verify(token(payload))


def test_a_token_without_expiry_is_unauthenticated() -> None:
    payload = claims()
    del payload["exp"]

    with pytest.raises(Unauthenticated):
        verifier().verify(token(payload))


def test_issuer_is_checked_when_configured() -> None:
    strict = verifier(issuer="https://id.example.org/")

    assert strict.verify(token(claims(iss="https://id.example.org/"))).user_id == "user-42"
    with pytest.raises(Unauthenticated):
        strict.verify(token(claims(iss="https://evil.example.org/")))
    with pytest.raises(Unauthenticated):
        strict.verify(token(claims()))


def test_issuer_is_not_checked_when_not_configured() -> None:
    assert verifier().verify(token(claims(iss="anyone"))).user_id == "user-42"


def test_audience_is_checked_when_configured() -> None:
    strict = verifier(audience="tickets")

    assert strict.verify(token(claims(aud="tickets"))).user_id == "user-42"
    assert strict.verify(token(claims(aud=["other", "tickets"]))).user_id == "user-42"
    for wrong in (claims(aud="other-api"), claims()):
        with pytest.raises(Unauthenticated):
            strict.verify(token(wrong))


def test_a_token_with_an_audience_passes_when_none_is_configured() -> None:
    """Most providers always set ``aud``: without AUTH_JWT_AUDIENCE it is not our concern."""
    assert verifier().verify(token(claims(aud="authenticated"))).user_id == "user-42"


def test_dev_tokens_carry_issuer_and_audience() -> None:
    strict = verifier(issuer="idp", audience="tickets")
    bearer = mint_dev_token(SECRET, "user-42", issuer="idp", audience="tickets")

    assert strict.verify(bearer).user_id == "user-42"


def test_the_roles_claim_is_configurable() -> None:
    bearer = token(claims(roles=["admin"], app_roles=["staff"]))

    assert verifier(roles_claim="app_roles").verify(bearer).roles == {"staff"}
    assert verifier().verify(bearer).roles == {"admin"}
    dev = mint_dev_token(SECRET, "user-42", roles=("staff",), roles_claim="app_roles")
    assert verifier(roles_claim="app_roles").verify(dev).roles == {"staff"}


def test_a_namespaced_roles_claim_is_read_by_its_full_name() -> None:
    name = "https://tickets.example.org/roles"
    bearer = token(claims(**{name: ["admin"]}))

    assert verifier(roles_claim=name).verify(bearer).roles == {"admin"}


def test_a_nested_roles_claim_is_read_by_its_dotted_path() -> None:
    bearer = token(claims(realm_access={"roles": ["staff", "offline_access"]}))

    principal = verifier(roles_claim="realm_access.roles").verify(bearer)

    assert principal.roles == {"staff", "offline_access"}


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ("admin", {"admin"}),
        ("", set()),
        (["admin", 7, None, {"x": 1}, "", "staff"], {"admin", "staff"}),
        ({"admin": True}, set()),
        (42, set()),
        (True, set()),
        (None, set()),
    ],
    ids=repr,
)
def test_roles_that_are_not_a_list_of_strings(roles: object, expected: set[str]) -> None:
    assert verifier().verify(token(claims(roles=roles))).roles == expected


@pytest.mark.parametrize("value", [7, "", ["ana@example.org"], {"x": 1}], ids=repr)
def test_email_and_name_that_are_not_strings_are_ignored(value: object) -> None:
    principal = verifier().verify(token(claims(email=value, name=value)))

    assert principal.email is None
    assert principal.name is None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_alg_none_is_unauthenticated() -> None:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims(roles=["admin"])).encode())

    with pytest.raises(Unauthenticated):
        verifier().verify(f"{header}.{payload}.")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_another_hmac_algorithm_is_unauthenticated() -> None:
    """Signed with the right secret: only the algorithm is wrong."""
    bearer = jwt.encode(claims(), SECRET.encode(), algorithm="HS512")

    with pytest.raises(Unauthenticated):
        verifier().verify(bearer)


def test_a_tampered_payload_is_unauthenticated() -> None:
    header, _, signature = mint_dev_token(SECRET, "user-42").split(".")
    payload = b64url(json.dumps(claims(roles=["admin"])).encode())

    with pytest.raises(Unauthenticated):
        verifier().verify(f"{header}.{payload}.{signature}")


@pytest.mark.parametrize(
    "garbage",
    ["", "Bearer", "a.b.c", "..", "not a token", "é", "x" * 20000, "eyJhbGciOiJIUzI1NiJ9.."],
    ids=lambda garbage: repr(garbage[:20]),
)
def test_garbage_is_unauthenticated(garbage: str) -> None:
    with pytest.raises(Unauthenticated):
        verifier().verify(garbage)


def test_the_bearer_word_is_not_accepted_here() -> None:
    """The HTTP layer strips it; a token still wearing it is malformed."""
    with pytest.raises(Unauthenticated):
        verifier().verify("Bearer " + mint_dev_token(SECRET, "user-42"))


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400))
def test_random_text_is_only_ever_unauthenticated(text: str) -> None:
    with pytest.raises(Unauthenticated):
        verifier().verify(text)


def test_exactly_one_key_source_is_required() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        JwtIdentityVerifier(IdentityConfig())
    with pytest.raises(ValueError, match="exactly one"):
        JwtIdentityVerifier(
            IdentityConfig(jwt_secret=SECRET, jwks_url="https://id.example.org/jwks")
        )


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        JwtIdentityVerifier(IdentityConfig(jwt_secret="short"))
    with pytest.raises(ValueError, match="at least 32 bytes"):
        mint_dev_token("short", "user-42")


def test_a_jwks_url_of_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="JWKS URL"):
        JwtIdentityVerifier(IdentityConfig(jwks_url="file:///etc/passwd"))


def test_the_secret_stays_out_of_repr() -> None:
    assert SECRET not in repr(IdentityConfig(jwt_secret=SECRET))
