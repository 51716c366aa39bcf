"""Values and rules shared by every aggregate: causes, stable ids and the error root."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid5

# Fixed forever: every deterministic id in the event store is derived from it.
NAMESPACE = UUID("6f1d3a52-3c1e-4a8e-9d0b-5a7e2c4b9f10")


def stable_id(kind: str, *parts: object) -> UUID:
    """A deterministic id for a natural key, so that two writers of one key collide."""
    return uuid5(NAMESPACE, "/".join([kind, *map(str, parts)]))


@dataclass(frozen=True)
class Cause:
    """Who or what caused an event: an auditor's first question.

    ``actor`` is a user id, ``stripe`` or ``system``; ``reference`` is the Stripe event id or
    the request id where there is one. ``request_id`` is the HTTP request (``X-Request-ID``)
    that caused it, also for Stripe's webhooks: the worker's log lines about the event carry it,
    so one id follows a fulfilment from the webhook to the email. Events recorded before it
    existed decode with None.
    """

    actor: str
    reference: str | None = None
    request_id: str | None = None


SYSTEM = Cause(actor="system")


class DomainError(Exception):
    """Raised when a command would break a rule of the domain."""
