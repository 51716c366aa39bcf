"""The service's settings: read once from the environment, frozen, grouped by concern."""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from adapters.brand import Brand
from adapters.identity import IdentityConfig
from adapters.persistence.store_config import StoreConfig
from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from adapters.rate_limiter import RateLimitConfig
from adapters.stripe_gateway import StripeConfig
from entrypoints.config_errors import ConfigError, Problems, collect
from entrypoints.cors_settings import cors_origins_from_env
from entrypoints.delivery_settings import brand_from_env, rate_limits_from_env
from entrypoints.email_settings import EmailSettings
from entrypoints.monitoring import MonitoringSettings
from entrypoints.proxy_settings import trusted_proxies_from_env

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///./var/tickets.sqlite3"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEV_SECRETS_FILE = Path("var/dev-secrets.json")
MIN_SECRET_BYTES = 32
# .env.example's secrets read "change-me...": a service started with one would take tokens
# anyone can sign, so it does not start.
PLACEHOLDER = "change-me"
PLACEHOLDER_CHECKED = ("TICKET_JWT_SECRET", "STRIPE_WEBHOOK_SECRET", "AUTH_JWT_SECRET")


class SettingsError(ConfigError):
    """Raised at start-up when variables are missing or unusable: all of them at once."""


@dataclass(frozen=True)
class HttpSettings:
    public_base_url: str
    checkout_success_url: str
    checkout_cancel_url: str
    cors_allow_origins: tuple[str, ...] = ()  # CORS_ALLOW_ORIGINS; none: no cross-origin access
    trusted_proxies: tuple[str, ...] = ()  # TRUSTED_PROXIES; none: X-Forwarded-For is ignored


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
    monitoring: MonitoringSettings = field(default_factory=MonitoringSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, dev: bool = False) -> Settings:
        """Settings from ``env``; in dev mode, missing secrets come from ./var, made once.

        Every variable is read even after a bad one, so that one failed start names them all.
        """
        if dev:
            env = {**dev_secrets(), **{k: v for k, v in env.items() if v}}
        # An empty value is unset, as everywhere (a `NAME=` line of an env file).
        base_url = (env.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        with collect(SettingsError) as problems:
            for name in PLACEHOLDER_CHECKED:
                if PLACEHOLDER in env.get(name, "").lower():
                    problems.add(f"{name} still holds .env.example's placeholder: set a secret")
            database = problems.read(lambda: _store_config(env))
            tokens = problems.read(lambda: _token_config(env))
            stripe = problems.read(
                lambda: StripeConfig(
                    webhook_secret=_required(env, "STRIPE_WEBHOOK_SECRET"),
                    api_key=env.get("STRIPE_API_KEY") or None,
                    api_base=env.get("STRIPE_API_BASE") or None,
                )
            )
            identity = problems.read(lambda: _identity_config(env))
            email = problems.read(lambda: EmailSettings.from_env(env))
            brand = problems.read(lambda: brand_from_env(env))
            rate_limits = problems.read(lambda: rate_limits_from_env(env))
            cors_origins = problems.read(lambda: cors_origins_from_env(env))
            monitoring = problems.read(lambda: _monitoring(env))
            trusted_proxies = problems.read(lambda: trusted_proxies_from_env(env))
        return cls(
            database=database,
            tokens=tokens,
            stripe=stripe,
            identity=identity,
            http=HttpSettings(
                public_base_url=base_url,
                checkout_success_url=env.get("CHECKOUT_SUCCESS_URL")
                or f"{base_url}/orders/{{orderId}}?checkout=success",
                checkout_cancel_url=env.get("CHECKOUT_CANCEL_URL")
                or f"{base_url}/orders/{{orderId}}?checkout=cancelled",
                cors_allow_origins=cors_origins,
                trusted_proxies=trusted_proxies,
            ),
            dev=dev,
            email=email,
            brand=brand,
            rate_limits=rate_limits,
            monitoring=monitoring,
        )


def _monitoring(env: Mapping[str, str]) -> MonitoringSettings:
    try:
        return MonitoringSettings.from_env(env)
    except ValueError as error:
        raise SettingsError(str(error)) from None


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise SettingsError(f"{name} is required")
    return value


def _store_config(env: Mapping[str, str]) -> StoreConfig:
    with collect(SettingsError) as problems:
        config = StoreConfig(url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
        try:
            config.env(create_table=False)  # an unknown scheme fails here, not at a query
        except ValueError as error:
            problems.add(str(error))
        # PostgreSQL: how soon an absent database is called unavailable (503, exit 2).
        connect_timeout = problems.read(lambda: _seconds(env, "DATABASE_CONNECT_TIMEOUT", 2.0))
        statement_timeout = problems.read(lambda: _seconds(env, "DATABASE_STATEMENT_TIMEOUT", 2.0))
    return replace(
        config,
        connect_timeout_seconds=connect_timeout,
        statement_timeout_seconds=statement_timeout,
    )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not 0 < value <= 600:
        raise SettingsError(f"{name} must be more than 0 and at most 600 seconds")
    return value


def _token_config(env: Mapping[str, str]) -> QrTokenConfig:
    with collect(SettingsError) as problems:
        secret = env.get("TICKET_JWT_SECRET", "").encode()
        if not secret:
            problems.add("TICKET_JWT_SECRET is required")
        elif len(secret) < MIN_SECRET_BYTES:
            problems.add(f"TICKET_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
        private_keys = _pems(env, "TICKET_JWT_PRIVATE_KEY", problems)
        if len(private_keys) > 1:
            problems.add("TICKET_JWT_PRIVATE_KEY must hold one PEM key")
        retired = _pems(env, "TICKET_JWT_RETIRED_PUBLIC_KEYS", problems)
    config = QrTokenConfig(
        secret=secret,
        private_key_pem=private_keys[0] if private_keys else None,
        retired_public_keys_pem=retired,
    )
    try:
        JwtTokenSigner(config)  # fails now, naming the variable, rather than on the first token
    except ValueError as error:
        raise SettingsError(f"TICKET_JWT_* (QR token keys): {error}") from None
    return config


_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.+?-----END [A-Z0-9 ]+-----", re.DOTALL)


def _pems(env: Mapping[str, str], name: str, problems: Problems) -> tuple[bytes, ...]:
    """The PEM blocks of a variable; newlines may be written as ``\\n`` (one-line env files)."""
    text = env.get(name, "").replace("\\n", "\n")
    blocks = tuple(block.encode() + b"\n" for block in _PEM_BLOCK.findall(text))
    if text.strip() and not blocks:
        problems.add(f"{name} is set but holds no PEM block")
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
