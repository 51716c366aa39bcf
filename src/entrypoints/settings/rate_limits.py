"""The anonymous rate limit, and where its counters are shared (Redis, or serve's file)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from adapters.rate_limiter import RateLimitConfig
from entrypoints import run_dir
from entrypoints.environment import collect, number

REDIS_SCHEMES = ("redis", "rediss", "unix")


def rate_limit_config(env: Mapping[str, str]) -> RateLimitConfig:
    with collect() as problems:
        per_minute = problems.read(lambda: number(env, "RATE_LIMIT_PER_MINUTE", 60))
        redis_url = env.get("REDIS_URL") or None
        if redis_url is not None and urlsplit(redis_url).scheme not in REDIS_SCHEMES:
            problems.add("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    shared_file = env.get(run_dir.RATE_LIMIT_FILE_VARIABLE) or None  # `serve` sets it
    return RateLimitConfig(per_minute=per_minute, redis_url=redis_url, shared_file=shared_file)
