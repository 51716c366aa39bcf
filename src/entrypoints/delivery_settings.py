"""Settings of ticket delivery: the brand on tickets and the rate limits of the ticket routes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from adapters.brand import DEFAULT_INSTRUCTIONS, HEX_COLOR, Brand
from adapters.rate_limiter import RateLimitConfig
from entrypoints.config_errors import ConfigError, collect

REDIS_SCHEMES = ("redis", "rediss", "unix")


class DeliverySettingsError(ConfigError):
    """Raised when a brand or rate-limit variable is unusable (the message names it)."""


def brand_from_env(env: Mapping[str, str]) -> Brand:
    defaults = Brand()
    with collect(DeliverySettingsError) as problems:
        colors = {
            "BRAND_PRIMARY_COLOR": env.get("BRAND_PRIMARY_COLOR") or defaults.primary_color,
            "BRAND_ACCENT_COLOR": env.get("BRAND_ACCENT_COLOR") or defaults.accent_color,
        }
        for name, color in colors.items():
            if not HEX_COLOR.match(color):
                problems.add(f"{name} must be a #RRGGBB colour, not {color!r}")
        logo = env.get("BRAND_LOGO_PATH") or None
        if logo is not None:
            try:
                Brand(logo_path=Path(logo))
            except ValueError as error:
                problems.add(f"BRAND_LOGO_PATH: {error}")
        school_name = env.get("SCHOOL_NAME") or defaults.school_name
        if not school_name.strip():
            problems.add("SCHOOL_NAME must not be blank")
    return Brand(
        school_name=school_name,
        primary_color=colors["BRAND_PRIMARY_COLOR"],
        accent_color=colors["BRAND_ACCENT_COLOR"],
        logo_path=Path(logo) if logo else None,
        instructions=env.get("TICKET_INSTRUCTIONS") or DEFAULT_INSTRUCTIONS,
    )


def rate_limits_from_env(env: Mapping[str, str]) -> RateLimitConfig:
    with collect(DeliverySettingsError) as problems:
        per_minute = problems.read(lambda: _per_minute(env.get("RATE_LIMIT_PER_MINUTE") or "60"))
        redis_url = env.get("REDIS_URL") or None
        if redis_url is not None and urlsplit(redis_url).scheme not in REDIS_SCHEMES:
            problems.add("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    return RateLimitConfig(per_minute=per_minute, redis_url=redis_url)


def _per_minute(raw: str) -> int:
    try:
        per_minute = int(raw)
    except ValueError:
        raise DeliverySettingsError("RATE_LIMIT_PER_MINUTE must be a whole number") from None
    if per_minute < 1:
        raise DeliverySettingsError("RATE_LIMIT_PER_MINUTE must be at least 1")
    return per_minute
