"""QR ticket tokens as deterministic JWTs (HS256, or EdDSA with a public JWKS for door devices)."""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from adapters.credentials import long_enough
from application.clock import Clock
from application.tickets.ports import ExpiredToken, InvalidToken, TokenClaims

# Far above any token signed here (~400 chars); bounds the work an unauthenticated scan can cause.
MAX_TOKEN_LENGTH: Final = 4096

_REQUIRED_CLAIMS: Final = ["iss", "sub", "periodId", "personId", "iat", "exp", "nonce", "ver"]
_NONCE = re.compile(r"[0-9a-f]{32}")
# Anything a hostile string or a corrupt-but-signed payload can make PyJWT, json or datetime raise.
_DECODE_ERRORS: Final = (
    jwt.PyJWTError,
    ValueError,
    TypeError,
    KeyError,
    OverflowError,
    OSError,
    RecursionError,
)


@dataclass(frozen=True)
class QrTokenConfig:
    """How QR tokens are signed: HS256 with ``secret``, or EdDSA when a private key is given.

    The secret is needed in both modes: it keys the nonce.
    """

    secret: bytes = field(repr=False)
    issuer: str = "salsanor-tickets"
    leeway_seconds: int = 30
    private_key_pem: bytes | None = field(default=None, repr=False)
    key_id: str | None = None  # default with a private key: its RFC 7638 thumbprint
    # Ed25519 public keys of former signing keys: still published and accepted (by their
    # thumbprint kid) so that tokens already handed out keep scanning until they expire.
    retired_public_keys_pem: tuple[bytes, ...] = field(default=(), repr=False)


class JwtTokenSigner:
    """TokenSigner: the same claims and keys always give the same token string."""

    def __init__(self, config: QrTokenConfig, clock: Clock | None = None) -> None:
        long_enough(config.secret, "the QR token secret")
        if config.leeway_seconds < 0:
            raise ValueError("leeway_seconds must not be negative")
        if not config.issuer:
            raise ValueError("the QR token issuer must not be empty")
        self._secret = config.secret
        self._issuer = config.issuer
        self._leeway = config.leeway_seconds
        self._clock = clock
        self._private_key: Ed25519PrivateKey | None = None
        self._public_key: Ed25519PublicKey | None = None
        self._kid: str | None = None
        self._jwks: dict[str, Any] = {"keys": []}
        self._verifying_keys: dict[str, Ed25519PublicKey] = {}  # by kid, EdDSA only
        if config.private_key_pem is None:
            if config.retired_public_keys_pem:
                raise ValueError("retired public keys need an Ed25519 private key (EdDSA)")
            self._algorithm = "HS256"
            self._headers: dict[str, Any] | None = None
            try:
                # PyJWT refuses PEM/DER-looking HMAC secrets (algorithm confusion): fail now.
                jwt.get_algorithm_by_name("HS256").prepare_key(config.secret)
            except jwt.InvalidKeyError as exc:
                raise ValueError("the QR token secret looks like an asymmetric key") from exc
        else:
            self._algorithm = "EdDSA"
            self._private_key = _load_ed25519(config.private_key_pem)
            self._public_key = self._private_key.public_key()
            jwk = _okp_jwk(self._public_key)
            if config.key_id is not None and not config.key_id:
                raise ValueError("key_id must not be empty")
            self._kid = config.key_id or _jwk_thumbprint(jwk)
            self._headers = {"kid": self._kid}
            self._jwks = {"keys": [{**jwk, "kid": self._kid, "alg": "EdDSA", "use": "sig"}]}
            self._verifying_keys[self._kid] = self._public_key
            for pem in config.retired_public_keys_pem:
                retired = _load_ed25519_public(pem)
                retired_jwk = _okp_jwk(retired)
                retired_kid = _jwk_thumbprint(retired_jwk)
                if retired_kid not in self._verifying_keys:
                    self._verifying_keys[retired_kid] = retired
                    self._jwks["keys"].append(
                        {**retired_jwk, "kid": retired_kid, "alg": "EdDSA", "use": "sig"}
                    )

    @property
    def algorithm(self) -> str:
        return self._algorithm

    @property
    def key_id(self) -> str | None:
        return self._kid

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS door devices verify EdDSA tokens with; no keys with HS256."""
        return {"keys": [dict(key) for key in self._jwks["keys"]]}

    def nonce(self, ticket_id: UUID, version: int) -> str:
        """128 bits unique per ticket and token version, keyed so the token can be derived again."""
        message = f"{ticket_id}:{version}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).digest()[:16].hex()

    def sign(self, claims: TokenClaims) -> str:
        if claims.version < 1:
            raise ValueError("token versions start at 1")
        # The order and the int types are part of the token string: never change them.
        payload: dict[str, Any] = {
            "iss": self._issuer,
            "sub": str(claims.ticket_id),
            "periodId": str(claims.period_id),
            "personId": str(claims.person_id),
            "iat": _epoch_seconds(claims.issued_at),
            "exp": _epoch_seconds(claims.expires_at),
            "nonce": self.nonce(claims.ticket_id, claims.version),
            "ver": claims.version,
        }
        key = self._private_key if self._private_key is not None else self._secret
        return jwt.encode(payload, key, algorithm=self._algorithm, headers=self._headers)

    def verify(self, token: str) -> TokenClaims:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("not a token")
        try:
            key = self._verifying_key(token)
            decoded = jwt.decode_complete(
                token,
                key,
                algorithms=[self._algorithm],
                issuer=self._issuer,
                # Expiry is checked below, after the claims are known to be ours.
                options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
            claims, expires = self._claims(decoded["payload"])
        except InvalidToken:
            raise
        except _DECODE_ERRORS as exc:
            raise InvalidToken(_describe(exc)) from None
        if expires + self._leeway <= self._now():
            raise ExpiredToken("token has expired", claims)
        return claims

    def _verifying_key(self, token: str) -> bytes | Ed25519PublicKey:
        """The key a token names by its kid: the current one or a retired one, nothing else."""
        if not self._verifying_keys:
            return self._secret
        kid = jwt.get_unverified_header(token).get("kid")
        key = self._verifying_keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("token signed with another key")
        return key

    def _claims(self, payload: dict[str, Any]) -> tuple[TokenClaims, int]:
        if payload["iss"] != self._issuer:
            raise InvalidToken("token of another issuer")
        issued = payload["iat"]
        expires = payload["exp"]
        version = payload["ver"]
        nonce = payload["nonce"]
        if not (_is_int(issued) and _is_int(expires) and _is_int(version)) or version < 1:
            raise InvalidToken("token claims of the wrong type")
        if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
            raise InvalidToken("token nonce malformed")
        claims = TokenClaims(
            ticket_id=_canonical_uuid(payload["sub"]),
            period_id=_canonical_uuid(payload["periodId"]),
            person_id=_canonical_uuid(payload["personId"]),
            version=version,
            issued_at=datetime.fromtimestamp(issued, UTC),
            expires_at=datetime.fromtimestamp(expires, UTC),
        )
        return claims, expires

    def _now(self) -> float:
        now = self._clock.now() if self._clock is not None else datetime.now(UTC)
        return now.timestamp()


def _load_ed25519(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # The message never includes the key material.
        raise ValueError("the QR token private key is not an unencrypted PEM key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the QR token private key must be an Ed25519 key")
    return key


def _load_ed25519_public(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("a retired QR token key is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("a retired QR token key must be an Ed25519 public key")
    return key


def _okp_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def _jwk_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace."""
    members = {name: jwk[name] for name in ("crv", "kty", "x")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _epoch_seconds(moment: datetime) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("token times must be timezone-aware")
    # Exact integer seconds, fractions dropped: the same conversion PyJWT applies to datetimes.
    return calendar.timegm(moment.utctimetuple())


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _canonical_uuid(value: object) -> UUID:
    if not isinstance(value, str):
        raise InvalidToken("token id claim is not a string")
    parsed = UUID(value)  # ValueError on garbage, turned into InvalidToken by the caller
    if str(parsed) != value:
        raise InvalidToken("token id claim is not a canonical UUID")
    return parsed


def _describe(exc: BaseException) -> str:
    # Only the error class: messages may quote parts of the (secret-bearing) token.
    return f"token rejected ({type(exc).__name__})"
