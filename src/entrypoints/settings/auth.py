"""The identity provider's settings (AUTH_*): how the bearer tokens of users are verified."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.identity import IdentityConfig
from entrypoints.environment import SettingsError
from entrypoints.settings.dev import dev_secrets
from entrypoints.settings.secret_files import with_secret_files


def identity_config(env: Mapping[str, str]) -> IdentityConfig:
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


def dev_token_secret(env: Mapping[str, str]) -> str:
    """What ``tickets dev-token`` signs with: AUTH_JWT_SECRET (or its file), else the
    development secret."""
    return with_secret_files(env).get("AUTH_JWT_SECRET") or dev_secrets()["AUTH_JWT_SECRET"]
