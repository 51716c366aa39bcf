"""The service's settings: one frozen model read from the environment, every problem at once.

Each variable is read and checked here, once. A rule that belongs to an adapter's own config
(a secret's length, a URL's scheme, a colour) is written beside that config and runs when the
config is built: this module builds it and names the variable when it refuses. Adapters get
the configs built here (through bootstrap) and never check them again.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar, cast
from urllib.parse import urlsplit

import msgspec

from adapters.alert_channels import WebhookConfig
from adapters.brand import DEFAULT_INSTRUCTIONS, Brand, checked_color
from adapters.credentials import long_enough
from adapters.email.smtp import SmtpConfig
from adapters.identity import IdentityConfig
from adapters.persistence.store_config import StoreConfig
from adapters.qr_tokens import JwtTokenSigner, QrTokenConfig
from adapters.rate_limiter import RateLimitConfig
from adapters.stripe_gateway import StripeConfig
from entrypoints import run_dir

log = logging.getLogger(__name__)

T = TypeVar("T")
N = TypeVar("N", int, float)

DEFAULT_DATABASE_URL = "sqlite:///./var/tickets.sqlite3"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEV_SECRETS_FILE = Path("var/dev-secrets.json")
# .env.example's secrets read "change-me...": a service started with one would take tokens
# anyone can sign, so it does not start.
PLACEHOLDER = "change-me"
PLACEHOLDER_CHECKED = ("TICKET_JWT_SECRET", "STRIPE_WEBHOOK_SECRET", "AUTH_JWT_SECRET")
EMAIL_BACKENDS = ("file", "ses", "smtp")
REDIS_SCHEMES = ("redis", "rediss", "unix")


class SettingsError(ValueError):
    """Raised at start-up when variables are missing or unusable: one message each, all at once."""

    def __init__(self, *problems: str) -> None:
        super().__init__(*problems)
        self.problems: tuple[str, ...] = problems

    def __str__(self) -> str:
        return "; ".join(self.problems)

    def report(self) -> str:
        """What an operator reads on stderr: every problem on its own line."""
        if len(self.problems) == 1:
            return f"configuration problem: {self.problems[0]}"
        lines = [f"{len(self.problems)} configuration problems:"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


class Problems:
    """Reads settings one by one, so that an unusable one does not hide those after it."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, problem: str) -> None:
        self.found.append(problem)

    def read(self, read: Callable[[], T], named: str | None = None) -> T:
        """``read()``, or, if it raises, its problems noted and a placeholder.

        A ValueError that is no SettingsError comes from an adapter config refusing a value:
        noted as ``named: message``, or as its message alone when that names the variable.
        The placeholder is never used: ``collect`` raises before its block's values are. So
        a read must not depend on the value of another read of the same block.
        """
        try:
            return read()
        except SettingsError as error:
            self.found.extend(error.problems)
        except ValueError as error:
            self.found.append(str(error) if named is None else f"{named}: {error}")
        return cast(T, None)


@contextmanager
def collect() -> Iterator[Problems]:
    """Runs the block, then raises SettingsError with every problem its reads found, if any."""
    problems = Problems()
    yield problems
    if problems.found:
        raise SettingsError(*problems.found)


class HttpSettings(msgspec.Struct, frozen=True, kw_only=True):
    public_base_url: str
    checkout_success_url: str
    checkout_cancel_url: str
    cors_allow_origins: tuple[str, ...] = ()  # none: no cross-origin access
    trusted_proxies: tuple[str, ...] = ()  # none: X-Forwarded-For is ignored


class EmailSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Email sending, the worker and alert delivery."""

    backend: str = "file"
    sender: str = "SalsaNor <tickets@salsanor.no>"
    reply_to: str | None = None
    outbox_dir: Path = Path("var/outbox")
    smtp: SmtpConfig | None = None  # with the smtp backend; its URL stays out of repr
    aws_region: str = "eu-north-1"
    aws_endpoint_url: str | None = None
    admin_alert_email: str | None = None
    alert_webhook: WebhookConfig | None = None  # its URL, a secret, stays out of repr
    max_attempts: int = 5  # failed sends before an email_failed alert (retries go on)
    retry_seconds: float = 30.0  # first retry delay; it doubles, up to 15 minutes
    worker_poll_seconds: float = 0.5
    # Processes rendering ticket emails beside the worker's (0: in the worker's own process).
    render_processes: int = msgspec.field(default_factory=lambda: _default_render_processes())

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EmailSettings:
        defaults = cls()
        with collect() as problems:
            backend = env.get("EMAIL_BACKEND", "").strip().lower() or defaults.backend
            if backend not in EMAIL_BACKENDS:
                problems.add(f"EMAIL_BACKEND must be one of {', '.join(EMAIL_BACKENDS)}")
            sender = env.get("EMAIL_FROM") or defaults.sender
            smtp_url = env.get("SMTP_URL") or None
            smtp = None
            if backend == "smtp" and smtp_url is None:
                problems.add("SMTP_URL (smtp://... or smtps://...) is required")
            elif backend == "smtp" and smtp_url is not None:
                smtp = problems.read(lambda: SmtpConfig(smtp_url, sender))
            webhook_url = env.get("ALERT_WEBHOOK_URL") or None
            webhook = None
            if webhook_url is not None:
                webhook = problems.read(lambda: WebhookConfig(webhook_url))
            max_attempts = problems.read(
                lambda: _number(env, "EMAIL_MAX_ATTEMPTS", defaults.max_attempts)
            )
            retry_seconds = problems.read(
                lambda: _number(env, "EMAIL_RETRY_SECONDS", defaults.retry_seconds)
            )
            worker_poll_seconds = problems.read(
                lambda: _number(env, "WORKER_POLL_SECONDS", defaults.worker_poll_seconds)
            )
            render_processes = problems.read(
                lambda: _count(env, "EMAIL_RENDER_PROCESSES", defaults.render_processes)
            )
        return cls(
            backend=backend,
            sender=sender,
            reply_to=env.get("EMAIL_REPLY_TO") or None,
            outbox_dir=Path(env.get("EMAIL_OUTBOX_DIR") or defaults.outbox_dir),
            smtp=smtp,
            aws_region=env.get("AWS_REGION")
            or env.get("AWS_DEFAULT_REGION")
            or defaults.aws_region,
            aws_endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            admin_alert_email=env.get("ADMIN_ALERT_EMAIL") or None,
            alert_webhook=webhook,
            max_attempts=max_attempts,
            retry_seconds=retry_seconds,
            worker_poll_seconds=worker_poll_seconds,
            render_processes=render_processes,
        )


MAX_RENDER_PROCESSES = 16


def _default_render_processes() -> int:
    """One per core, up to 4; none on one core, where another process would only take turns."""
    cores = os.cpu_count() or 1
    return min(cores, 4) if cores > 1 else 0


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number from 0 to MAX_RENDER_PROCESSES."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > MAX_RENDER_PROCESSES:
        raise SettingsError(f"{name} must be a whole number from 0 to {MAX_RENDER_PROCESSES}")
    return int(raw)


class MonitoringSettings(msgspec.Struct, frozen=True):
    """``SENTRY_DSN`` (unset: no monitoring) and ``SENTRY_ENVIRONMENT``."""

    dsn: str | None = None
    environment: str = "production"

    def __repr__(self) -> str:  # the DSN holds the project's key
        shown = "None" if self.dsn is None else "'***'"
        return f"MonitoringSettings(dsn={shown}, environment={self.environment!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MonitoringSettings:
        dsn = env.get("SENTRY_DSN", "").strip() or None
        if dsn is not None:
            from sentry_sdk.utils import BadDsn, Dsn  # only with a DSN: a slow import

            try:
                Dsn(dsn)
            except BadDsn as error:
                raise SettingsError(f"SENTRY_DSN is not a usable Sentry DSN: {error}") from None
        return cls(dsn=dsn, environment=env.get("SENTRY_ENVIRONMENT", "").strip() or "production")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the service reads from the environment, grouped by concern.

    The groups of one adapter are that adapter's own config; the others are plain Structs.
    """

    database: StoreConfig
    tokens: QrTokenConfig
    stripe: StripeConfig
    identity: IdentityConfig
    http: HttpSettings
    dev: bool = False
    email: EmailSettings = msgspec.field(default_factory=EmailSettings)
    brand: Brand = msgspec.field(default_factory=Brand)
    rate_limits: RateLimitConfig = msgspec.field(default_factory=RateLimitConfig)
    monitoring: MonitoringSettings = msgspec.field(default_factory=MonitoringSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, dev: bool = False) -> Settings:
        """Settings from ``env``; in dev mode, missing secrets come from ./var, made once.

        Every variable is read even after a bad one, so that one failed start names them all.
        """
        if dev:
            env = {**dev_secrets(), **{k: v for k, v in env.items() if v}}
        with collect() as problems:
            for name in PLACEHOLDER_CHECKED:
                if PLACEHOLDER in env.get(name, "").lower():
                    problems.add(f"{name} still holds .env.example's placeholder: set a secret")
            database = problems.read(lambda: _database(env))
            tokens = problems.read(lambda: _tokens(env))
            stripe = problems.read(
                lambda: StripeConfig(
                    webhook_secret=_required(env, "STRIPE_WEBHOOK_SECRET"),
                    api_key=env.get("STRIPE_API_KEY") or None,
                    api_base=env.get("STRIPE_API_BASE") or None,
                ),
                "STRIPE_*",
            )
            identity = problems.read(lambda: _identity(env), "AUTH_*")
            email = problems.read(lambda: EmailSettings.from_env(env))
            brand = problems.read(lambda: _brand(env))
            rate_limits = problems.read(lambda: _rate_limits(env))
            http = problems.read(lambda: _http(env))
            monitoring = problems.read(lambda: MonitoringSettings.from_env(env))
        return cls(
            database=database,
            tokens=tokens,
            stripe=stripe,
            identity=identity,
            http=http,
            dev=dev,
            email=email,
            brand=brand,
            rate_limits=rate_limits,
            monitoring=monitoring,
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")  # an empty value is unset, as everywhere (a `NAME=` line)
    if not value:
        raise SettingsError(f"{name} is required")
    return value


def _number(env: Mapping[str, str], name: str, default: N, *, at_most: float | None = None) -> N:
    """A positive number: whole when ``default`` is an int, of seconds when it is a float."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    kind = type(default)
    try:
        value = kind(raw)
    except ValueError:
        what = "a whole number" if kind is int else f"a number of seconds, not {raw!r}"
        raise SettingsError(f"{name} must be {what}") from None
    if not value > 0 or (at_most is not None and value > at_most):  # NaN is not > 0 either
        least = "at least 1" if kind is int else "more than 0"
        most = "" if at_most is None else f" and at most {at_most:g} seconds"
        raise SettingsError(f"{name} must be {least}{most}")
    return value


def _database(env: Mapping[str, str]) -> StoreConfig:
    url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    with collect() as problems:
        # An unknown scheme fails here, not at the first query.
        problems.read(lambda: StoreConfig(url).env(create_table=False))
        # PostgreSQL: how soon an absent database is called unavailable (503, exit 2).
        connect = problems.read(lambda: _number(env, "DATABASE_CONNECT_TIMEOUT", 2.0, at_most=600))
        statement = problems.read(
            lambda: _number(env, "DATABASE_STATEMENT_TIMEOUT", 2.0, at_most=600)
        )
    return StoreConfig(
        url=url, connect_timeout_seconds=connect, statement_timeout_seconds=statement
    )


def _tokens(env: Mapping[str, str]) -> QrTokenConfig:
    with collect() as problems:
        secret = env.get("TICKET_JWT_SECRET", "").encode()
        if not secret:
            problems.add("TICKET_JWT_SECRET is required")
        else:
            problems.read(lambda: long_enough(secret, "TICKET_JWT_SECRET"))
        private_keys = _pems(env, "TICKET_JWT_PRIVATE_KEY", problems)
        if len(private_keys) > 1:
            problems.add("TICKET_JWT_PRIVATE_KEY must hold one PEM key")
        retired = _pems(env, "TICKET_JWT_RETIRED_PUBLIC_KEYS", problems)
    config = QrTokenConfig(
        secret=secret,
        private_key_pem=private_keys[0] if private_keys else None,
        retired_public_keys_pem=retired,
    )
    with collect() as problems:
        # The keys are loaded by the signer: built now, it names the variables at start-up
        # rather than failing on the first token.
        problems.read(lambda: JwtTokenSigner(config), "TICKET_JWT_* (QR token keys)")
    return config


_PEM_BLOCK = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.+?-----END [A-Z0-9 ]+-----", re.DOTALL)


def _pems(env: Mapping[str, str], name: str, problems: Problems) -> tuple[bytes, ...]:
    """The PEM blocks of a variable; newlines may be written as ``\\n`` (one-line env files)."""
    text = env.get(name, "").replace("\\n", "\n")
    blocks = tuple(block.encode() + b"\n" for block in _PEM_BLOCK.findall(text))
    if text.strip() and not blocks:
        problems.add(f"{name} is set but holds no PEM block")
    return blocks


def _identity(env: Mapping[str, str]) -> IdentityConfig:
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


def _brand(env: Mapping[str, str]) -> Brand:
    defaults = Brand()
    with collect() as problems:
        primary = env.get("BRAND_PRIMARY_COLOR") or defaults.primary_color
        accent = env.get("BRAND_ACCENT_COLOR") or defaults.accent_color
        problems.read(lambda: checked_color("BRAND_PRIMARY_COLOR", primary))
        problems.read(lambda: checked_color("BRAND_ACCENT_COLOR", accent))
        logo = env.get("BRAND_LOGO_PATH") or None
        if logo is not None:
            problems.read(lambda: Brand(logo_path=Path(logo)), "BRAND_LOGO_PATH")
        school_name = env.get("SCHOOL_NAME") or defaults.school_name
        if not school_name.strip():
            problems.add("SCHOOL_NAME must not be blank")
    return Brand(
        school_name=school_name,
        primary_color=primary,
        accent_color=accent,
        logo_path=Path(logo) if logo else None,
        instructions=env.get("TICKET_INSTRUCTIONS") or DEFAULT_INSTRUCTIONS,
    )


def _rate_limits(env: Mapping[str, str]) -> RateLimitConfig:
    with collect() as problems:
        per_minute = problems.read(lambda: _number(env, "RATE_LIMIT_PER_MINUTE", 60))
        redis_url = env.get("REDIS_URL") or None
        if redis_url is not None and urlsplit(redis_url).scheme not in REDIS_SCHEMES:
            problems.add("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    shared_file = env.get(run_dir.RATE_LIMIT_FILE_VARIABLE) or None  # `serve` sets it
    return RateLimitConfig(per_minute=per_minute, redis_url=redis_url, shared_file=shared_file)


def _http(env: Mapping[str, str]) -> HttpSettings:
    base_url = (env.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    with collect() as problems:
        cors_origins = problems.read(lambda: cors_origins_from_env(env))
        trusted_proxies = problems.read(lambda: trusted_proxies_from_env(env))
    return HttpSettings(
        public_base_url=base_url,
        checkout_success_url=env.get("CHECKOUT_SUCCESS_URL")
        or f"{base_url}/orders/{{orderId}}?checkout=success",
        checkout_cancel_url=env.get("CHECKOUT_CANCEL_URL")
        or f"{base_url}/orders/{{orderId}}?checkout=cancelled",
        cors_allow_origins=cors_origins,
        trusted_proxies=trusted_proxies,
    )


def cors_origins_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    """CORS_ALLOW_ORIGINS: origins as browsers send them (``https://app.example.org``).

    Exact origins only, no ``*``: the frontend's origins are known, and a wildcard would let
    any site read tickets with a token it got hold of. None if unset.
    """
    origins: list[str] = []
    with collect() as problems:
        for given in _listed(env, "CORS_ALLOW_ORIGINS"):
            origin = _origin(given)
            if origin is None:
                problems.add(
                    f"CORS_ALLOW_ORIGINS: {given!r} is not an origin like https://app.example.org"
                    " (scheme, host and port only)"
                )
            elif origin not in origins:
                origins.append(origin)
    return tuple(origins)


def _origin(given: str) -> str | None:
    try:
        parts = urlsplit(given.removesuffix("/"))
        port = parts.port
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or "*" in given
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
    ):
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address, bracketed as in the Origin header
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def trusted_proxies_from_env(env: Mapping[str, str]) -> tuple[str, ...]:
    """TRUSTED_PROXIES: addresses and CIDR networks of the reverse proxies in front of us.

    A client address decides the anonymous rate limit: were every peer's X-Forwarded-For
    believed (uvicorn believes localhost's by default), a client could rotate the header and
    never be limited. Unset, the TCP peer is the client.
    """
    trusted: list[str] = []
    with collect() as problems:
        for given in _listed(env, "TRUSTED_PROXIES"):
            try:
                network = ipaddress.ip_network(given, strict=False)
            except ValueError:
                problems.add(
                    f"TRUSTED_PROXIES: {given!r} is not an IP address or network"
                    " (e.g. 10.0.0.5 or 10.0.0.0/24)"
                )
                continue
            shown = str(network.network_address) if network.num_addresses == 1 else str(network)
            if shown not in trusted:
                trusted.append(shown)
    return tuple(trusted)


def _listed(env: Mapping[str, str], name: str) -> Iterator[str]:
    """The items of a comma list, blanks skipped."""
    for item in env.get(name, "").split(","):
        if item.strip():
            yield item.strip()


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
