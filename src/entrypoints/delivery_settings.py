"""Settings of ticket delivery: the brand on tickets and the rate limits of the ticket routes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from adapters.brand import DEFAULT_INSTRUCTIONS, Brand
from adapters.rate_limiter import RateLimitConfig

REDIS_SCHEMES = ("redis", "rediss", "unix")


class DeliverySettingsError(Exception):
    """Raised when a brand or rate-limit variable is unusable (the message names it)."""


def brand_from_env(env: Mapping[str, str]) -> Brand:
    defaults = Brand()
    logo = env.get("BRAND_LOGO_PATH") or None
    try:
        return Brand(
            school_name=env.get("SCHOOL_NAME") or defaults.school_name,
            primary_color=env.get("BRAND_PRIMARY_COLOR") or defaults.primary_color,
            accent_color=env.get("BRAND_ACCENT_COLOR") or defaults.accent_color,
            logo_path=Path(logo) if logo else None,
            instructions=env.get("TICKET_INSTRUCTIONS") or DEFAULT_INSTRUCTIONS,
        )
    except ValueError as error:
        raise DeliverySettingsError(
            f"SCHOOL_NAME / BRAND_PRIMARY_COLOR / BRAND_ACCENT_COLOR / BRAND_LOGO_PATH: {error}"
        ) from None


def rate_limits_from_env(env: Mapping[str, str]) -> RateLimitConfig:
    raw = env.get("RATE_LIMIT_PER_MINUTE") or "60"
    try:
        per_minute = int(raw)
    except ValueError:
        raise DeliverySettingsError("RATE_LIMIT_PER_MINUTE must be a whole number") from None
    if per_minute < 1:
        raise DeliverySettingsError("RATE_LIMIT_PER_MINUTE must be at least 1")
    redis_url = env.get("REDIS_URL") or None
    if redis_url is not None and urlsplit(redis_url).scheme not in REDIS_SCHEMES:
        raise DeliverySettingsError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    return RateLimitConfig(per_minute=per_minute, redis_url=redis_url)
