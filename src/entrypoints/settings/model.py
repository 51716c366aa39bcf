"""The Settings model: every part of the service's settings, read at once."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from adapters.brand import Brand
from adapters.identity import IdentityConfig
from adapters.persistence.store_config import StoreConfig
from adapters.qr_tokens import QrTokenConfig
from adapters.rate_limiter import RateLimitConfig
from adapters.stripe_gateway import StripeConfig
from entrypoints.environment import collect
from entrypoints.http.settings import HttpSettings
from entrypoints.settings.auth import identity_config
from entrypoints.settings.brand import brand_from_env
from entrypoints.settings.dev import dev_secrets, refuse_placeholders
from entrypoints.settings.email import EmailSettings
from entrypoints.settings.languages import LanguageSettings
from entrypoints.settings.metrics import MetricsSettings
from entrypoints.settings.monitoring import MonitoringSettings
from entrypoints.settings.processes import WorkerSettings, log_level
from entrypoints.settings.rate_limits import rate_limit_config
from entrypoints.settings.secret_files import read_secret_files
from entrypoints.settings.store import store_config
from entrypoints.settings.stripe import stripe_config
from entrypoints.settings.tokens import token_config


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
    worker: WorkerSettings = msgspec.field(default_factory=WorkerSettings)
    metrics: MetricsSettings = msgspec.field(default_factory=MetricsSettings)
    languages: LanguageSettings = msgspec.field(default_factory=LanguageSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, dev: bool = False) -> Settings:
        """Settings from ``env``; in dev mode, missing secrets come from ./var, made once.

        Every variable is read even after a bad one, so that one failed start names them all.
        A secret may come from a file instead (``NAME_FILE``: settings.secret_files).
        """
        with collect() as problems:
            env = read_secret_files(env, problems)
            if dev:
                env = {**dev_secrets(), **{k: v for k, v in env.items() if v}}
            refuse_placeholders(env, problems)
            database = problems.read(lambda: store_config(env))
            tokens = problems.read(lambda: token_config(env))
            stripe = problems.read(lambda: stripe_config(env), "STRIPE_*")
            identity = problems.read(lambda: identity_config(env), "AUTH_*")
            email = problems.read(lambda: EmailSettings.from_env(env))
            brand = problems.read(lambda: brand_from_env(env))
            rate_limits = problems.read(lambda: rate_limit_config(env))
            http = problems.read(lambda: HttpSettings.from_env(env))
            monitoring = problems.read(lambda: MonitoringSettings.from_env(env))
            worker = problems.read(lambda: WorkerSettings.from_env(env))
            metrics = problems.read(lambda: MetricsSettings.from_env(env))
            languages = problems.read(lambda: LanguageSettings.from_env(env))
            # The log was set up before (at INFO if LOG_LEVEL is unusable): said here with
            # every other problem, so one failed start names them all.
            problems.read(lambda: log_level(env))
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
            worker=worker,
            metrics=metrics,
            languages=languages,
        )
