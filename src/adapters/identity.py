"""Bearer JWTs of the identity provider, verified with a shared secret (HS256) or its JWKS."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import jwt
from jwt.types import Options

from adapters.credentials import long_enough
from adapters.identifiers import REFERENCE, matches
from application.identity import Principal, Unauthenticated
from domain.shared import unprintable

logger = logging.getLogger(__name__)

# Proxies cap headers near 8-16 KiB; anything longer is not worth parsing.
MAX_TOKEN_LENGTH: Final = 16384
JWKS_ALGORITHMS: Final = ("RS256", "ES256", "EdDSA")

# Anything a hostile token, a broken JWKS document or the network can make PyJWT raise.
_REJECTED: Final = (
    jwt.PyJWTError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    OverflowError,
    OSError,
    RecursionError,
)


@dataclass(frozen=True)
class IdentityConfig:
    """Where bearer tokens come from: exactly one of ``jwt_secret`` and ``jwks_url``."""

    jwt_secret: str | None = field(default=None, repr=False)
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    roles_claim: str = "roles"
    leeway_seconds: int = 30
    jwks_cache_seconds: float = 300.0
    jwks_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        if (self.jwt_secret is None) == (self.jwks_url is None):
            raise ValueError("configure exactly one of jwt_secret and jwks_url")
        if self.jwt_secret is not None:
            _hmac_key(self.jwt_secret)
        if not self.roles_claim:
            raise ValueError("roles_claim must not be empty")
        if self.leeway_seconds < 0:
            raise ValueError("leeway_seconds must not be negative")


class JwtIdentityVerifier:
    """IdentityVerifier: any failure, the key server's included, is Unauthenticated."""

    def __init__(self, config: IdentityConfig) -> None:
        self._config = config
        self._secret: bytes | None = None
        self._jwks: jwt.PyJWKClient | None = None
        if config.jwt_secret is not None:
            self._secret = config.jwt_secret.encode()
            self._algorithms: list[str] = ["HS256"]
        else:
            assert config.jwks_url is not None
            try:
                # Keys are fetched lazily, on the first token: no I/O here. The key set is
                # cached for its lifespan only (not per kid forever), so a key the provider
                # withdraws stops being accepted within jwks_cache_seconds.
                self._jwks = jwt.PyJWKClient(
                    config.jwks_url,
                    cache_keys=False,
                    lifespan=config.jwks_cache_seconds,
                    timeout=config.jwks_timeout_seconds,
                )
            except jwt.PyJWKClientError as exc:
                raise ValueError(f"unusable JWKS URL: {exc}") from exc
            self._algorithms = list(JWKS_ALGORITHMS)
        self.blocks = self._jwks is not None  # a shared secret: microseconds of CPU, no I/O
        # Without a configured audience, tokens carrying one (most providers set it) still pass.
        self._options: Options = {
            "require": ["sub", "exp"],
            "verify_aud": config.audience is not None,
        }

    def verify(self, bearer_token: str) -> Principal:
        if not isinstance(bearer_token, str) or not bearer_token:
            raise Unauthenticated("no bearer token")
        if len(bearer_token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("bearer token too long")
        try:
            key = self._key_for(bearer_token)
            claims = jwt.decode(
                bearer_token,
                key,
                algorithms=self._algorithms,
                options=self._options,
                issuer=self._config.issuer,
                audience=self._config.audience,
                leeway=self._config.leeway_seconds,
            )
        except Unauthenticated:
            raise
        except _REJECTED as exc:
            # The class only: messages can quote token parts.
            raise Unauthenticated(f"bearer token rejected ({type(exc).__name__})") from None
        return self._principal(claims)

    def _key_for(self, token: str) -> bytes | jwt.PyJWK:
        if self._secret is not None:
            return self._secret
        assert self._jwks is not None
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        # Checked before any fetch, so junk tokens cannot make us hammer the key server.
        if (
            header.get("alg") not in self._algorithms
            or not isinstance(kid, str)
            or not matches(REFERENCE, kid)
        ):
            raise Unauthenticated("bearer token without a usable key id or algorithm")
        try:
            return self._jwks.get_signing_key(kid)
        except Exception as exc:
            # Broad on purpose: a JWKS document can make PyJWT raise nearly anything, and the
            # caller is unauthenticated whatever it was. Operators hear of all but unknown kids,
            # which anyone can send.
            if not _unknown_kid(exc):
                logger.warning("identity provider keys unavailable: %s", type(exc).__name__)
            raise Unauthenticated("no key for this bearer token") from None

    def _principal(self, claims: dict[str, Any]) -> Principal:
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.strip():
            raise Unauthenticated("bearer token without a subject")
        # It becomes the recorded actor of what the caller does, and the key of their profile.
        if not matches(REFERENCE, sub):
            raise Unauthenticated(
                "bearer token's subject is not an id (letters, digits, _.~:@|+=/#-)"
            )
        return Principal(
            user_id=sub,
            email=_optional_str(claims.get("email")),
            name=_optional_str(claims.get("name")),
            roles=_roles(_lookup(claims, self._config.roles_claim)),
        )


def mint_dev_token(
    secret: str,
    sub: str,
    roles: tuple[str, ...] = (),
    email: str | None = None,
    name: str | None = None,
    ttl_seconds: int = 12 * 3600,
    issuer: str | None = None,
    audience: str | None = None,
    roles_claim: str = "roles",
) -> str:
    """An HS256 bearer token as the identity provider would issue it, for local use and tests.

    A negative ``ttl_seconds`` gives an already expired token.
    """
    if not sub:
        raise ValueError("sub must not be empty")
    now = datetime.now(UTC).replace(microsecond=0)
    claims: dict[str, Any] = {}
    if issuer is not None:
        claims["iss"] = issuer
    claims["sub"] = sub
    if audience is not None:
        claims["aud"] = audience
    claims["iat"] = int(now.timestamp())
    claims["exp"] = int((now + timedelta(seconds=ttl_seconds)).timestamp())
    if email is not None:
        claims["email"] = email
    if name is not None:
        claims["name"] = name
    claims[roles_claim] = list(roles)
    return jwt.encode(claims, _hmac_key(secret), algorithm="HS256")


def _hmac_key(secret: str) -> bytes:
    return long_enough(secret.encode("utf-8"), "the auth JWT secret")


def _lookup(claims: dict[str, Any], name: str) -> object:
    """The claim by its exact name (``https://x/roles``), else as a dotted path (Keycloak's
    ``realm_access.roles``)."""
    if name in claims:
        return claims[name]
    value: object = claims
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _roles(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value}) if value else frozenset()
    if isinstance(value, list):
        return frozenset(role for role in value if isinstance(role, str) and role)
    return frozenset()


def _optional_str(value: object) -> str | None:
    """An optional claim (email, name): left out when it holds what it may not."""
    if not isinstance(value, str) or not value or unprintable(value) is not None:
        return None
    return value


def _unknown_kid(exc: Exception) -> bool:
    # PyJWT tells an unknown kid from a broken key server only by its message.
    return type(exc) is jwt.PyJWKClientError and str(exc).startswith("Unable to find a signing key")
