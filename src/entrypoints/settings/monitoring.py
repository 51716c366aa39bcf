"""Error monitoring: SENTRY_DSN and SENTRY_ENVIRONMENT."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from entrypoints.environment import SettingsError


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
