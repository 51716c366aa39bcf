"""The service's settings: read once from the environment, frozen, grouped by concern."""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from adapters.brand import Brand
from adapters.eventstore import StoreConfig
from adapters.identity import IdentityConfig
from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from adapters.rate_limiter import RateLimitConfig
from adapters.stripe_gateway import StripeConfig
from entrypoints.delivery_settings import (
    DeliverySettingsError,
    brand_from_env,
    rate_limits_from_env,
)
from entrypoints.email_settings import EmailSettings, EmailSettingsError

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite:///./var/tickets.sqlite3"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEV_SECRETS_FILE = Path("var/dev-secrets.json")
MIN_SECRET_BYTES = 32


class SettingsError(Exception):
    """Raised at start-up when a required variable is missing or unusable."""


@dataclass(frozen=True)
class HttpSettings:
    public_base_url: str
    checkout_success_url: str
    checkout_cancel_url: str


@dataclass(frozen=True)
class Settings:
    database: StoreConfig
    tokens: QrTokenConfig
    stripe: StripeConfig
    identity: IdentityConfig
    http: HttpSettings
    dev: bool
    email: EmailSettings = field(default_factory=EmailSettings)
    brand: Brand = field(default_factory=Brand)
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, dev: bool = False) -> Settings:
        """Settings from ``env``; in dev mode, missing secrets come from ./var, made once."""
        if dev:
            env = {**dev_secrets(), **{k: v for k, v in env.items() if v}}
        base_url = env.get("PUBLIC_BASE_URL", DEFAULT_BASE_URL).rstrip("/")
        return cls(
            database=StoreConfig(url=env.get("DATABASE_URL", DEFAULT_DATABASE_URL)),
            tokens=_token_config(env),
            stripe=StripeConfig(
                webhook_secret=_required(env, "STRIPE_WEBHOOK_SECRET"),
                api_key=env.get("STRIPE_API_KEY") or None,
                api_base=env.get("STRIPE_API_BASE") or None,
            ),
            identity=_identity_config(env),
            http=HttpSettings(
                public_base_url=base_url,
                checkout_success_url=env.get(
                    "CHECKOUT_SUCCESS_URL", f"{base_url}/orders/{{orderId}}?checkout=success"
                ),
                checkout_cancel_url=env.get(
                    "CHECKOUT_CANCEL_URL", f"{base_url}/orders/{{orderId}}?checkout=cancelled"
                ),
            ),
            dev=dev,
            email=_email_settings(env),
            brand=_delivery(brand_from_env, env),
            rate_limits=_delivery(rate_limits_from_env, env),
        )


def _delivery(read: Callable[[Mapping[str, str]], T], env: Mapping[str, str]) -> T:
    try:
        return read(env)
    except DeliverySettingsError as error:
        raise SettingsError(str(error)) from None


def _email_settings(env: Mapping[str, str]) -> EmailSettings:
    try:
        return EmailSettings.from_env(env)
    except EmailSettingsError as error:
        raise SettingsError(str(error)) from None


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise SettingsError(f"{name} is required (or run `tickets serve --dev` to try it out)")
    return value


def _token_config(env: Mapping[str, str]) -> QrTokenConfig:
    secret = _required(env, "TICKET_JWT_SECRET").encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise SettingsError(f"TICKET_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
    private_keys = _pems(env.get("TICKET_JWT_PRIVATE_KEY", ""))
    if len(private_keys) > 1:
        raise SettingsError("TICKET_JWT_PRIVATE_KEY must hold one PEM key")
    config = QrTokenConfig(
        secret=secret,
        private_key_pem=private_keys[0] if private_keys else None,
        retired_public_keys_pem=_pems(env.get("TICKET_JWT_RETIRED_PUBLIC_KEYS", "")),
    )
    try:
        JwtTokenSigner(config)  # fails now, naming the variable, rather than on the first token
    except ValueError as error:
        raise SettingsError(f"TICKET_JWT_* (QR token keys): {error}") from None
    return config


_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.+?-----END [A-Z0-9 ]+-----", re.DOTALL)


def _pems(value: str) -> tuple[bytes, ...]:
    """The PEM blocks of a variable; newlines may be written as ``\\n`` (one-line env files)."""
    text = value.replace("\\n", "\n")
    blocks = tuple(block.encode() + b"\n" for block in _PEM_BLOCK.findall(text))
    if text.strip() and not blocks:
        raise SettingsError("a TICKET_JWT_* key variable is set but holds no PEM block")
    return blocks


def _identity_config(env: Mapping[str, str]) -> IdentityConfig:
    secret = env.get("AUTH_JWT_SECRET") or None
    jwks_url = env.get("AUTH_JWKS_URL") or None
    if secret is None and jwks_url is None:
        raise SettingsError("AUTH_JWT_SECRET or AUTH_JWKS_URL is required")
    return IdentityConfig(
        jwt_secret=secret,
        jwks_url=jwks_url,
        issuer=env.get("AUTH_JWT_ISSUER") or None,
        audience=env.get("AUTH_JWT_AUDIENCE") or None,
        roles_claim=env.get("AUTH_ROLES_CLAIM") or "roles",
    )


def dev_secrets(path: Path = DEV_SECRETS_FILE) -> dict[str, str]:
    """Development secrets, created once under ./var and kept, so tokens survive restarts."""
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    made = {
        "TICKET_JWT_SECRET": secrets.token_urlsafe(48),
        "AUTH_JWT_SECRET": secrets.token_urlsafe(48),
        "STRIPE_WEBHOOK_SECRET": f"whsec_dev_{secrets.token_urlsafe(24)}",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(made, indent=2))
    log.warning("DEV MODE: created development secrets in %s; never use them in production", path)
    return made
