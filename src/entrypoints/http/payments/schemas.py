"""The Stripe webhook's answer."""

from __future__ import annotations

from entrypoints.http.schemas import (
    Out,
)


class WebhookOut(Out):
    received: bool
