"""What an identifier from outside may look like, checked where it enters (Stripe's events,
bearer tokens): a bounded length and character set.

Such ids are stored, logged, used as metric labels and shown in alerts; one with a NUL (which
PostgreSQL's text refuses), a lone surrogate (which cannot be encoded) or markup would fail or
mislead far from where it came in. Refused at the edge, nothing of it is recorded.
"""

from __future__ import annotations

import re
from typing import Final

# Stripe's object ids (evt_..., pi_..., ch_...) and event types (checkout.session.completed).
STRIPE_ID: Final = re.compile(r"[A-Za-z0-9_]{1,255}")
STRIPE_EVENT_TYPE: Final = re.compile(r"[a-z0-9_.]{1,128}")
# References others choose (an identity provider's ``sub`` and ``kid``, a Checkout session's
# ``client_reference_id`` or metadata): what providers use (UUIDs, ``auth0|5f...``, e-mail
# addresses, URLs), without spaces, quotes or markup.
REFERENCE: Final = re.compile(r"[A-Za-z0-9_.~:@|+=/#-]{1,255}")


def matches(pattern: re.Pattern[str], value: str) -> bool:
    return pattern.fullmatch(value) is not None
