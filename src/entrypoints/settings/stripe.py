"""Stripe's settings: the webhook's signing secret, the API key and an API base for tests."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.stripe_gateway import StripeConfig
from entrypoints.environment import required


def stripe_config(env: Mapping[str, str]) -> StripeConfig:
    return StripeConfig(
        webhook_secret=required(env, "STRIPE_WEBHOOK_SECRET"),
        api_key=env.get("STRIPE_API_KEY") or None,
        api_base=env.get("STRIPE_API_BASE") or None,
    )
